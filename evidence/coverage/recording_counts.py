"""Recordings counted per day of the unit's calendar and unit (recording_day_counts): what the home
page reads for camera hours, on-time import (coverage.ontime's rule) and recordings linked to
nothing, so a month is a few hundred stored rows instead of 600,000 recordings.

Kept current without the callers knowing: every ORM flush that adds, changes or removes a
Recording, a RecordingEventLink or a CaseRecording marks the (day, unit) it is in, and setting a
recording's start or unit marks the one it leaves; service._apply_links marks the recordings whose auto-links it writes with SQL; the
marked (day, unit) pairs are counted again just before the session commits (same transaction).
`service.recompute_all` (bulk loads, rebuilds) ends with `rebuild`; so does migration 0016. After
changing settings.timezone or on_time_import_hours, run `evidence coverage recompute` (it ends with the rebuild).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import Float, and_, case, delete, event, exists, func, select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE

from evidence import commit_hooks
from evidence.cases.models import CaseRecording
from evidence.config import get_settings
from evidence.coverage.day_counts import day_bounds, day_key, local_day, store_grouped, zone
from evidence.coverage.models import RecordingDayCount, RecordingEventLink
from evidence.coverage.ontime import on_time_flag
from evidence.recordings.models import Recording, RecordingStatus

PAIRS = "recording_days_to_count"  # session.info: {(local day, unit id)} to count again
IDS = "recordings_to_count"  # session.info: recording ids whose (day, unit) is to count again
LOCK_NAMESPACE = 0x72656363  # "recc": PostgreSQL advisory locks of the days being counted
NAMES = ["day", "unit_id", "verified", "verified_seconds", "arrived", "on_time", "unlinked"]


def mark_recordings(session: Session, recording_ids: Iterable[int]) -> None:
    session.info.setdefault(IDS, set()).update(recording_ids)


def _mark(session: Session, started: datetime | None, unit_id: int | None) -> None:
    if started is not None:
        session.info.setdefault(PAIRS, set()).add((local_day(started), unit_id))


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Recording):
            _mark(session, obj.started_at, obj.unit_id)
        elif isinstance(obj, (RecordingEventLink, CaseRecording)) and obj.recording_id is not None:
            mark_recordings(session, [obj.recording_id])


@event.listens_for(Recording.started_at, "set", active_history=True)
def _start_moved(target: Recording, value, old, _initiator) -> None:
    """The (day, unit) a recording leaves (the one it reaches is marked at flush)."""
    session = object_session(target)
    if session is not None and isinstance(old, datetime) and old != value:
        _mark(session, old, target.unit_id)


@event.listens_for(Recording.unit_id, "set", active_history=True)
def _unit_moved(target: Recording, value, old, _initiator) -> None:
    session = object_session(target)
    if session is not None and old is not NO_VALUE and old is not NEVER_SET and old != value:
        _mark(session, target.started_at, old)


@commit_hooks.before_commit(commit_hooks.RECORDING_COUNTS)
def _count_marked(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # so the flush's marks are in before counting
    ids, pairs = session.info.pop(IDS, None), session.info.pop(PAIRS, None) or set()
    if ids:
        ids = sorted(ids)
        for i in range(0, len(ids), 5000):
            pairs.update((local_day(s), u) for s, u in session.execute(
                select(Recording.started_at, Recording.unit_id).where(Recording.id.in_(ids[i:i + 5000]),
                                                                      Recording.started_at.is_not(None))))
    if pairs:
        refresh(session, pairs)


@commit_hooks.after_rollback
def _forget_marked(session: Session) -> None:
    session.info.pop(IDS, None)
    session.info.pop(PAIRS, None)


def _store(session: Session, lo: datetime, hi: datetime, unit_filter, days: set[date] | None) -> None:
    key, to_day, direct = day_key(session, Recording.started_at, lo, hi, zone())
    verified = Recording.status == RecordingStatus.verified.value
    arrived = and_(verified, func.coalesce(Recording.docked_at, Recording.uploaded_at).is_not(None))
    on_time = on_time_flag(session.get_bind().dialect.name, get_settings().on_time_import_hours)
    linked = (exists().where(RecordingEventLink.recording_id == Recording.id, RecordingEventLink.removed_at.is_(None))
              | exists().where(CaseRecording.recording_id == Recording.id, CaseRecording.detached_at.is_(None)))
    q = select(key, Recording.unit_id,
               func.sum(case((verified, 1), else_=0)),
               func.sum(case((verified, func.coalesce(Recording.duration_seconds, 0.0)), else_=0.0), type_=Float),
               func.sum(case((arrived, 1), else_=0)),
               func.sum(case((arrived, on_time), else_=0)),
               func.sum(case((linked, 0), else_=1))).where(
        Recording.started_at >= lo, Recording.started_at < hi, *unit_filter).group_by(key, Recording.unit_id)
    store_grouped(session, RecordingDayCount.__table__, NAMES, key, to_day, direct, q, days)


def refresh(session: Session, pairs: Iterable[tuple[date, int | None]]) -> None:
    """Count these (local day, unit) pairs again."""
    by_unit: dict[int | None, set[date]] = {}
    for day, unit in pairs:
        by_unit.setdefault(unit, set()).add(day)
    c = RecordingDayCount
    # As day_counts.refresh: one transaction at a time counts a day, or both would insert their rows.
    commit_hooks.lock_keys(session, LOCK_NAMESPACE, (d.toordinal() for days in by_unit.values() for d in days))
    for unit, days in by_unit.items():
        unit_is = (c.unit_id.is_(None),) if unit is None else (c.unit_id == unit,)
        session.execute(delete(c).where(c.day.in_(sorted(days)), *unit_is))
        rec_unit = (Recording.unit_id.is_(None),) if unit is None else (Recording.unit_id == unit,)
        _store(session, *day_bounds(min(days), max(days)), rec_unit, days)


def rebuild(session: Session) -> None:
    """Every day and unit again."""
    session.info.pop(IDS, None)
    session.info.pop(PAIRS, None)
    session.execute(delete(RecordingDayCount))
    first, last = session.execute(select(func.min(Recording.started_at), func.max(Recording.started_at))).one()
    if first is not None:
        _store(session, *day_bounds(local_day(first) - timedelta(days=1), local_day(last) + timedelta(days=1)),
               (), None)


def totals(session: Session, first: date, last: date, unit_ids: list[int] | None) -> dict:
    """The sums over the local days first..last of these units (None: all, recordings of no unit included)."""
    c = RecordingDayCount
    q = select(*(func.coalesce(func.sum(getattr(c, n)), 0) for n in NAMES[2:])).where(c.day >= first, c.day <= last)
    if unit_ids is not None:
        q = q.where(c.unit_id.in_(unit_ids))
    return dict(zip(NAMES[2:], session.execute(q).one()))
