"""The coverage explorer: unit → officer → events, and one event's gap chart.

Who: supervisor and case_handler (own unit and below, as for the coverage reports), auditor and
admin (all). Every read is audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from api.deps import DB, IP, VisibleEvent, require_roles
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.coverage import explorer, gaps, reports
from evidence.coverage.explorer_schemas import EventGapsOut, ExplorerEventPage, OfficersOut, UnitsOut
from evidence.identity.models import Role, User
from evidence.types import INT32_MAX, Id

router = APIRouter(prefix="/api/v1/coverage", tags=["coverage explorer"])
Explorer = Annotated[User, Depends(require_roles(Role.supervisor, Role.case_handler, Role.auditor, Role.admin))]
From = Annotated[date | None, Query(alias="from", description="first day (unit's zone); default the 1st of this month")]
To = Annotated[date | None, Query(alias="to", description="last day, included; default today")]


def _period(start: date | None, end: date | None):
    zone = get_settings().timezone
    return explorer.period(start, end, zone, datetime.now(ZoneInfo(zone)).date())


@router.get("/explorer/units", response_model=UnitsOut,
            summary="Covered / partial / missing / pending and the rate per child unit for a period "
                    "(who: supervisor/case_handler own unit and below, auditor, admin)")
def units(db: DB, user: Explorer, ip: IP, start: From = None, end: To = None,
          parent_id: Annotated[Id | None, Query(description="the unit whose children to count; "
                                                             "empty: the top of your reach")] = None) -> UnitsOut:
    first, last, lo, hi = _period(start, end)
    out = explorer.unit_rows(db, user, parent_id, lo, hi)
    audit.record(db, user_actor(user, ip), "coverage.explorer_units", "unit", parent_id, start=str(first),
                 end=str(last), returned=len(out["rows"]))
    db.commit()
    return UnitsOut(start=first, end=last, **out)


@router.get("/explorer/officers", response_model=OfficersOut,
            summary="The same counts per officer of a unit's events, each with his own status "
                    "(who: supervisor/case_handler own unit and below, auditor, admin)")
def officers(db: DB, user: Explorer, ip: IP, start: From = None, end: To = None,
             unit_id: Annotated[Id | None, Query(description="the unit and the units below it; "
                                                            "empty: all you may see")] = None) -> OfficersOut:
    first, last, lo, hi = _period(start, end)
    rows = explorer.officer_rows(db, user, unit_id, lo, hi)
    audit.record(db, user_actor(user, ip), "coverage.explorer_officers", "unit", unit_id, start=str(first),
                 end=str(last), returned=len(rows))
    db.commit()
    return OfficersOut(start=first, end=last, rows=rows)


@router.get("/explorer/events", response_model=ExplorerEventPage,
            summary="A page of events of a unit or officer for a period, several statuses at once "
                    "(who: supervisor/case_handler own unit and below, auditor, admin)")
def events(db: DB, user: Explorer, ip: IP, start: From = None, end: To = None, unit_id: Id | None = None,
           officer: Annotated[str | None, Query(max_length=32, description="警号; the status is then his own")] = None,
           status: Annotated[str | None, Query(max_length=60, description="e.g. missing,partial")] = None,
           page: Annotated[int, Query(ge=1, le=INT32_MAX)] = 1,
           page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> ExplorerEventPage:
    first, last, lo, hi = _period(start, end)
    explorer.check_unit(db, user, unit_id)
    f = reports.EventFilter(unit_id=unit_id, officer=officer, start_from=lo, start_to=hi,
                            statuses=explorer.parse_statuses(status))
    total = reports.count_events(db, user, f)
    rows = reports.event_rows(db, user, f, page_size, (page - 1) * page_size)
    audit.record(db, user_actor(user, ip), "coverage.explorer_events", "unit", unit_id, officer=officer,
                 status=status, start=str(first), end=str(last), returned=len(rows))
    db.commit()
    return ExplorerEventPage(start=first, end=last, total=total, page=page, page_size=page_size, items=rows)


@router.get("/events/{event_id}/gaps", response_model=EventGapsOut,
            summary="One event's gap chart: its window, each officer's recordings, covered spans and gaps "
                    "with their reasons (who: supervisor/case_handler own unit and below, auditor, admin)")
def event_gaps(user: Explorer, event: VisibleEvent, db: DB, ip: IP) -> EventGapsOut:
    out = gaps.event_gaps(db, event)
    audit.record(db, user_actor(user, ip), "coverage.event_gaps", "enforcement_event", event.id,
                 recordings=sorted({r["recording_id"] for o in out["officers"] for r in o["recordings"]}))
    db.commit()
    return EventGapsOut(**out)
