"""Coverage counts per day of the unit's calendar, stored (coverage_day_counts and
coverage_day_officer_counts), so that the home page and the coverage explorer add up at most a
period's days of rows instead of grouping every event of a month (300,000 for a brigade).

The rows are derived from event_coverage and event_officer_coverage and never edited by hand:
- `service.recompute` marks the local days of the events it stores (`mark`); the ledger import
  also marks the day an event leaves when its start moves. The marked days are counted again
  from the stored coverage just before the session commits (`refresh`, in the same transaction
  as the coverage itself), so a reader never sees counts that disagree with committed coverage.
- `service.recompute_all` (rebuilds and every bulk loader) ends with `rebuild`: all days again.
- `rebuild` is also what migration 0016 runs; after changing settings.timezone (the day of an
  event is its start's local day in that zone) run `evidence coverage recompute`, which ends with it.

The readers answer exactly what the live queries of reports.summary / explorer answer for whole
local days; tests/test_day_counts.py compares them after imports, late recordings,
reattribution and recomputes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from evidence import commit_hooks
from evidence.config import get_settings
from evidence.coverage.models import (CoverageDayCount, CoverageDayOfficerCount, EnforcementEvent, EventCoverage,
                                      EventOfficerCoverage)

PENDING = "coverage_days_to_count"  # session.info key: the local days whose counts are stale
STATUSES = ("covered", "partial", "missing", "pending")
LOCK_NAMESPACE = 0x64617963  # "dayc": PostgreSQL advisory locks of the days being counted


def zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def day_bounds(first: date, last: date, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """UTC bounds [from, to) of the local days first..last."""
    tz = tz or zone()
    return (datetime.combine(first, time.min, tz).astimezone(timezone.utc),
            datetime.combine(last + timedelta(days=1), time.min, tz).astimezone(timezone.utc))


def whole_days(lo: datetime, hi: datetime, tz: ZoneInfo | None = None) -> tuple[date, date] | None:
    """The local days lo..hi spans when both are local midnights (what readers can answer), else None."""
    tz = tz or zone()
    a, b = lo.astimezone(tz), hi.astimezone(tz)
    if a.time() != time.min or b.time() != time.min or b <= a:
        return None
    return a.date(), b.date() - timedelta(days=1)


def local_day(when: datetime, tz: ZoneInfo | None = None) -> date:
    return when.astimezone(tz or zone()).date()


# -- keeping them current ----------------------------------------------------------------------------
def mark(session: Session, starts: Iterable[datetime | None]) -> None:
    """These event starts' days are counted again before the session commits."""
    tz = zone()
    days = session.info.setdefault(PENDING, set())
    days.update(local_day(s, tz) for s in starts if s is not None)


@commit_hooks.before_commit(commit_hooks.COUNTS)
def _count_marked(session: Session) -> None:
    days = session.info.pop(PENDING, None)
    if days:
        refresh(session, days)


@commit_hooks.after_rollback
def _forget_marked(session: Session) -> None:
    session.info.pop(PENDING, None)  # the coverage changes went too: the stored counts still hold


def day_key(session: Session, started, lo: datetime, hi: datetime, tz: ZoneInfo):
    """(SQL expression, to_day, direct) grouping times in [lo, hi) by local day. PostgreSQL converts
    with its own zone data; SQLite adds the zone's offset when it is the same all through the span
    (direct: the expression is the day itself), else groups per UTC minute (offsets change at whole
    minutes) and to_day names the day in Python."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(tz.key, started), Date), lambda v: v, True
    offsets = {(lo + timedelta(hours=h)).astimezone(tz).utcoffset()
               for h in range(int((hi - lo).total_seconds() // 3600) + 2)}
    if len(offsets) == 1:
        minutes = int(offsets.pop().total_seconds() // 60)
        return func.date(started, f"{minutes:+d} minutes", type_=String), date.fromisoformat, True
    return (func.substr(started, 1, 16, type_=String),
            lambda v: datetime.fromisoformat(v).replace(tzinfo=timezone.utc).astimezone(tz).date(), False)


def store_grouped(session: Session, table, names: list[str], key, to_day, direct: bool, query,
                  days: set[date] | None) -> None:
    """Insert the grouped rows of `query` (day key first, the count(s) last, in `names` order) into
    table: straight INSERT … SELECT when the key is the day, else summed per day in Python."""
    if direct:
        if days is not None:
            query = query.where(key.in_(sorted(days) if session.get_bind().dialect.name == "postgresql"
                                        else [d.isoformat() for d in sorted(days)]))
        session.execute(insert(table).from_select(names, query))
        return
    width = len(names) - 1 - sum(1 for n in names if n in SUMMED)
    sums: dict[tuple, list] = {}
    for row in session.execute(query):
        d = to_day(row[0])
        if days is not None and d not in days:
            continue
        k = (d, *row[1:1 + width])
        acc = sums.setdefault(k, [0] * (len(row) - 1 - width))
        for i, v in enumerate(row[1 + width:]):
            acc[i] += v or 0
    if sums:
        session.execute(insert(table), [dict(zip(names, (*k, *v))) for k, v in sums.items()])


SUMMED = {"events", "verified", "verified_seconds", "arrived", "on_time", "unlinked"}


def _store(session: Session, lo: datetime, hi: datetime, days: set[date] | None) -> None:
    """The rows of both tables for events started in [lo, hi) (only `days`, when given)."""
    tz = zone()
    key, to_day, direct = day_key(session, EnforcementEvent.started_at, lo, hi, tz)
    span = (EnforcementEvent.started_at >= lo, EnforcementEvent.started_at < hi)
    store_grouped(session, CoverageDayCount,
                  ["day", "unit_id", "event_type", "roadside", "status", "late_upload", "events"], key, to_day, direct,
                  select(key, EnforcementEvent.unit_id, EnforcementEvent.event_type, EnforcementEvent.roadside,
                         EventCoverage.status, EventCoverage.late_upload, func.count())
                  .join(EventCoverage, EventCoverage.event_id == EnforcementEvent.id).where(*span)
                  .group_by(key, EnforcementEvent.unit_id, EnforcementEvent.event_type, EnforcementEvent.roadside,
                            EventCoverage.status, EventCoverage.late_upload), days)
    store_grouped(session, CoverageDayOfficerCount, ["day", "unit_id", "police_id", "status", "events"],
                  key, to_day, direct,
                  select(key, EnforcementEvent.unit_id, EventOfficerCoverage.police_id, EventOfficerCoverage.status,
                         func.count())
                  .join(EventOfficerCoverage, EventOfficerCoverage.event_id == EnforcementEvent.id)
                  .join(EventCoverage, EventCoverage.event_id == EnforcementEvent.id).where(*span)
                  .group_by(key, EnforcementEvent.unit_id, EventOfficerCoverage.police_id,
                            EventOfficerCoverage.status), days)


def refresh(session: Session, days: Iterable[date]) -> None:
    """Count these local days again from the stored coverage."""
    days = set(days)
    if not days:
        return
    # One transaction at a time counts a day: two counting it at once would each delete the rows
    # they saw and both insert theirs (counted twice). The second waits, then sees the first's coverage.
    commit_hooks.lock_keys(session, LOCK_NAMESPACE, (d.toordinal() for d in days))
    for table in (CoverageDayCount, CoverageDayOfficerCount):
        session.execute(delete(table).where(table.day.in_(sorted(days))))
    _store(session, *day_bounds(min(days), max(days)), days)


def rebuild(session: Session) -> None:
    """Every day again (after a full recompute, a bulk load, a migration or a change of time zone)."""
    session.info.pop(PENDING, None)
    session.execute(delete(CoverageDayCount))
    session.execute(delete(CoverageDayOfficerCount))
    first, last = session.execute(select(func.min(EnforcementEvent.started_at),
                                         func.max(EnforcementEvent.started_at))).one()
    if first is None:
        return
    _store(session, *day_bounds(local_day(first) - timedelta(days=1), local_day(last) + timedelta(days=1)), None)


# -- reading --------------------------------------------------------------------------------------------
def _in_scope(q, column, first: date, last: date, unit_ids: list[int] | None):
    q = q.where(column.day >= first, column.day <= last)
    return q if unit_ids is None else q.where(column.unit_id.in_(unit_ids))


def grouped(session: Session, first: date, last: date, unit_ids: list[int] | None, by: str):
    """(unit_id or event_type, status, late_upload, events) for the local days first..last of these
    units (None: all, events of no unit included): the rows reports.summary groups live."""
    c = CoverageDayCount
    key = c.unit_id if by == "unit" else c.event_type
    q = _in_scope(select(key, c.status, c.late_upload, func.sum(c.events)), c, first, last, unit_ids)
    return session.execute(q.group_by(key, c.status, c.late_upload)).all()


def by_unit_status(session: Session, first: date, last: date, unit_ids: list[int] | None):
    """(unit_id, status, events) for the days, as explorer.unit_rows groups the live rows."""
    c = CoverageDayCount
    q = _in_scope(select(c.unit_id, c.status, func.sum(c.events)), c, first, last, unit_ids)
    return session.execute(q.group_by(c.unit_id, c.status)).all()


def by_officer_status(session: Session, first: date, last: date, unit_ids: list[int] | None):
    """(police_id, status, events) of events in these units, each officer with his own status."""
    c = CoverageDayOfficerCount
    q = _in_scope(select(c.police_id, c.status, func.sum(c.events)), c, first, last, unit_ids)
    return session.execute(q.group_by(c.police_id, c.status)).all()


def count_events(session: Session, first: date, last: date, unit_ids: list[int] | None,
                 statuses: Iterable[str] | None, event_type: str | None = None, roadside: bool | None = None) -> int:
    """Events of these units and days with any of these statuses (None: every status), of this type
    and roadside or not when given."""
    c = CoverageDayCount
    q = _in_scope(select(func.coalesce(func.sum(c.events), literal(0))), c, first, last, unit_ids)
    if statuses:
        q = q.where(c.status.in_(list(statuses)))
    if event_type:
        q = q.where(c.event_type == event_type)
    if roadside is not None:
        q = q.where(c.roadside == roadside)
    return int(session.scalar(q) or 0)


def count_officer_events(session: Session, first: date, last: date, unit_ids: list[int] | None, police_id: str,
                         statuses: Iterable[str] | None) -> int:
    """Events of one officer in these units and days, with any of his own statuses (None: every one)."""
    c = CoverageDayOfficerCount
    q = _in_scope(select(func.coalesce(func.sum(c.events), literal(0))), c, first, last, unit_ids).where(
        c.police_id == police_id)
    if statuses:
        q = q.where(c.status.in_(list(statuses)))
    return int(session.scalar(q) or 0)
