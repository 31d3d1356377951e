"""The evidence library: a page of recordings as the web table shows it, and bulk actions.

Who: any user for the listing, within the catalog's reach (officer: own; supervisor and
case_handler: own unit and below; admin, auditor: all; plus approved grants). Poster URLs only for
the roles that may view footage (not auditors). Bulk: flag important — case_handler, supervisor,
admin; legal hold — supervisor, admin; attach to a case — its handlers, unit supervisors, admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import DB, IP, AnyUser, Store, require_roles
from evidence.cases.access import can_read_case
from evidence.cases.models import Case
from evidence.config import get_settings
from evidence.errors import NotFound
from evidence.identity.models import Role, User
from evidence.recordings import library
from evidence.recordings.library_schemas import BulkIn, BulkOut, BulkResult, Kind, LibraryOut, LibraryRow, Sort
from evidence.recordings.models import ProcessingState, RecordingStatus
from evidence.timeutil import to_utc
from evidence.types import INT32_MAX

router = APIRouter(prefix="/api/v1/library", tags=["library"])
Changer = Annotated[User, Depends(require_roles(Role.case_handler, Role.supervisor, Role.admin))]

@router.get("/recordings", response_model=LibraryOut,
            summary="A page of recordings with officer, links, cases and poster, filtered and sorted (who: any user, within reach)")
def recordings(db: DB, user: AnyUser, ip: IP,
               officer: Annotated[str | None, Query(max_length=32, description="警号 of the officer")] = None,
               unit: Annotated[str | None, Query(max_length=64, description="Unit code: it and the units under it")] = None,
               camera: Annotated[str | None, Query(max_length=64, description="Camera serial")] = None,
               start_from: Annotated[datetime | None, Query(description="Start ≥ this (no offset: unit's time zone)")] = None,
               start_to: Annotated[datetime | None, Query(description="Start < this")] = None,
               kind: Kind | None = None,
               state: Annotated[ProcessingState | None, Query(description="Processing state")] = None,
               status: Annotated[RecordingStatus | None, Query(description="Upload / verification status")] = None,
               important: bool | None = None,
               legal_hold: bool | None = None,
               linked: Annotated[bool | None, Query(description="Linked to a ledger event or on a case")] = None,
               case_no: Annotated[str | None, Query(max_length=64, description="On this case, or linked to its ledger events")] = None,
               event_id: Annotated[str | None, Query(max_length=64, description="Linked to this ledger event")] = None,
               sort: Sort = "started_at",
               order: Literal["asc", "desc"] = "desc",
               page: Annotated[int, Query(ge=1, le=INT32_MAX)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 50,
               with_total: Annotated[bool, Query(description="Count the matches (false: turning pages of a counted filter)")] = True,
               ) -> LibraryOut:
    tz = get_settings().timezone
    f = library.LibraryFilter(officer=officer, unit=unit, camera=camera,
                              start_from=to_utc(start_from, tz) if start_from else None,
                              start_to=to_utc(start_to, tz) if start_to else None, kind=kind,
                              state=state.value if state else None, status=status.value if status else None,
                              important=important, legal_hold=legal_hold, linked=linked, case_no=case_no,
                              event_id=event_id)
    result = library.page(db, user, f, sort, order == "desc", page, page_size, ip, with_total)
    db.commit()
    return LibraryOut(items=[LibraryRow(**r) for r in result.rows], total=result.total,
                      total_exact=result.total_exact, page=page, page_size=page_size)


@router.post("/bulk", response_model=BulkOut,
             summary="Flag important, legal hold or attach to a case, for a selection (who: important — case_handler, supervisor, admin; hold — supervisor, admin; attach — the case's handlers, unit supervisors, admin)")
def bulk(body: BulkIn, db: DB, store: Store, user: Changer, ip: IP) -> BulkOut:
    case = None
    if body.action == "attach":
        case = db.get(Case, body.case_id) if body.case_id else None
        if body.case_id and (case is None or not can_read_case(db, user, case)):
            raise NotFound(f"case {body.case_id} not found")
    results = library.bulk(db, store, user, body.action, body.recording_ids, body.on, case, body.reason, body.note, ip)
    db.commit()
    return BulkOut(results=[BulkResult(**r) for r in results], changed=sum(1 for r in results if r["ok"]))
