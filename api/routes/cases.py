"""Cases, evidence attachments, legal holds, retention, access approvals and court exports.

Who: creating cases — case_handler, supervisor, admin; reading a case — its handlers,
supervisors and case handlers of its unit (and below), auditors, admins, and holders of a
grant; changing it (stage, attach, detach, marks, suggestions) and exporting — its handlers,
supervisors of its unit, admins (never officers or auditors); legal holds — supervisor, admin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import DB, IP, AnyUser, Store, require_roles
from api.export_stream import stream_export
from api.types import Id
from evidence import audit, signing
from evidence.actors import user_actor
from evidence.cases import access, export, retention
from evidence.cases import service as cases
from evidence.cases.models import AccessRequest, Case, CaseStageChange, RetentionRun
from evidence.catalog import get_visible
from evidence.errors import Forbidden, NotFound
from evidence.models import Role, User

router = APIRouter(prefix="/api/v1", tags=["cases"])
Creator = Annotated[User, Depends(require_roles(Role.case_handler, Role.supervisor, Role.admin))]
Holder = Annotated[User, Depends(require_roles(Role.supervisor, Role.admin))]
Flagger = Annotated[User, Depends(require_roles(Role.case_handler, Role.supervisor, Role.admin))]
Admin = Annotated[User, Depends(require_roles(Role.admin))]


class CaseIn(BaseModel):
    case_no: str = Field(min_length=1, max_length=64)
    case_type: str
    title: str = Field("", max_length=300)
    unit_code: str | None = None
    handlers: list[str] = Field(default_factory=list, description="警号 of the case handlers")


class FromLedgerIn(BaseModel):
    case_no: str = Field(min_length=1, max_length=64)


class StageIn(BaseModel):
    stage: str
    note: str | None = Field(None, max_length=2000)


class AttachIn(BaseModel):
    recording_id: Id
    mark_in: float | None = None
    mark_out: float | None = None
    mark_in_frame: int | None = Field(None, ge=0, description="Frame shown at mark_in; computed from the frame rate when absent")
    mark_out_frame: int | None = Field(None, ge=0, description="Frame shown at mark_out; computed when absent")
    note: str | None = Field(None, max_length=2000)


class MarksIn(BaseModel):
    mark_in: float | None = None
    mark_out: float | None = None
    mark_in_frame: int | None = Field(None, ge=0)
    mark_out_frame: int | None = Field(None, ge=0)
    note: str | None = Field(None, max_length=2000)


class DecisionIn(BaseModel):
    accept: bool


class HoldIn(BaseModel):
    hold: bool
    reason: str | None = Field(None, max_length=2000)


class FlagsIn(BaseModel):
    flags: list[str]


class AccessIn(BaseModel):
    recording_id: Id | None = None
    case_id: Id | None = None
    reason: str = Field(max_length=2000)


class GrantIn(BaseModel):
    approve: bool
    expires_in_seconds: int = Field(24 * 3600, description="how long the grant lasts (1 s – 30 days)")


class SweepIn(BaseModel):
    dry_run: bool = True


def _case_out(db, case: Case, user: User) -> dict:
    return {
        "id": case.id, "case_no": case.case_no, "case_type": case.case_type, "title": case.title,
        "unit_id": case.unit_id, "stage": case.stage, "legal_hold": case.legal_hold, "hold_reason": case.hold_reason,
        "created_at": case.created_at, "created_by": case.created_by,
        "recordings": [{"attachment_id": a.id, "recording_id": a.recording_id, "mark_in": a.mark_in,
                        "mark_out": a.mark_out, "mark_in_frame": a.mark_in_frame, "mark_out_frame": a.mark_out_frame,
                        "note": a.note, "attached_by": a.attached_by,
                        "attached_at": a.attached_at, "detached_at": a.detached_at, "detached_by": a.detached_by}
                       for a in cases.attachments(db, case, include_detached=True)],
        "stage_history": [{"from": c.from_stage, "to": c.to_stage, "at": c.at, "by": c.by, "note": c.note}
                          for c in db.scalars(select(CaseStageChange).where(CaseStageChange.case_id == case.id)
                                              .order_by(CaseStageChange.id))],
        "suggestions": cases.suggestions(db, case) if access.can_work_case(db, user, case) else [],
    }


def _readable_case(db, user: User, case_id: int) -> Case:
    case = db.get(Case, case_id)
    if case is None or not access.can_read_case(db, user, case):
        raise NotFound(f"case {case_id} not found")
    return case


@router.post("/cases", status_code=201, summary="Create a case (who: case_handler, supervisor, admin)")
def create_case(body: CaseIn, db: DB, user: Creator, ip: IP):
    case = cases.create_case(db, user, body.case_no, body.case_type, body.title, body.unit_code, body.handlers, ip)
    db.commit()
    return _case_out(db, case, user)


@router.post("/cases/from-ledger", status_code=201,
             summary="Create a case from a ledger case number; its events' recordings become suggestions (who: case_handler, supervisor, admin)")
def case_from_ledger(body: FromLedgerIn, db: DB, user: Creator, ip: IP):
    case = cases.create_from_ledger(db, user, body.case_no, ip)
    db.commit()
    return _case_out(db, case, user)


@router.get("/cases", summary="Cases one may read (who: any user; officers see only cases they handle)")
def list_cases(db: DB, user: AnyUser, ip: IP):
    q = select(Case).order_by(Case.id.desc()).limit(500)
    cond = access.visible_case_filter(db, user)
    if cond is not None:
        q = q.where(cond)
    out = [{"id": c.id, "case_no": c.case_no, "case_type": c.case_type, "title": c.title, "stage": c.stage,
            "legal_hold": c.legal_hold} for c in db.scalars(q)]
    audit.record(db, user_actor(user, ip), "case.list", "case", None, returned=len(out))
    db.commit()
    return out


@router.get("/cases/{case_id}", summary="A case with its evidence, stage history and suggestions (who: readers of the case)")
def get_case(case_id: Id, db: DB, user: AnyUser, ip: IP):
    case = _readable_case(db, user, case_id)
    audit.record(db, user_actor(user, ip), "case.read", "case", case.id)
    db.commit()
    return _case_out(db, case, user)


@router.post("/cases/{case_id}/stage", summary="Move the case to its next stage (who: its handlers, unit supervisors, admin)")
def change_stage(case_id: Id, body: StageIn, db: DB, user: AnyUser, ip: IP):
    case = _readable_case(db, user, case_id)
    cases.change_stage(db, user, case, body.stage, body.note, ip)
    db.commit()
    return _case_out(db, case, user)


@router.post("/cases/{case_id}/recordings", status_code=201,
             summary="Attach a recording, with optional in/out marks and a note (who: its handlers, unit supervisors, admin)")
def attach(case_id: Id, body: AttachIn, db: DB, store: Store, user: AnyUser, ip: IP):
    case = _readable_case(db, user, case_id)
    row = cases.attach(db, store, user, case, body.recording_id, body.mark_in, body.mark_out, body.note, ip,
                       body.mark_in_frame, body.mark_out_frame)
    db.commit()
    return {"attachment_id": row.id, **_marks_out(row)}


@router.patch("/cases/{case_id}/recordings/{attachment_id}",
              summary="Change an attachment's marks and note (who: its handlers, unit supervisors, admin)")
def marks(case_id: Id, attachment_id: Id, body: MarksIn, db: DB, user: AnyUser, ip: IP):
    case = _readable_case(db, user, case_id)
    row = cases.update_marks(db, user, case, attachment_id, body.mark_in, body.mark_out, body.note, ip,
                             body.mark_in_frame, body.mark_out_frame)
    db.commit()
    return {"attachment_id": attachment_id, **_marks_out(row)}


def _marks_out(row) -> dict:
    return {"mark_in": row.mark_in, "mark_out": row.mark_out, "mark_in_frame": row.mark_in_frame,
            "mark_out_frame": row.mark_out_frame, "note": row.note}


@router.delete("/cases/{case_id}/recordings/{attachment_id}",
               summary="Detach a recording: stamped, nothing deleted (who: its handlers, unit supervisors, admin)")
def detach(case_id: Id, attachment_id: Id, db: DB, store: Store, user: AnyUser, ip: IP):
    case = _readable_case(db, user, case_id)
    row = cases.detach(db, store, user, case, attachment_id, ip)
    db.commit()
    return {"attachment_id": row.id, "detached_at": row.detached_at}


@router.post("/cases/{case_id}/suggestions/{recording_id}",
             summary="Accept or reject a suggested recording (who: its handlers, unit supervisors, admin)")
def suggestion(case_id: Id, recording_id: Id, body: DecisionIn, db: DB, store: Store, user: AnyUser, ip: IP):
    case = _readable_case(db, user, case_id)
    row = cases.decide_suggestion(db, store, user, case, recording_id, body.accept, ip)
    db.commit()
    return {"accepted": body.accept, "attachment_id": row.id if row else None}


@router.post("/cases/{case_id}/hold", summary="Place or release a legal hold on a whole case (who: supervisor, admin)")
def case_hold(case_id: Id, body: HoldIn, db: DB, store: Store, user: Holder, ip: IP):
    case = _readable_case(db, user, case_id)
    cases.set_case_hold(db, store, user, case, body.hold, body.reason, ip)
    db.commit()
    return {"case_id": case.id, "legal_hold": case.legal_hold}


@router.get("/cases/{case_id}/export",
            summary="Download the court export ZIP, streamed (who: case handlers of the case, unit supervisors, admin)")
def export_case(case_id: Id, db: DB, user: AnyUser, ip: IP, proxies: bool = False):
    case = _readable_case(db, user, case_id)
    export.check_may_export(db, user, case)
    if not cases.attachments(db, case):
        from evidence.errors import Conflict

        raise Conflict(f"case {case.case_no} has no attached recordings to export")
    user_id, case_no = user.id, case.case_no
    db.rollback()  # end the request's transaction: on SQLite it holds the write lock until it ends
    body = stream_export(user_id, case_id, case_no, proxies, ip)
    return StreamingResponse(body, media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="case-{case_no}.zip"'})


@router.get("/signing-key", summary="The service's signing keys: current fingerprint, retired keys with validity (who: anyone)")
def signing_key(db: DB):
    """Public on purpose: a court pins the fingerprint (or saves this list for `verify.py --public-key`)."""
    listing = signing.published(db)
    db.commit()
    return JSONResponse(listing, headers={"X-Key-Fingerprint": listing["current"] or ""})


@router.post("/recordings/{recording_id}/flags",
             summary="Flag a recording (obstruction, major_incident): raises its retention (who: case_handler, supervisor, admin)")
def flags(recording_id: Id, body: FlagsIn, db: DB, store: Store, user: Flagger, ip: IP):
    rec = get_visible(db, user, recording_id)
    retention.set_flags(db, store, rec, body.flags, user_actor(user, ip))
    db.commit()
    return {"recording_id": rec.id, "flags": rec.flags, "retention_class": rec.retention_class,
            "retain_until": rec.retain_until}


@router.post("/recordings/{recording_id}/hold", summary="Place or release a legal hold on a recording (who: supervisor, admin)")
def recording_hold(recording_id: Id, body: HoldIn, db: DB, store: Store, user: Holder, ip: IP):
    rec = get_visible(db, user, recording_id)
    retention.set_hold(db, store, rec, body.hold, body.reason, user_actor(user, ip))
    db.commit()
    return {"recording_id": rec.id, "legal_hold": rec.legal_hold}


@router.post("/access-requests", status_code=201,
             summary="Ask for access beyond one's role to a recording or case, with a reason (who: any user)")
def request_access(body: AccessIn, db: DB, user: AnyUser, ip: IP):
    req = access.request_access(db, user, body.reason, body.recording_id, body.case_id, ip)
    db.commit()
    return _req_out(req)


@router.get("/access-requests", summary="My requests, and those I may decide (who: any user)")
def list_requests(db: DB, user: AnyUser, ip: IP):
    mine = db.scalars(select(AccessRequest).where(AccessRequest.requester_id == user.id).order_by(AccessRequest.id))
    decide = access.pending_for(db, user) if user.role in (Role.supervisor.value, Role.admin.value) else []
    out = {"mine": [_req_out(r) for r in mine], "to_decide": [_req_out(r) for r in decide]}
    audit.record(db, user_actor(user, ip), "access.list", "access_request", None, mine=len(out["mine"]),
                 to_decide=[r["id"] for r in out["to_decide"]])
    db.commit()
    return out


@router.post("/access-requests/{request_id}/decision",
             summary="Approve (for a limited time) or reject (who: supervisor of the owning unit, admin)")
def decide(request_id: Id, body: GrantIn, db: DB, user: AnyUser, ip: IP):
    if user.role not in (Role.supervisor.value, Role.admin.value):
        raise Forbidden("only supervisors and admins decide access requests")
    req = access.decide(db, user, request_id, body.approve, body.expires_in_seconds, ip)
    db.commit()
    return _req_out(req)


def _req_out(r: AccessRequest) -> dict:
    return {"id": r.id, "requester_id": r.requester_id, "recording_id": r.recording_id or r.asked_recording_id,
            "case_id": r.case_id or r.asked_case_id,
            "reason": r.reason, "status": r.status, "decided_by": r.decided_by, "decided_at": r.decided_at,
            "expires_at": r.expires_at, "created_at": r.created_at}


@router.post("/retention/sweep",
             summary="Run the retention sweep; dry_run (default) only writes the report (who: admin)")
def sweep(body: SweepIn, db: DB, store: Store, user: Admin, ip: IP):
    report = retention.sweep(db, store, body.dry_run, user_actor(user, ip))
    db.commit()
    return report


@router.get("/retention/runs", summary="Reports of past sweeps (who: admin, auditor)")
def runs(db: DB, user: Annotated[User, Depends(require_roles(Role.admin, Role.auditor))], ip: IP):
    import json

    out = [{"id": r.id, "started_at": r.started_at, "dry_run": r.dry_run, "report": json.loads(r.report)}
           for r in db.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(100))]
    audit.record(db, user_actor(user, ip), "retention.runs", "retention_run", None, returned=[r["id"] for r in out])
    db.commit()
    return out
