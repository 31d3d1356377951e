"""Enforcement ledger, coverage reports and event links.

Who: ledger import — admin, supervisor; reports — officer (own events), supervisor and
case_handler (own unit and below), auditor and admin (all); links — case_handler, supervisor,
admin. Every report read is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from api.deps import DB, IP, AnyUser, VisibleEvent, require_roles
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.coverage import ledger_import, reports, stored
from evidence.coverage.ledger_read import LedgerTooLarge
from evidence.coverage.models import CoverageSummary, RecordingEventLink
from evidence.coverage.schemas import (AccidentCasesOut, EventList, EventPage, LedgerImportOut, LinkCreated, LinkIn,
                                       LinkOut, LinkRemoved, StoredSummaryBrief, StoredSummaryOut, SummaryOut)
from evidence.errors import Invalid, NotFound, TooLarge
from evidence.identity.models import Role, User
from evidence.recordings.service import get_visible
from evidence.timeutil import to_utc, utcnow
from evidence.types import INT32_MAX, Id

router = APIRouter(prefix="/api/v1", tags=["coverage"])
Importer = Annotated[User, Depends(require_roles(Role.admin, Role.supervisor))]
Linker = Annotated[User, Depends(require_roles(Role.admin, Role.supervisor, Role.case_handler))]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a download as csv / xlsx")]


def _filter(status, event_type, roadside, unit_id, officer, start_from, start_to) -> reports.EventFilter:
    tz = get_settings().timezone
    return reports.EventFilter(status=status, event_type=event_type, roadside=roadside, unit_id=unit_id,
                               officer=officer, start_from=to_utc(start_from, tz) if start_from else None,
                               start_to=to_utc(start_to, tz) if start_to else None)


def _filters(status: Literal["covered", "partial", "missing", "pending"] | None = None,
             event_type: str | None = None, roadside: bool | None = None, unit_id: Id | None = None,
             officer: Annotated[str | None, Query(description="警号")] = None,
             start_from: Annotated[datetime | None, Query(description="event start ≥ (no offset: unit's zone)")] = None,
             start_to: Annotated[datetime | None, Query(description="event start <")] = None) -> reports.EventFilter:
    return _filter(status, event_type, roadside, unit_id, officer, start_from, start_to)


Filters = Annotated[reports.EventFilter, Depends(_filters)]


def _download(data: bytes, name: str, media: str) -> Response:
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = {"schema": {"type": "string", "format": "binary"}}
# json answers with the model; format=csv or xlsx with a file to download.
DOWNLOADS = {200: {"content": {"text/csv": FILE, XLSX: FILE}}}


@router.post("/ledger/import", response_model=LedgerImportOut,
             summary="Import enforcement events from CSV or XLSX; bad rows reported by line; dry_run previews "
                     "without writing (who: admin, supervisor)",
             responses={413: {"description": "the file passes a limit (size, rows, columns, unpacked size)"}})
def import_ledger(file: UploadFile, db: DB, user: Importer, ip: IP,
                  dry_run: Annotated[bool, Query(description="preview: parse and check every row, list the first "
                                                             "rows with what would happen, write nothing")] = False,
                  ) -> LedgerImportOut:
    # A plain def on purpose: FastAPI runs it in a worker thread, so parsing and storing a large
    # ledger never holds up the event loop and every other request.
    try:
        result = ledger_import.import_ledger(db, user_actor(user, ip), file.file, file.filename or "ledger.csv",
                                             get_settings().timezone, user, dry_run)
    except LedgerTooLarge as exc:
        raise TooLarge(str(exc)) from None
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    db.commit()
    return LedgerImportOut(created=result.created, updated=result.updated, errors=result.errors,
                           error_count=result.error_count, dry_run=result.dry_run, rows=result.rows)


@router.get("/coverage/events", response_model=EventPage, responses=DOWNLOADS,
            summary="Events with their coverage, filterable (who: officer own, supervisor/case_handler unit, auditor/admin all)")
def events(db: DB, user: AnyUser, ip: IP, f: Filters, format: Format = "json",
           page: Annotated[int, Query(ge=1, le=INT32_MAX)] = 1,
           page_size: Annotated[int, Query(ge=1, le=1000)] = 100) -> EventPage | Response:
    download = format != "json"
    rows = reports.event_rows(db, user, f, None if download else page_size, 0 if download else (page - 1) * page_size)
    audit.record(db, user_actor(user, ip), "coverage.events", None, None, filter=_desc(f), returned=len(rows),
                 format=format)
    db.commit()
    if format == "csv":
        return _download(reports.to_csv(rows, reports.EVENT_COLUMNS), "coverage-events.csv", "text/csv")
    if format == "xlsx":
        return _download(reports.to_xlsx({"events": (reports.EVENT_COLUMNS, rows)}), "coverage-events.xlsx", XLSX)
    return EventPage(items=rows, page=page, page_size=page_size)


@router.get("/coverage/summary", response_model=SummaryOut, responses=DOWNLOADS,
            summary="Counts and activation rate by unit, officer, type, day, week or month (who: as events)")
def summary(db: DB, user: AnyUser, ip: IP, f: Filters,
            group_by: Literal["unit", "officer", "type", "day", "week", "month"] = "unit",
            format: Format = "json") -> SummaryOut | Response:
    rows = reports.summary(db, user, group_by, f)
    audit.record(db, user_actor(user, ip), "coverage.summary", None, None, group_by=group_by, filter=_desc(f),
                 format=format)
    db.commit()
    if format == "csv":
        return _download(reports.to_csv(rows, reports.SUMMARY_COLUMNS), f"coverage-by-{group_by}.csv", "text/csv")
    if format == "xlsx":
        flagged = reports.roadside_missing(db, user, f)
        return _download(reports.to_xlsx({f"by {group_by}": (reports.SUMMARY_COLUMNS, rows),
                                          "roadside missing": (reports.EVENT_COLUMNS, flagged)}),
                         f"coverage-by-{group_by}.xlsx", XLSX)
    return SummaryOut(group_by=group_by, rows=rows)


Limit = Annotated[int, Query(ge=1, le=500, description="at most this many (a page)")]
Offset = Annotated[int, Query(ge=0, le=INT32_MAX, description="skip this many first")]


@router.get("/coverage/roadside-missing", response_model=EventList,
            summary="Roadside enforcement with no recording, a page at a time in start order (who: as events)")
def roadside_missing(db: DB, user: AnyUser, ip: IP, f: Filters, limit: Limit = 100, offset: Offset = 0) -> EventList:
    rows = reports.roadside_missing(db, user, f, limit, offset)
    total = reports.count_roadside_missing(db, user, f)
    audit.record(db, user_actor(user, ip), "coverage.roadside_missing", None, None, filter=_desc(f), returned=len(rows),
                 offset=offset)
    db.commit()
    return EventList(items=rows, total=total, limit=limit, offset=offset)


@router.get("/coverage/accident-cases-without-recording", response_model=AccidentCasesOut,
            summary="Accident cases none of whose events has any recording, a page at a time by case number "
                    "(who: as events)")
def accident_cases(db: DB, user: AnyUser, ip: IP, f: Filters, limit: Limit = 100, offset: Offset = 0) -> AccidentCasesOut:
    rows, total = reports.accident_cases_page(db, user, f, limit, offset)
    audit.record(db, user_actor(user, ip), "coverage.accident_cases", None, None, filter=_desc(f), returned=len(rows),
                 offset=offset)
    db.commit()
    return AccidentCasesOut(items=rows, total=total, limit=limit, offset=offset)


@router.get("/coverage/summaries", response_model=list[StoredSummaryBrief],
            summary="Stored daily, weekly and monthly summaries (who: supervisor, auditor, admin)")
def stored_summaries(db: DB, user: Annotated[User, Depends(require_roles(Role.supervisor, Role.auditor, Role.admin))],
                     ip: IP, period: Literal["day", "week", "month"] | None = None) -> list[StoredSummaryBrief]:
    q = select(CoverageSummary.id, CoverageSummary.period, CoverageSummary.period_start, CoverageSummary.generated_at)
    if period:
        q = q.where(CoverageSummary.period == period)
    out = [StoredSummaryBrief.model_validate(dict(r._mapping)) for r in db.execute(q.order_by(CoverageSummary.period_start.desc()).limit(500))]
    audit.record(db, user_actor(user, ip), "coverage.stored_summaries", "coverage_summary", None, period=period,
                 returned=len(out))
    db.commit()
    return out


@router.get("/coverage/summaries/{summary_id}", response_model=StoredSummaryOut,
            summary="One stored summary (who: supervisor, auditor, admin)")
def stored_summary(summary_id: Id, db: DB, ip: IP,
                   user: Annotated[User, Depends(require_roles(Role.supervisor, Role.auditor, Role.admin))]
                   ) -> StoredSummaryOut:
    row = db.get(CoverageSummary, summary_id)
    if row is None:
        raise NotFound(f"summary {summary_id} not found")
    data = stored.view(row, user)
    audit.record(db, user_actor(user, ip), "coverage.stored_summary", "coverage_summary", row.id)
    db.commit()
    return StoredSummaryOut(id=row.id, period=row.period, period_start=row.period_start,
                            generated_at=row.generated_at, data=data)


@router.post("/events/{event_id}/links", response_model=LinkCreated,
             summary="Link a recording to an event by hand (who: case_handler, supervisor, admin)")
def link(user: Linker, event: VisibleEvent, body: LinkIn, db: DB, ip: IP) -> LinkCreated:
    rec = get_visible(db, user, body.recording_id)
    row = RecordingEventLink(recording_id=rec.id, event_id=event.id, source="manual", created_by=user.police_id)
    db.add(row)
    db.flush()
    audit.record(db, user_actor(user, ip), "event.link", "recording", rec.id, event=event.event_id, link=row.id)
    db.commit()
    return LinkCreated(link_id=row.id)


@router.delete("/events/{event_id}/links/{link_id}", response_model=LinkRemoved,
               summary="Remove a link: it is stamped removed, nothing is deleted (who: case_handler, supervisor, admin)")
def unlink(event_id: Id, link_id: Id, db: DB, user: Linker, ip: IP) -> LinkRemoved:
    row = db.get(RecordingEventLink, link_id)
    if row is None or row.event_id != event_id or row.removed_at is not None:
        raise NotFound(f"link {link_id} not found on event {event_id}")
    get_visible(db, user, row.recording_id)
    row.removed_at, row.removed_by = utcnow(), user.police_id
    audit.record(db, user_actor(user, ip), "event.unlink", "recording", row.recording_id, event=event_id, link=row.id)
    db.commit()
    return LinkRemoved(link_id=row.id, removed_at=row.removed_at)


@router.get("/events/{event_id}/links", response_model=list[LinkOut],
            summary="Links of an event, removed ones included (who: as events)")
def links(event: VisibleEvent, db: DB, user: AnyUser, ip: IP) -> list[LinkOut]:
    rows = db.scalars(select(RecordingEventLink).where(RecordingEventLink.event_id == event.id)
                      .order_by(RecordingEventLink.id))
    out = [LinkOut(link_id=r.id, recording_id=r.recording_id, source=r.source, created_at=r.created_at,
                   created_by=r.created_by, removed_at=r.removed_at, removed_by=r.removed_by) for r in rows]
    audit.record(db, user_actor(user, ip), "event.links", "enforcement_event", event.id,
                 recordings=sorted({r.recording_id for r in out}))
    db.commit()
    return out


def _desc(f: reports.EventFilter) -> dict:
    return {k: v for k, v in vars(f).items() if v is not None}
