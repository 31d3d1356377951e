"""Coverage reports: the event list, summaries, flagged lists, periods of the stored summaries, exports.

Who sees what: supervisors and case handlers their unit and the units under it; officers their
own events; admins and auditors everything. Callers audit each read.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Integer, Select, String, any_, case, false, func, select
from sqlalchemy.orm import Session

from evidence.actors import UnitScope
from evidence.config import get_settings
from evidence.coverage import clock_gaps, day_counts, sheets
from evidence.coverage.models import EnforcementEvent, EventCoverage, EventOfficer, EventOfficerCoverage
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids

Reader = User | UnitScope  # a signed-in user, or a scheduled task's unit scope

STATUSES = ("covered", "partial", "missing", "pending")
GROUPS = ("unit", "officer", "type", "day", "week", "month")


@dataclass
class EventFilter:
    status: str | None = None
    event_type: str | None = None
    roadside: bool | None = None
    unit_id: int | None = None
    officer: str | None = None  # 警号
    start_from: datetime | None = None
    start_to: datetime | None = None
    statuses: tuple[str, ...] | None = None  # any of these; with `officer`, that officer's own status


def visible_events(session: Session, user: Reader, query: Select) -> Select:
    if isinstance(user, UnitScope):  # a scheduled task reading for a unit, or for all of them
        if user.unit_id is None:
            return query
        return query.where(EnforcementEvent.unit_id.in_(subtree_unit_ids(session, user.unit_id)))
    if user.role in (Role.admin.value, Role.auditor.value):
        return query
    if user.role == Role.officer.value:
        mine = select(EventOfficer.event_id).where(EventOfficer.user_id == user.id)
        return query.where(EnforcementEvent.id.in_(mine))
    if user.role in (Role.supervisor.value, Role.case_handler.value) and user.unit_id is not None:
        return query.where(EnforcementEvent.unit_id.in_(subtree_unit_ids(session, user.unit_id)))
    return query.where(false())


ROWS = object()  # counted_units: this reader's reach is per event (an officer), not per unit


def counted_units(session: Session, user: Reader, unit_id: int | None = None):
    """The units whose events this reader sees, within unit_id's subtree when given: None for
    every unit (events of no unit included), a list, or ROWS when the reach is per event, as
    visible_events decides it. The stored day counts (day_counts) are read through this."""
    if isinstance(user, UnitScope):
        reach = None if user.unit_id is None else subtree_unit_ids(session, user.unit_id)
    elif user.role in (Role.admin.value, Role.auditor.value):
        reach = None
    elif user.role == Role.officer.value:
        return ROWS
    elif user.role in (Role.supervisor.value, Role.case_handler.value) and user.unit_id is not None:
        reach = subtree_unit_ids(session, user.unit_id)
    else:
        reach = []
    if unit_id is None:
        return reach
    wanted = subtree_unit_ids(session, unit_id)
    return wanted if reach is None else [u for u in wanted if u in set(reach)]


def _day_counted(session: Session, user: Reader, f: EventFilter, officer_ok: bool = False, kinds_ok: bool = False):
    """(first day, last day, units) when the stored day counts answer this filter: whole local days,
    a reach per unit, an officer only if officer_ok, a type, roadside or single status only if
    kinds_ok (and no officer with them). None otherwise."""
    kinds = bool(f.status or f.event_type or f.roadside is not None)
    if (kinds and (not kinds_ok or f.officer)) or (f.officer and not officer_ok):
        return None
    if f.start_from is None or f.start_to is None:
        return None
    days = day_counts.whole_days(f.start_from, f.start_to)
    units = counted_units(session, user, f.unit_id)
    if days is None or units is ROWS:
        return None
    return days[0], days[1], units


def _one_of(session: Session, event_ids: Select):
    """EnforcementEvent.id among one officer's events (a thousand a month). On PostgreSQL as
    `= ANY(ARRAY(subquery))`, read first and then fetched by id: as a semi-join the planner
    walked a month of events in start order looking for his (290 ms for an admin's first page)."""
    if session.get_bind().dialect.name == "postgresql":
        return EnforcementEvent.id == any_(func.array(event_ids.scalar_subquery()))
    return EnforcementEvent.id.in_(event_ids)


def _filtered(session: Session, user: Reader, f: EventFilter) -> Select:
    q = select(EnforcementEvent, EventCoverage).join(EventCoverage, EventCoverage.event_id == EnforcementEvent.id)
    q = visible_events(session, user, q)
    if f.status:
        q = q.where(EventCoverage.status == f.status)
    if f.event_type:
        q = q.where(EnforcementEvent.event_type == f.event_type)
    if f.roadside is not None:
        q = q.where(EnforcementEvent.roadside == f.roadside)
    if f.unit_id is not None:
        q = q.where(EnforcementEvent.unit_id.in_(subtree_unit_ids(session, f.unit_id)))
    if f.officer:
        q = q.where(_one_of(session, select(EventOfficer.event_id).where(EventOfficer.police_id == f.officer)))
    if f.statuses and f.officer:
        q = q.where(_one_of(session, select(EventOfficerCoverage.event_id).where(
            EventOfficerCoverage.police_id == f.officer, EventOfficerCoverage.status.in_(f.statuses))))
    elif f.statuses:
        q = q.where(EventCoverage.status.in_(f.statuses))
    if f.start_from:
        q = q.where(EnforcementEvent.started_at >= f.start_from)
    if f.start_to:
        q = q.where(EnforcementEvent.started_at < f.start_to)
    return q


EVENT_FIELDS = [EnforcementEvent.id, EnforcementEvent.event_id, EnforcementEvent.event_type,
                EnforcementEvent.police_ids, EnforcementEvent.started_at, EnforcementEvent.ended_at,
                EnforcementEvent.location, EnforcementEvent.case_no, EnforcementEvent.roadside, EnforcementEvent.unit_id,
                EventCoverage.status, EventCoverage.window_start, EventCoverage.window_end, EventCoverage.window_seconds,
                EventCoverage.covered_seconds, EventCoverage.ratio, EventCoverage.late_upload,
                EventCoverage.deadline_at, EventCoverage.recording_ids]
OFFICER_FIELDS = [EventOfficerCoverage.police_id, EventOfficerCoverage.status, EventOfficerCoverage.covered_seconds,
                  EventOfficerCoverage.ratio, EventOfficerCoverage.recording_ids]


def count_events(session: Session, user: Reader, f: EventFilter, stored: bool = True) -> int:
    """How many events the filter finds (the total beside a page of event_rows): from the stored day
    counts when they can answer (and `stored`), else counted live."""
    counted = _day_counted(session, user, f, officer_ok=True, kinds_ok=True) if stored else None
    if counted is not None:
        first, last, units = counted
        if f.officer:
            return day_counts.count_officer_events(session, first, last, units, f.officer, f.statuses)
        statuses = f.statuses
        if f.status:  # status = X and status in statuses: X, or nothing ("-" is no status)
            statuses = [f.status] if not f.statuses or f.status in f.statuses else ["-"]
        return day_counts.count_events(session, first, last, units, statuses, f.event_type, f.roadside)
    return session.scalar(_filtered(session, user, f).with_only_columns(func.count()).order_by(None)) or 0


def event_rows(session: Session, user: Reader, f: EventFilter, limit: int | None = None, offset: int = 0) -> list[dict]:
    """Events with their coverage and officers, as plain rows (ORM objects cost seconds for a month)."""
    q = _filtered(session, user, f).with_only_columns(*EVENT_FIELDS).order_by(
        EnforcementEvent.started_at, EnforcementEvent.id).offset(offset)
    if limit:
        q = q.limit(limit)
    events = [r._asdict() for r in session.execute(q)]
    officers = defaultdict(list)
    ids = [e["id"] for e in events]
    for i in range(0, len(ids), 5000):
        for event_id, *o in session.execute(select(EventOfficerCoverage.event_id, *OFFICER_FIELDS).where(
                EventOfficerCoverage.event_id.in_(ids[i:i + 5000]))):
            o = dict(zip(("police_id", "status", "covered_seconds", "ratio", "recording_ids"), o))
            o["recording_ids"] = json.loads(o["recording_ids"])
            officers[event_id].append(o)
    gaps = clock_gaps.unplaced(session, events)
    for e in events:
        e["recording_ids"] = json.loads(e["recording_ids"])
        e["officers"] = officers[e["id"]]
        e["clock_unplaced"] = gaps.get(e["id"], [])
    return events


def _period_key(when: datetime, group: str, tz: ZoneInfo) -> str:
    local = when.astimezone(tz).date()
    if group == "day":
        return local.isoformat()
    if group == "week":
        monday = local - timedelta(days=local.weekday())
        return f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"
    return f"{local.year}-{local.month:02d}"


def summary(session: Session, user: Reader, group_by: str, f: EventFilter, stored: bool = True) -> list[dict]:
    """Counts per group; activation rate = covered ÷ events no longer pending. By unit or type over
    whole local days, added up from the stored day counts (unless `stored` is False: counted live).

    The database counts events per (group, status, late upload); Python only names and sorts the
    groups. Periods are counted per UTC minute and then put in the unit's day, week or month: a
    zone changes its offset only at whole minutes, so every event of a minute lands alike."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    tz = ZoneInfo(get_settings().timezone)
    q = _filtered(session, user, f)
    status = EventCoverage.status
    if group_by == "officer":  # each officer of an event counts the event, with that officer's status
        q, key, status = (q.join(EventOfficerCoverage, EventOfficerCoverage.event_id == EnforcementEvent.id),
                          EventOfficerCoverage.police_id, EventOfficerCoverage.status)
    elif group_by == "unit":
        key = EnforcementEvent.unit_id
    elif group_by == "type":
        key = EnforcementEvent.event_type
    elif session.get_bind().dialect.name == "sqlite":  # UTCDateTime's text there: 'YYYY-MM-DD HH:MM:SS.ffffff'
        key = func.substr(EnforcementEvent.started_at, 1, 16, type_=String)
    else:
        key = func.date_trunc("minute", func.timezone("UTC", EnforcementEvent.started_at), type_=DateTime)
    q = q.with_only_columns(key, status, EventCoverage.late_upload, func.count()).group_by(
        key, status, EventCoverage.late_upload)
    counted = _day_counted(session, user, f) if stored and group_by in ("unit", "type") and not f.statuses else None
    rows = day_counts.grouped(session, *counted, group_by) if counted else session.execute(q)
    units = {u.id: u.code for u in session.scalars(select(Unit))} if group_by == "unit" else {}
    groups: dict[str, dict] = {}
    for value, status_, late, n in rows:
        if group_by == "unit":
            value = units.get(value, "(none)")
        elif group_by not in ("officer", "type"):
            minute = datetime.fromisoformat(value) if isinstance(value, str) else value
            value = _period_key(minute.replace(tzinfo=timezone.utc), group_by, tz)
        g = groups.get(value)
        if g is None:
            g = groups[value] = {"group": value, "events": 0, **{s: 0 for s in STATUSES}, "late_uploads": 0}
        g["events"] += n
        g[status_] += n
        g["late_uploads"] += n if late else 0
    for g in groups.values():
        settled = g["events"] - g["pending"]
        g["activation_rate"] = round(g["covered"] / settled, 4) if settled else None
    return [groups[k] for k in sorted(groups)]


def _roadside(f: EventFilter) -> EventFilter:
    return EventFilter(**{**vars(f), "roadside": True, "status": "missing"})


def roadside_missing(session: Session, user: Reader, f: EventFilter, limit: int | None = None,
                     offset: int = 0) -> list[dict]:
    """Roadside enforcement (路面执法) with no recording at all, in start order."""
    return event_rows(session, user, _roadside(f), limit, offset)


def count_roadside_missing(session: Session, user: Reader, f: EventFilter) -> int:
    return count_events(session, user, _roadside(f))


def _accident_cases(session: Session, user: Reader, f: EventFilter) -> Select:
    """Case numbers of accident events under the filter whose events all have no footage and one
    at least is missing, grouped in the database (a month holds thousands of accident events)."""
    q = _filtered(session, user, EventFilter(**{**vars(f), "event_type": "accident"}))
    return (q.with_only_columns(EnforcementEvent.case_no).where(EnforcementEvent.case_no.is_not(None),
                                                                EnforcementEvent.case_no != "")
            .group_by(EnforcementEvent.case_no)
            .having(func.max(EventCoverage.covered_seconds) == 0,
                    func.sum(case((EventCoverage.status == "missing", 1), else_=0).cast(Integer)) > 0))


def count_accident_cases(session: Session, user: Reader, f: EventFilter) -> int:
    return session.scalar(select(func.count()).select_from(_accident_cases(session, user, f).subquery())) or 0


def accident_cases_without_recording(session: Session, user: Reader, f: EventFilter, limit: int | None = None,
                                     offset: int = 0) -> list[dict]:
    """"One case, one recording": accident cases none of whose events has any footage, by case
    number; each with its events (in start order) and their statuses."""
    return accident_cases_page(session, user, f, limit, offset)[0]


def accident_cases_page(session: Session, user: Reader, f: EventFilter, limit: int | None = None,
                        offset: int = 0) -> tuple[list[dict], int]:
    """A page of accident_cases_without_recording and the number of all such cases, grouped once:
    the total rides on each row of the page (a window count), so the list's page costs one pass
    over the month's accident events instead of two. Past the end it counts separately."""
    # by code point, as Python sorts: PostgreSQL's own collation may order differently
    grouped = _accident_cases(session, user, f).add_columns(func.count().over().label("total"))
    q = grouped.order_by(EnforcementEvent.case_no.collate(
        "C" if session.get_bind().dialect.name == "postgresql" else "BINARY")).offset(offset)
    page = session.execute(q.limit(limit) if limit else q).all()
    if not page:
        return [], (count_accident_cases(session, user, f) if offset else 0)
    cases, total = [r[0] for r in page], page[0][1]
    return _with_events(session, user, f, cases), total


def _with_events(session: Session, user: Reader, f: EventFilter, cases: list[str]) -> list[dict]:
    events = _filtered(session, user, EventFilter(**{**vars(f), "event_type": "accident"})).with_only_columns(
        EnforcementEvent.case_no, EnforcementEvent.event_id, EventCoverage.status).where(
        EnforcementEvent.case_no.in_(cases)).order_by(EnforcementEvent.started_at, EnforcementEvent.id)
    out = {c: {"case_no": c, "events": [], "statuses": []} for c in cases}
    for case_no, event_id, status in session.execute(events):
        out[case_no]["events"].append(event_id)
        out[case_no]["statuses"].append(status)
    return [out[c] for c in cases]


# -- stored periodic summaries ------------------------------------------------------------------
def period_bounds(period: str, start: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    if period == "day":
        end = start + timedelta(days=1)
    elif period == "week":
        end = start + timedelta(days=7)
    else:
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (datetime.combine(start, datetime.min.time(), tz), datetime.combine(end, datetime.min.time(), tz))


def last_complete_periods(today: date) -> list[tuple[str, date]]:
    yesterday = today - timedelta(days=1)
    this_monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    return [("day", yesterday), ("week", this_monday - timedelta(days=7)), ("month", prev_month)]


# -- exports --------------------------------------------------------------------------------------
EVENT_COLUMNS = ["event_id", "event_type", "police_ids", "started_at", "ended_at", "location", "case_no", "roadside",
                 "status", "window_seconds", "covered_seconds", "ratio", "late_upload", "recording_ids", "officers",
                 "clock_unplaced"]


def _flat(row: dict, columns: list[str], tz: ZoneInfo) -> list:
    out = []
    for c in columns:
        v = row.get(c)
        if isinstance(v, datetime):
            v = v.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        elif c == "officers":
            v = "; ".join(f"{o['police_id']} {o['status']} {o['covered_seconds']}s" for o in v)
        elif isinstance(v, list):
            v = ";".join(map(str, v))
        out.append(v)
    return out


def to_csv(rows: list[dict], columns: list[str]) -> bytes:
    tz = ZoneInfo(get_settings().timezone)
    return sheets.to_csv(columns, (_flat(r, columns, tz) for r in rows))


def to_xlsx(report: dict[str, tuple[list[str], list[dict]]]) -> bytes:
    tz = ZoneInfo(get_settings().timezone)
    return sheets.to_xlsx({title: (columns, [_flat(r, columns, tz) for r in rows])
                           for title, (columns, rows) in report.items()})


SUMMARY_COLUMNS = ["group", "events", "covered", "partial", "missing", "pending", "late_uploads", "activation_rate"]
