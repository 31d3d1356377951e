"""The gap chart of one event: its required window, each officer's recordings on it, the spans they
cover, the gaps between them, and for each gap the reason the data knows.

The spans come from the same engine calls the coverage numbers use (window, spans, best_shift,
union_within and evaluate, on the clips service.clip_index loads as recompute does), so the
chart's covered seconds are event_coverage.covered_seconds for the same moment.

Reasons of a gap in one officer's footage, the first that holds:
- no_account: the ledger names a 警号 that is no user here, so no camera can be his;
- no_camera: no camera was assigned to the officer at that time (evidence.devices assignments);
- not_recorded: a camera assigned to him then has docked since the gap ended, but brought
  nothing that overlaps it;
- awaiting_upload: nothing docked since, and the upload deadline has not passed (pending);
- not_docked: nothing docked since, and the deadline has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evidence.coverage import service
from evidence.coverage.engine import Clip, best_shift, evaluate, spans, window
from evidence.coverage.models import EnforcementEvent, EventCoverage, EventOfficer
from evidence.coverage.rules import rules
from evidence.devices.models import DeviceAssignment
from evidence.identity.models import User
from evidence.recordings.models import Recording
from evidence.timeutil import utcnow

REASONS = ("no_account", "no_camera", "not_recorded", "awaiting_upload", "not_docked")


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, timezone.utc)


def merged(intervals: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    """The union of the intervals within [lo, hi], as sorted disjoint spans."""
    out: list[list[float]] = []
    for s, e in sorted(intervals):
        s, e = max(s, lo), min(e, hi)
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def complement(covered: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    """The parts of [lo, hi] outside the sorted disjoint spans."""
    out, cursor = [], lo
    for s, e in covered:
        if s > cursor:
            out.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < hi:
        out.append((cursor, hi))
    return out


def _placed(clips: list[Clip], lo: float, hi: float, rule) -> tuple[list[tuple[float, float, list[int]]], dict]:
    """engine.shifted_spans with each clip's applied shift kept: spans overlapping the window, and
    recording id -> (shifted start, shifted end, shift)."""
    by_device: dict[str, list[Clip]] = {}
    for c in clips:
        by_device.setdefault(c.device, []).append(c)
    out, placed = [], {}
    for device_clips in by_device.values():
        sp = spans(device_clips, rule.segment_gap_seconds)
        d = best_shift(sp, lo, hi, rule.tolerance_seconds)
        out.extend((s + d, e + d, ids) for s, e, ids in sp)
        placed.update({c.recording_id: (c.start + d, c.end + d, d) for c in device_clips})
    return [s for s in out if s[1] > lo and s[0] < hi], placed


def _span(s: float, e: float) -> dict:
    return {"start": _dt(s), "end": _dt(e), "seconds": round(e - s, 1)}


def _reasons(session: Session, user_id: int | None, gap: tuple[float, float], deadline: float,
             now: float) -> list[tuple[float, float, str]]:
    """One gap of an officer, split where the reason changes (see the module's docstring)."""
    s, e = gap
    if user_id is None:
        return [(s, e, "no_account")]
    held = session.execute(select(DeviceAssignment.device_id, DeviceAssignment.assigned_from,
                                  DeviceAssignment.assigned_to).where(
        DeviceAssignment.user_id == user_id, DeviceAssignment.assigned_from < _dt(e),
        or_(DeviceAssignment.assigned_to.is_(None), DeviceAssignment.assigned_to > _dt(s)))).all()
    held_spans = merged([(f.timestamp(), t.timestamp() if t else e) for _, f, t in held], s, e)
    out = [(a, b, "no_camera") for a, b in complement(held_spans, s, e)]
    for a, b in held_spans:
        devices = [d for d, f, t in held if f.timestamp() < b and (t is None or t.timestamp() > a)]
        arrived = func.coalesce(Recording.docked_at, Recording.uploaded_at)
        docked_since = session.scalar(select(func.count()).select_from(Recording).where(
            Recording.device_id.in_(devices), arrived >= _dt(b)))
        reason = "not_recorded" if docked_since else ("awaiting_upload" if now < deadline else "not_docked")
        out.append((a, b, reason))
    return sorted(out)


def event_gaps(session: Session, event: EnforcementEvent, now: datetime | None = None) -> dict:
    """The chart's data for one event (EventGapsOut's fields)."""
    all_rules = rules()
    rule = all_rules.get(event.event_type, all_rules["other"])
    now_ts = (now or utcnow()).timestamp()
    start = event.started_at.timestamp()
    end = event.ended_at.timestamp() if event.ended_at is not None else None
    lo, hi = window(start, end, rule)
    # the reach _compute reads clips in: the window widened by the clock tolerance
    reach_lo, reach_hi = lo - rule.tolerance_seconds, hi + rule.tolerance_seconds
    officers = session.execute(select(EventOfficer.police_id, EventOfficer.user_id, User.name).outerjoin(
        User, User.id == EventOfficer.user_id).where(EventOfficer.event_id == event.id)
        .order_by(EventOfficer.police_id)).all()
    user_ids = {u for _, u, _ in officers if u}
    index = service.clip_index(session, user_ids, _dt(reach_lo) - timedelta(days=1),
                                 _dt(reach_hi) + timedelta(days=1))  # clip_index's bounds are loose; around() is exact
    clips = {police_id: index.around(user_id, reach_lo, reach_hi) for police_id, user_id, _ in officers}
    result = evaluate(start, end, clips, rule, now_ts)
    rows, everything = [], []
    for police_id, user_id, name in officers:
        sp, placed = _placed(clips[police_id], lo, hi, rule) if clips[police_id] else ([], {})
        covered = merged([(s, e) for s, e, _ in sp], lo, hi)
        everything.extend(covered)
        ids = sorted({i for _, _, group in sp for i in group})
        gaps = [g for gap in complement(covered, lo, hi)
                for g in _reasons(session, user_id, gap, result.deadline, now_ts)]
        mine = result.officers[police_id]
        rows.append({
            "police_id": police_id, "user_id": user_id, "name": name, "status": mine.status,
            "covered_seconds": mine.covered_seconds,
            "recordings": [{"recording_id": i, **_span(max(placed[i][0], lo), min(placed[i][1], hi)),
                            "shift_seconds": round(placed[i][2], 1)}
                           for i in ids if placed[i][1] > lo and placed[i][0] < hi],
            "covered": [_span(s, e) for s, e in covered],
            "gaps": [{**_span(s, e), "reason": r} for s, e, r in gaps],
        })
    union = merged(everything, lo, hi)
    stored = session.execute(select(EventCoverage.status, EventCoverage.covered_seconds).where(
        EventCoverage.event_id == event.id)).first()
    return {
        "id": event.id, "event_id": event.event_id, "event_type": event.event_type, "started_at": event.started_at,
        "ended_at": event.ended_at, "location": event.location, "window_start": _dt(lo), "window_end": _dt(hi),
        "window_seconds": result.window_seconds, "deadline_at": _dt(result.deadline), "status": result.status,
        "covered_seconds": result.covered_seconds, "ratio": result.ratio,
        "tolerance_seconds": rule.tolerance_seconds,
        "stored_status": stored.status if stored else None,
        "stored_covered_seconds": stored.covered_seconds if stored else None,
        "covered": [_span(s, e) for s, e in union], "gaps": [_span(s, e) for s, e in complement(union, lo, hi)],
        "officers": rows,
    }
