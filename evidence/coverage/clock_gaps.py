"""Footage from a camera with a wrong clock: read for coverage once corrected, and shown beside
the events it may belong to until then.

A recording flagged `device clock implausible` covers nothing until an admin sets the camera's
offset (evidence.flows.set_device_offset). Meanwhile an event that is not covered lists, as `clock_unplaced`, its
officers' flagged, uncorrected recordings that reached a dock between the event's start and its
upload deadline: a supervisor sees that "missing" may only be a camera clock to set.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from evidence.coverage.models import EventOfficer
from evidence.recordings.models import Recording, RecordingStatus


def unplaced(session: Session, events: list[dict]) -> dict[int, list[int]]:
    """event row id -> ids of flagged recordings that may belong to it (events as event_rows gives them)."""
    open_events = [e for e in events if e["status"] != "covered"]
    if not open_events:
        return {}
    officers = defaultdict(set)
    for event_id, user_id in session.execute(select(EventOfficer.event_id, EventOfficer.user_id).where(
            EventOfficer.event_id.in_([e["id"] for e in open_events]), EventOfficer.user_id.is_not(None))):
        officers[event_id].add(user_id)
    users = set().union(*officers.values()) if officers else set()
    if not users:
        return {}
    arrived = func.coalesce(Recording.docked_at, Recording.uploaded_at)
    lo, hi = min(e["started_at"] for e in open_events), max(e["deadline_at"] for e in open_events)
    recs = session.execute(select(Recording.id, Recording.officer_id, arrived).where(
        Recording.clock_implausible, Recording.clock_corrected_at.is_(None),  # ix_recordings_clock_unplaced's terms
        Recording.status == RecordingStatus.verified.value, Recording.officer_id.in_(users),
        arrived >= lo, arrived <= hi)).all()
    out = {}
    for e in open_events:
        ids = sorted(rid for rid, officer, at in recs
                     if officer in officers[e["id"]] and e["started_at"] <= at <= e["deadline_at"])
        if ids:
            out[e["id"]] = ids
    return out


def with_corrected(session: Session, rows: list, query: Select, user_ids: set[int]) -> list:
    """Add these officers' clock-corrected recordings to rows read by device-time range: their device
    clock puts them elsewhere (few, and read through their index). Rows start with the recording id."""
    if not user_ids:
        return rows
    extra = session.execute(query.where(Recording.officer_id.in_(user_ids), Recording.clock_corrected_at.is_not(None)))
    return list({r[0]: r for r in [*rows, *extra]}.values())
