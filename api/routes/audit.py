"""The audit log. Who: admin and auditor."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DB, IP, AdminOrAuditor
from api.schemas import ChainOut
from evidence import audit
from evidence.catalog import user_actor

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/verify", response_model=ChainOut, summary="Check the hash chain (who: admin, auditor)")
def verify(db: DB, user: AdminOrAuditor, ip: IP) -> ChainOut:
    report = audit.verify_chain(db)
    db.rollback()
    audit.record(db, user_actor(user, ip), "audit.verify", None, None, ok=report.ok, entries=report.entries)
    db.commit()
    return ChainOut(ok=report.ok, entries=report.entries, first_bad_id=report.first_bad_id, reason=report.reason)
