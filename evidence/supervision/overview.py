"""The supervisor home page (首页) in one read: for a day, week or month of the unit's calendar,
coverage per enforcement type, on-time import, camera hours and the to-do counts.

Every figure comes from the rule that already owns it, so the home page never disagrees with the
page a to-do links to: coverage from `coverage.reports.summary` (the same rows as
GET /coverage/summary?group_by=type, read from the stored day counts), on-time import
(`coverage.ontime`'s rule), camera hours and recordings linked to nothing (the library's filter)
from the stored per-day recording counts (`coverage.recording_counts`), accident cases from
`reports.count_accident_cases` (the list's total), access requests from `cases.access.pending_for`.

Who sees what: supervisors their unit and the units under it (or one unit of that subtree);
auditors and admins every unit, or one unit and those under it. Callers audit the read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.cases import access
from evidence.config import get_settings
from evidence.coverage import recording_counts, reports
from evidence.errors import Forbidden, Invalid, NotFound
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids, unit_within

PERIODS = ("day", "week", "month")
# The enforcement types the page always shows, in the order a brigade reads them (rules.py codes).
ENFORCEMENT_TYPES = ("ticket", "check", "accident", "vehicle_seizure", "license_seizure", "admin_measure",
                     "dispatch", "emergency")
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # the days a period may start on
COUNTS = ("events", "covered", "partial", "missing", "pending", "late_uploads")


@dataclass
class Scope:
    """The units read: one unit and those under it, or every unit (unit None)."""

    unit: Unit | None
    unit_ids: list[int] | None


def first_day(period: str, start: date | None, today: date) -> date:
    """The period's first day: the one asked for, moved back to its Monday (week) or the 1st
    (month); without one, yesterday, this week or this month."""
    if start is None:
        start = today - timedelta(days=1) if period == "day" else today
    if period == "week":
        return start - timedelta(days=start.weekday())
    if period == "month":
        return start.replace(day=1)
    return start


def resolve_scope(session: Session, user: User, unit_id: int | None) -> Scope:
    if unit_id is None:
        if user.role in (Role.admin.value, Role.auditor.value):
            return Scope(None, None)
        if user.unit_id is None:
            raise Forbidden("your account belongs to no unit: ask an admin to set your unit")
        unit_id = user.unit_id
    unit = session.get(Unit, unit_id)
    # A unit outside a supervisor's subtree is answered like one that does not exist.
    if unit is None or (user.role not in (Role.admin.value, Role.auditor.value)
                        and not unit_within(session, unit_id, user.unit_id)):
        raise NotFound(f"unit {unit_id} not found among the units you may see")
    return Scope(unit, subtree_unit_ids(session, unit.id))


def units_to_pick(session: Session, user: User) -> list[dict]:
    q = select(Unit.id, Unit.code, Unit.name, Unit.parent_id).order_by(Unit.code)
    if user.role not in (Role.admin.value, Role.auditor.value):
        if user.unit_id is None:
            return []
        q = q.where(Unit.id.in_(subtree_unit_ids(session, user.unit_id)))
    return [r._asdict() for r in session.execute(q)]


def _type_rows(rows: list[dict]) -> list[dict]:
    by_type = {r["group"]: r for r in rows}
    empty = {**{c: 0 for c in COUNTS}, "activation_rate": None}
    out = [{"event_type": t, **{k: v for k, v in by_type.get(t, empty).items() if k != "group"}}
           for t in ENFORCEMENT_TYPES]
    out += [{"event_type": t, **{k: v for k, v in r.items() if k != "group"}}
            for t, r in sorted(by_type.items()) if t not in ENFORCEMENT_TYPES]
    return out


def _totals(rows: list[dict]) -> dict:
    total = {c: sum(r[c] for r in rows) for c in COUNTS}
    settled = total["events"] - total["pending"]
    total["activation_rate"] = round(total["covered"] / settled, 4) if settled else None
    return total


def _access_to_decide(session: Session, user: User, scope: Scope) -> int | None:
    """Requests waiting that this caller may decide (None: the role decides none, e.g. auditors)."""
    if user.role not in (Role.supervisor.value, Role.admin.value):
        return None
    waiting = access.pending_for(session, user)
    if scope.unit_ids is None:
        return len(waiting)
    ids = set(scope.unit_ids)
    return sum(1 for r in waiting if access.owning_unit(session, r) in ids)


def overview(session: Session, user: User, period: str, start: date | None = None,
             unit_id: int | None = None, today: date | None = None) -> dict:
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if start is not None and not EARLIEST <= start <= LATEST:
        raise Invalid(f"start must be a day between {EARLIEST} and {LATEST}")
    tz = ZoneInfo(get_settings().timezone)
    today = today or datetime.now(tz).date()
    first = first_day(period, start, today)
    lo, hi = (t.astimezone(timezone.utc) for t in reports.period_bounds(period, first, tz))
    last = (hi.astimezone(tz) - timedelta(days=1)).date()
    scope = resolve_scope(session, user, unit_id)
    events = reports.EventFilter(unit_id=scope.unit.id if scope.unit else None, start_from=lo, start_to=hi)
    types = _type_rows(reports.summary(session, user, "type", events))
    totals = _totals(types)
    counted = recording_counts.totals(session, first, last, scope.unit_ids)
    n_on_time, n_known = int(counted["on_time"]), int(counted["arrived"])
    recordings, seconds, unlinked = int(counted["verified"]), float(counted["verified_seconds"]), int(counted["unlinked"])
    return {
        "period": period, "start": first, "end": last, "from": lo, "to": hi, "timezone": str(tz),
        "unit": {"id": scope.unit.id, "code": scope.unit.code, "name": scope.unit.name} if scope.unit else None,
        "units": units_to_pick(session, user),
        "types": types, "totals": totals,
        "on_time": {"on_time": n_on_time, "total": n_known,
                    "rate": round(n_on_time / n_known, 4) if n_known else None,
                    "hours": get_settings().on_time_import_hours},
        "recordings": recordings, "recorded_seconds": round(seconds, 1),
        "todo": {
            "missing_or_partial": totals["missing"] + totals["partial"],
            "late_uploads": totals["late_uploads"],
            "unlinked_recordings": unlinked,
            "accident_cases_without_recording": reports.count_accident_cases(session, user, events),
            "access_requests_to_decide": _access_to_decide(session, user, scope),
        },
    }
