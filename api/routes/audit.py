"""The audit log. Who: admin and auditor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DB, IP, AdminOrAuditor, Store
from evidence.actors import user_actor
from evidence.audit import service as audit, anchor as audit_anchor, reports as audit_reports
from evidence.audit.schemas import AccessByUser, AuditEntryOut, OutsideUnitView
from evidence.audit.schemas import ChainOut
from evidence.config import get_settings
from evidence.timeutil import to_utc
from evidence.types import BigId

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


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
                    checkpoint_problems=anchors.problems)


@router.get("/entries", response_model=list[AuditEntryOut],
            summary="Read the log with filters: who, what, when, which recording or case (who: admin, auditor)")
def read_entries(db: DB, user: AdminOrAuditor, ip: IP, actor: str | None = None, action: str | None = None,
                 object_type: str | None = None, object_id: str | None = None,
                 start: datetime | None = None, end: datetime | None = None, after_id: BigId = 0,
                 limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[AuditEntryOut]:
    tz = get_settings().timezone
    rows = audit_reports.entries(db, actor, action, object_type, object_id, to_utc(start, tz) if start else None,
                                 to_utc(end, tz) if end else None, limit, after_id)
    audit.record(db, user_actor(user, ip), "audit.read", None, None, returned=len(rows))
    db.commit()
    return rows  # validated by the response model


@router.get("/report/access", response_model=list[AccessByUser],
            summary="Who viewed, downloaded or exported what in a period (who: admin, auditor)")
def access_report(db: DB, user: AdminOrAuditor, ip: IP, start: datetime | None = None,
                  end: datetime | None = None) -> list[AccessByUser]:
    tz = get_settings().timezone
    rows = audit_reports.who_accessed(db, to_utc(start, tz) if start else None, to_utc(end, tz) if end else None)
    audit.record(db, user_actor(user, ip), "audit.report", None, None, report="access")
    db.commit()
    return rows  # validated by the response model


@router.get("/report/outside-unit", response_model=list[OutsideUnitView],
            summary="Recordings accessed by people outside their unit (who: admin, auditor)")
def outside_unit(db: DB, user: AdminOrAuditor, ip: IP, start: datetime | None = None,
                 end: datetime | None = None) -> list[OutsideUnitView]:
    tz = get_settings().timezone
    rows = audit_reports.outside_unit_views(db, to_utc(start, tz) if start else None, to_utc(end, tz) if end else None)
    audit.record(db, user_actor(user, ip), "audit.report", None, None, report="outside_unit")
    db.commit()
    return rows  # validated by the response model
