"""The coverage explorer's counts: per child unit and per officer, covered / partial / missing /
pending and the rate, for a period. The database counts events per (unit or 警号, status); Python
only rolls units up their tree and names the rows, so a brigade month stays a few grouped rows.

Who sees what is reports.visible_events: the counts of a supervisor hold his unit and below only.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.coverage.models import EnforcementEvent, EventCoverage, EventOfficerCoverage
from evidence.coverage import day_counts
from evidence.coverage.reports import ROWS, STATUSES, Reader, counted_units, visible_events
from evidence.errors import Invalid, NotFound
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids, unit_within


def period(start: date | None, end: date | None, zone: str, today: date) -> tuple[date, date, datetime, datetime]:
    """The days asked for (default: this month so far), and the UTC bounds [from, to) of those whole days."""
    tz = ZoneInfo(zone)
    start = start or today.replace(day=1)
    end = end or today
    if end < start:
        raise Invalid(f"the period ends ({end}) before it starts ({start}): pick the dates again")
    if (end - start).days > 366:
        raise Invalid("the period is longer than a year: pick at most 366 days")
    return start, end, datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz)


def parse_statuses(text: str | None) -> tuple[str, ...] | None:
    """'missing,partial' -> ('missing', 'partial'); empty -> None (every status)."""
    if not text:
        return None
    wanted = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    bad = [s for s in wanted if s not in STATUSES]
    if bad:
        raise Invalid(f"unknown status {', '.join(bad)}: use {', '.join(STATUSES)}, comma-separated")
    return wanted or None


def _blank() -> dict:
    return {"events": 0, **{s: 0 for s in STATUSES}}


def _counts(session: Session, user: Reader, scope: int | None, start: datetime, end: datetime, stored: bool,
            stored_reader, key, coverage):
    """(key, status, events) of the events started in [start, end) in scope's subtree that the reader
    sees: from the stored day counts (`stored_reader`) for whole local days, else counted live, each
    event with its status in `coverage` (EventCoverage, or EventOfficerCoverage: each officer's own)."""
    days, reach = day_counts.whole_days(start, end), counted_units(session, user, scope)
    if stored and days is not None and reach is not ROWS:
        return stored_reader(session, *days, reach)
    q = select(key, coverage.status, func.count()).select_from(EnforcementEvent).join(
        coverage, coverage.event_id == EnforcementEvent.id).where(
        EnforcementEvent.started_at >= start, EnforcementEvent.started_at < end)
    if scope is not None:
        q = q.where(EnforcementEvent.unit_id.in_(subtree_unit_ids(session, scope)))
    return session.execute(visible_events(session, user, q).group_by(key, coverage.status))


def _tally(counts) -> dict:
    """One row of counts per key from (key, status, events) rows."""
    rows: dict = {}
    for key, status, n in counts:
        row = rows.setdefault(key, _blank())
        row["events"] += n
        row[status] += n
    return rows


def _rate(row: dict) -> dict:
    settled = row["events"] - row["pending"]
    row["rate"] = round(row["covered"] / settled, 4) if settled else None
    return row


def home_unit(user: Reader) -> int | None:
    """Where a reader starts: a supervisor at his unit, admins and auditors above every unit."""
    return None if getattr(user, "role", None) in (Role.admin.value, Role.auditor.value) else user.unit_id


def check_unit(session: Session, user: Reader, unit_id: int | None) -> None:
    """A unit outside the reader's reach is answered as not found."""
    home = home_unit(user)
    if unit_id is not None and (session.get(Unit, unit_id) is None or
                                (home is not None and not unit_within(session, unit_id, home))):
        raise NotFound(f"unit {unit_id} not found, or outside your unit")


def unit_rows(session: Session, user: Reader, parent_id: int | None, start: datetime, end: datetime,
              stored: bool = True) -> dict:
    """The parent's own counts and one row per child unit (its whole subtree). Without a parent: the
    units at the top of the reader's reach. Events recorded on the parent itself get a row marked own.
    Whole local days are added up from the stored day counts (`stored` False: counted live)."""
    home = home_unit(user)
    check_unit(session, user, parent_id)
    units = {u.id: u for u in session.scalars(select(Unit))}
    children: dict[int | None, list[int]] = {}
    for u in units.values():
        children.setdefault(u.parent_id, []).append(u.id)
    scope = parent_id if parent_id is not None else home
    direct = _tally(_counts(session, user, scope, start, end, stored, day_counts.by_unit_status,
                            EnforcementEvent.unit_id, EventCoverage))

    def total(unit_id: int) -> dict:
        row = dict(direct.get(unit_id, _blank()))
        for child in children.get(unit_id, []):
            for k, v in total(child).items():
                row[k] += v
        return row

    def describe(unit_id: int, counts: dict, own: bool = False) -> dict:
        u = units[unit_id]
        return _rate({"unit_id": u.id, "code": u.code, "name": u.name, "level": u.level, "own": own,
                      "has_children": bool(children.get(u.id)) and not own, **counts})

    if parent_id is None:
        tops = [home] if home is not None else children.get(None, [])
        rows = [describe(u, total(u)) for u in tops]
        return {"parent": None, "rows": sorted(rows, key=lambda r: r["code"])}
    rows = [describe(c, total(c)) for c in children.get(parent_id, [])]
    rows.sort(key=lambda r: r["code"])
    if direct.get(parent_id, {}).get("events"):
        rows.insert(0, describe(parent_id, direct[parent_id], own=True))
    return {"parent": describe(parent_id, total(parent_id)), "rows": rows}


def officer_rows(session: Session, user: Reader, unit_id: int | None, start: datetime, end: datetime,
                 stored: bool = True) -> list[dict]:
    """Per officer of events in the unit's subtree: each event counted with that officer's own
    status (as the summary by officer counts), worst first."""
    check_unit(session, user, unit_id)
    rows = _tally(_counts(session, user, unit_id, start, end, stored, day_counts.by_officer_status,
                          EventOfficerCoverage.police_id, EventOfficerCoverage))
    names = dict(session.execute(select(User.police_id, User.name).where(
        User.police_id.in_(list(rows)))).all()) if rows else {}
    out = [_rate({"police_id": p, "name": names.get(p), **counts}) for p, counts in rows.items()]
    return sorted(out, key=lambda r: (-(r["missing"] + r["partial"]), r["police_id"]))
