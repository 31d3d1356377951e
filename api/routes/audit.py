"""The audit log. Who: admin and auditor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import DB, IP, AdminOrAuditor, Store
from evidence.actors import user_actor
from evidence.audit import service as audit, anchor as audit_anchor, reports as audit_reports
from evidence.audit import report_files
from evidence.audit.schemas import AccessByUser, AuditEntryOut, OutsideUnitView
from evidence.audit.schemas import ChainOut
from evidence.config import get_settings
from evidence.timeutil import to_utc
from evidence.types import BigId

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Format = Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a download as csv / xlsx")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = {"schema": {"type": "string", "format": "binary"}}
# json answers with the model; format=csv or xlsx with a file to download.
DOWNLOADS = {200: {"content": {"text/csv": FILE, XLSX: FILE}}}


def _file(kind: str, fmt: str, rows: list[dict]) -> Response:
    name = f"audit-{kind.replace('_', '-')}.{fmt}"
    return Response(report_files.as_file(kind, fmt, rows), media_type="text/csv" if fmt == "csv" else XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/verify", response_model=ChainOut,
            summary="Check the hash chain and its signed checkpoints (who: admin, auditor)")
def verify(db: DB, store: Store, user: AdminOrAuditor, ip: IP) -> ChainOut:
    report = audit.verify_chain(db)
    try:
        anchors = audit_anchor.verify(db, store)
    except Exception as exc:  # storage down: the log is not vouched for
        anchors = audit_anchor.AnchorReport(False, 0, problems=[f"checkpoints could not be read: {exc}"])
    db.rollback()
    ok = report.ok and anchors.ok
    audit.record(db, user_actor(user, ip), "audit.verify", None, None, ok=ok, entries=report.entries)
    db.commit()
    return ChainOut(ok=ok, entries=report.entries, first_bad_id=report.first_bad_id, reason=report.reason,
                    anchored_entry=anchors.last["entry_id"] if anchors.last else None,
                    unanchored_entries=anchors.unanchored if anchors.last else None,
                    checkpoint_problems=anchors.problems, checkpoints=anchors.checkpoints,
                    anchored_signed_at=datetime.fromisoformat(anchors.last["signed_at"]) if anchors.last else None,
                    anchored_key_id=anchors.last.get("key_id") if anchors.last else None)


@router.get("/entries", response_model=list[AuditEntryOut],
            summary="Read the log with filters: who, what, when, which recording or case (who: admin, auditor)")
def read_entries(db: DB, user: AdminOrAuditor, ip: IP, actor: str | None = None, action: str | None = None,
                 object_type: str | None = None, object_id: str | None = None,
                 start: datetime | None = None, end: datetime | None = None, after_id: BigId = 0,
                 before_id: Annotated[BigId | None, Query(description="only entries older than this id")] = None,
                 newest_first: Annotated[bool, Query(description="newest first (page on with before_id)")] = False,
                 limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[AuditEntryOut]:
    tz = get_settings().timezone
    rows = audit_reports.entries(db, actor, action, object_type, object_id, to_utc(start, tz) if start else None,
                                 to_utc(end, tz) if end else None, limit, after_id, before_id, newest_first)
    audit.record(db, user_actor(user, ip), "audit.read", None, None, returned=len(rows))
    db.commit()
    return rows  # validated by the response model


@router.get("/report/access", response_model=list[AccessByUser], responses=DOWNLOADS,
            summary="Who viewed, downloaded or exported what in a period (who: admin, auditor)")
def access_report(db: DB, user: AdminOrAuditor, ip: IP, start: datetime | None = None,
                  end: datetime | None = None, format: Format = "json") -> list[AccessByUser] | Response:
    tz = get_settings().timezone
    rows = audit_reports.who_accessed(db, to_utc(start, tz) if start else None, to_utc(end, tz) if end else None)
    audit.record(db, user_actor(user, ip), "audit.report", None, None, report="access", format=format)
    db.commit()
    if format != "json":
        return _file("access", format, rows)
    return rows  # validated by the response model


@router.get("/report/outside-unit", response_model=list[OutsideUnitView], responses=DOWNLOADS,
            summary="Recordings accessed by people outside their unit (who: admin, auditor)")
def outside_unit(db: DB, user: AdminOrAuditor, ip: IP, start: datetime | None = None,
                 end: datetime | None = None, format: Format = "json") -> list[OutsideUnitView] | Response:
    tz = get_settings().timezone
    rows = audit_reports.outside_unit_views(db, to_utc(start, tz) if start else None, to_utc(end, tz) if end else None)
    audit.record(db, user_actor(user, ip), "audit.report", None, None, report="outside_unit", format=format)
    db.commit()
    if format != "json":
        return _file("outside_unit", format, rows)
    return rows  # validated by the response model
