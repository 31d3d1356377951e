"""Cameras whose clock is wrong (reset to 2000 after the battery ran out, or far ahead).

Such files are accepted, never refused: a refusal would keep them on the camera for ever. The
device time is kept as the camera wrote it, the recording is flagged, an estimate from the
dock time is kept apart from it, and it covers no enforcement event until an admin states the
camera's offset, which then re-attributes its recordings and recomputes the events they touch.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.coverage.service import events_near, recompute, recompute_for_recordings
from evidence.devices.models import Device
from evidence.devices.service import officer_at
from evidence.errors import Invalid, NotFound
from evidence.identity.models import User
from evidence.recordings.models import Recording
from evidence.timeutil import to_utc, utcnow

IMPLAUSIBLE = "device clock implausible"


def implausible_reason(start_utc: datetime | None, now: datetime | None = None) -> str | None:
    """Why a device-clock time cannot be right (before the earliest year, or beyond now plus the
    allowed skew), or None when it may be."""
    if start_utc is None:
        return None
    s = get_settings()
    if start_utc.year < s.earliest_recording_year:
        return f"{IMPLAUSIBLE}: {start_utc:%Y-%m-%d %H:%M} UTC is before {s.earliest_recording_year}"
    if start_utc > (now or utcnow()) + timedelta(hours=s.max_clock_skew_hours):
        return f"{IMPLAUSIBLE}: {start_utc:%Y-%m-%d %H:%M} UTC is more than {s.max_clock_skew_hours} h in the future"
    return None


def flag(rec: Recording, now: datetime | None = None) -> None:
    """At upload: flag an implausible start and estimate it as no later than the dock time."""
    note = implausible_reason(rec.started_at, now)
    rec.clock_implausible, rec.clock_note = note is not None, note
    rec.started_at_estimated = (rec.docked_at or now or utcnow()) if note else None


def estimate(rec: Recording) -> None:
    """Once the duration is known: the clip ended at the latest when the camera was docked."""
    arrival = rec.docked_at or rec.uploaded_at or rec.verified_at
    if rec.clock_implausible and rec.duration_seconds and arrival is not None:
        rec.started_at_estimated = arrival - timedelta(seconds=rec.duration_seconds)


def offset_from(device_time: datetime, actual_time: datetime) -> int:
    """What the camera showed at a moment, and the true time then (no zone: the unit's)."""
    tz = get_settings().timezone
    return round((to_utc(device_time, tz) - to_utc(actual_time, tz)).total_seconds())


def _officer(session: Session, rec: Recording) -> tuple[User | None, str]:
    officer = officer_at(session, rec.device_id, rec.started_at_corrected)
    if officer is not None:
        return officer, "assignment"
    if rec.declared_police_id:
        officer = session.scalar(select(User).where(User.police_id == rec.declared_police_id))
    return officer, "filename" if officer else "none"


def set_device_offset(session: Session, actor: audit.Actor, serial: str, offset_seconds: int,
                      only_uncorrected: bool = True) -> dict:
    """Apply the camera's offset (device minus true time) to its flagged recordings — only those not
    corrected yet, unless asked — then attribute them at their true time and recompute coverage."""
    device = session.scalar(select(Device).where(Device.serial == serial))
    if device is None:
        raise NotFound(f"camera {serial} not found")
    if abs(offset_seconds) > 200 * 365 * 86400:
        raise Invalid("the clock offset is more than 200 years: check device_time and actual_time")
    query = select(Recording).where(Recording.device_id == device.id, Recording.clock_implausible.is_(True))
    if only_uncorrected:
        query = query.where(Recording.clock_corrected_at.is_(None))
    recs = list(session.scalars(query))
    now = utcnow()
    device.clock_offset_seconds, device.clock_offset_set_at = offset_seconds, now
    # Events the recordings covered before (an earlier offset) are recomputed too.
    corrected_before = [r for r in recs if r.clock_corrected_at is not None and r.officer_id]
    old_events = events_near(session, {r.officer_id for r in corrected_before},
                             min(r.started_at_corrected for r in corrected_before),
                             max(r.started_at_corrected for r in corrected_before)) if corrected_before else []
    before = {r.officer_id for r in recs if r.officer_id}
    for rec in recs:
        rec.clock_offset_seconds, rec.clock_corrected_at = offset_seconds, now
        officer, source = _officer(session, rec)
        rec.officer_id, rec.officer_source = (officer.id if officer else None), source
        rec.unit_id = officer.unit_id if officer and officer.unit_id else rec.unit_id
    session.flush()
    events = recompute(session, old_events) + recompute_for_recordings(session, [r.id for r in recs], before)
    audit.record(session, actor, "device.clock_offset", "device", device.id, serial=serial,
                 offset_seconds=offset_seconds, recordings=[r.id for r in recs])
    return {"serial": serial, "clock_offset_seconds": offset_seconds, "recordings_corrected": len(recs),
            "events_recomputed": events}
