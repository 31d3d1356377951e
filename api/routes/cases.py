"""Cases, evidence attachments, legal holds, retention, access approvals and court exports.

Who: creating cases — case_handler, supervisor, admin; reading a case — its handlers,
supervisors and case handlers of its unit (and below), auditors, admins, and holders of a
grant; changing it (stage, attach, detach, marks, suggestions) and exporting — its handlers,
supervisors of its unit, admins (never officers or auditors); legal holds — supervisor, admin.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import DB, IP, AccessDecider, AnyUser, CurrentCase, ReadableRecording, Store, require_roles
from api.export_stream import stream_export
from evidence.actors import user_actor
from evidence.audit import service as audit, signing
from evidence.cases import access, export, retention
from evidence.cases import service as cases
from evidence.cases.models import AccessRequest, Case, CaseStageChange, RetentionRun
from evidence.cases.schemas import (AccessIn, AccessRequestOut, AccessRequestsOut, AttachIn, AttachmentOut,
                                    CaseBrief, MarksOut, CaseHoldOut, CaseIn, CaseOut, DecisionIn, DetachedOut,
                                    FlagsIn, FlagsOut, FromLedgerIn, GrantIn, HoldIn, MarksIn, RecordingHoldOut,
                                    RetentionRunOut, SigningKeysOut, StageChangeOut, StageIn, SuggestionOut, SweepIn,
                                    SweepReport)
from evidence.errors import Conflict
from evidence.identity.models import Role, User
from evidence.types import Id

router = APIRouter(prefix="/api/v1", tags=["cases"])
Creator = Annotated[User, Depends(require_roles(Role.case_handler, Role.supervisor, Role.admin))]
Holder = Annotated[User, Depends(require_roles(Role.supervisor, Role.admin))]
Flagger = Annotated[User, Depends(require_roles(Role.case_handler, Role.supervisor, Role.admin))]
Admin = Annotated[User, Depends(require_roles(Role.admin))]
AdminOrAuditor = Annotated[User, Depends(require_roles(Role.admin, Role.auditor))]


class ZipResponse(StreamingResponse):
    media_type = "application/zip"


def _case_out(db, case: Case, user: User) -> CaseOut:
    return CaseOut(
        id=case.id, case_no=case.case_no, case_type=case.case_type, title=case.title, unit_id=case.unit_id,
        stage=case.stage, legal_hold=case.legal_hold, hold_reason=case.hold_reason, created_at=case.created_at,
        created_by=case.created_by,
        recordings=[AttachmentOut(attachment_id=a.id, recording_id=a.recording_id, mark_in=a.mark_in,
                                  mark_out=a.mark_out, mark_in_frame=a.mark_in_frame,
                                  mark_out_frame=a.mark_out_frame, note=a.note, attached_by=a.attached_by,
                                  attached_at=a.attached_at, detached_at=a.detached_at, detached_by=a.detached_by)
                    for a in cases.attachments(db, case, include_detached=True)],
        stage_history=[StageChangeOut(from_=c.from_stage, to=c.to_stage, at=c.at, by=c.by, note=c.note)
                       for c in db.scalars(select(CaseStageChange).where(CaseStageChange.case_id == case.id)
                                           .order_by(CaseStageChange.id))],
        suggestions=cases.suggestions(db, case) if access.can_work_case(db, user, case) else [],
    )


def _req_out(db: Session, r: AccessRequest) -> AccessRequestOut:
    who = db.get(User, r.requester_id)
    return AccessRequestOut(id=r.id, requester_id=r.requester_id, recording_id=r.recording_id or r.asked_recording_id,
                            case_id=r.case_id or r.asked_case_id, reason=r.reason, status=r.status,
                            decided_by=r.decided_by, decided_at=r.decided_at, expires_at=r.expires_at,
                            created_at=r.created_at, requester_police_id=who.police_id if who else None,
                            requester_name=who.name if who else None)


@router.post("/cases", status_code=201, response_model=CaseOut,
             summary="Create a case (who: case_handler, supervisor, admin)")
def create_case(body: CaseIn, db: DB, user: Creator, ip: IP) -> CaseOut:
    case = cases.create_case(db, user, body.case_no, body.case_type, body.title, body.unit_code, body.handlers, ip)
    db.commit()
    return _case_out(db, case, user)


@router.post("/cases/from-ledger", status_code=201, response_model=CaseOut,
             summary="Create a case from a ledger case number; its events' recordings become suggestions (who: case_handler, supervisor, admin)")
def case_from_ledger(body: FromLedgerIn, db: DB, user: Creator, ip: IP) -> CaseOut:
    case = cases.create_from_ledger(db, user, body.case_no, ip)
    db.commit()
    return _case_out(db, case, user)


@router.get("/cases", response_model=list[CaseBrief],
            summary="Cases one may read (who: any user; officers see only cases they handle)")
def list_cases(db: DB, user: AnyUser, ip: IP) -> list[CaseBrief]:
    q = select(Case).order_by(Case.id.desc()).limit(500)
    cond = access.visible_case_filter(db, user)
    if cond is not None:
        q = q.where(cond)
    out = [CaseBrief(id=c.id, case_no=c.case_no, case_type=c.case_type, title=c.title, stage=c.stage,
                     legal_hold=c.legal_hold) for c in db.scalars(q)]
    audit.record(db, user_actor(user, ip), "case.list", "case", None, returned=len(out))
    db.commit()
    return out


@router.get("/cases/{case_id}", response_model=CaseOut,
            summary="A case with its evidence, stage history and suggestions (who: readers of the case)")
def get_case(case: CurrentCase, db: DB, user: AnyUser, ip: IP) -> CaseOut:
    audit.record(db, user_actor(user, ip), "case.read", "case", case.id)
    db.commit()
    return _case_out(db, case, user)


@router.post("/cases/{case_id}/stage", response_model=CaseOut,
             summary="Move the case to its next stage (who: its handlers, unit supervisors, admin)")
def change_stage(case: CurrentCase, body: StageIn, db: DB, user: AnyUser, ip: IP) -> CaseOut:
    cases.change_stage(db, user, case, body.stage, body.note, ip)
    db.commit()
    return _case_out(db, case, user)


@router.post("/cases/{case_id}/recordings", status_code=201, response_model=MarksOut,
             summary="Attach a recording, with optional in/out marks and a note (who: its handlers, unit supervisors, admin)")
def attach(case: CurrentCase, body: AttachIn, db: DB, store: Store, user: AnyUser, ip: IP) -> MarksOut:
    row = cases.attach(db, store, user, case, body.recording_id, body.mark_in, body.mark_out, body.note, ip,
                       body.mark_in_frame, body.mark_out_frame)
    db.commit()
    return _marks_out(row)


@router.patch("/cases/{case_id}/recordings/{attachment_id}", response_model=MarksOut,
              summary="Change an attachment's marks and note (who: its handlers, unit supervisors, admin)")
def marks(case: CurrentCase, attachment_id: Id, body: MarksIn, db: DB, user: AnyUser, ip: IP) -> MarksOut:
    row = cases.update_marks(db, user, case, attachment_id, body.mark_in, body.mark_out, body.note, ip,
                             body.mark_in_frame, body.mark_out_frame)
    db.commit()
    return _marks_out(row)


def _marks_out(row) -> MarksOut:
    return MarksOut(attachment_id=row.id, mark_in=row.mark_in, mark_out=row.mark_out, mark_in_frame=row.mark_in_frame,
                    mark_out_frame=row.mark_out_frame, note=row.note)


@router.delete("/cases/{case_id}/recordings/{attachment_id}", response_model=DetachedOut,
               summary="Detach a recording: stamped, nothing deleted (who: its handlers, unit supervisors, admin)")
def detach(case: CurrentCase, attachment_id: Id, db: DB, store: Store, user: AnyUser, ip: IP) -> DetachedOut:
    row = cases.detach(db, store, user, case, attachment_id, ip)
    db.commit()
    return DetachedOut(attachment_id=row.id, detached_at=row.detached_at)


@router.post("/cases/{case_id}/suggestions/{recording_id}", response_model=SuggestionOut,
             summary="Accept or reject a suggested recording (who: its handlers, unit supervisors, admin)")
def suggestion(case: CurrentCase, recording_id: Id, body: DecisionIn, db: DB, store: Store, user: AnyUser,
               ip: IP) -> SuggestionOut:
    row = cases.decide_suggestion(db, store, user, case, recording_id, body.accept, ip)
    db.commit()
    return SuggestionOut(accepted=body.accept, attachment_id=row.id if row else None)


@router.post("/cases/{case_id}/hold", response_model=CaseHoldOut,
             summary="Place or release a legal hold on a whole case (who: supervisor, admin)")
def case_hold(user: Holder, case: CurrentCase, body: HoldIn, db: DB, store: Store, ip: IP) -> CaseHoldOut:
    cases.set_case_hold(db, store, user, case, body.hold, body.reason, ip)
    db.commit()
    return CaseHoldOut(case_id=case.id, legal_hold=case.legal_hold)


@router.get("/cases/{case_id}/export", response_class=ZipResponse,
            responses={200: {"description": "the signed court export, streamed as it is built",
                             "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
            summary="Download the court export ZIP, streamed (who: case handlers of the case, unit supervisors, admin)")
def export_case(case: CurrentCase, db: DB, user: AnyUser, ip: IP, proxies: bool = False) -> ZipResponse:
    export.check_may_export(db, user, case)
    if not cases.attachments(db, case):
        raise Conflict(f"case {case.case_no} has no attached recordings to export")
    user_id, case_id, case_no = user.id, case.id, case.case_no
    db.rollback()  # end the request's transaction: on SQLite it holds the write lock until it ends
    body = stream_export(user_id, case_id, case_no, proxies, ip)
    return ZipResponse(body, headers={"Content-Disposition": f'attachment; filename="case-{case_no}.zip"'})


@router.get("/signing-key", response_model=SigningKeysOut,
            responses={200: {"headers": {"X-Key-Fingerprint": {
                "description": "fingerprint of the current key (empty when none)", "schema": {"type": "string"}}}}},
            summary="The service's signing keys: current fingerprint, retired keys with validity (who: anyone)")
def signing_key(db: DB) -> JSONResponse:
    """Public on purpose: a court pins the fingerprint (or saves this list for `verify.py --public-key`)."""
    listing = SigningKeysOut.model_validate(signing.published(db))
    db.commit()
    return JSONResponse(listing.model_dump(mode="json"), headers={"X-Key-Fingerprint": listing.current or ""})


@router.post("/recordings/{recording_id}/flags", response_model=FlagsOut,
             summary="Flag a recording (obstruction, major_incident): raises its retention (who: case_handler, supervisor, admin)")
def flags(user: Flagger, rec: ReadableRecording, body: FlagsIn, db: DB, store: Store, ip: IP) -> FlagsOut:
    retention.set_flags(db, store, rec, body.flags, user_actor(user, ip))
    db.commit()
    return FlagsOut(recording_id=rec.id, flags=rec.flags, retention_class=rec.retention_class,
                    retain_until=rec.retain_until)


@router.post("/recordings/{recording_id}/hold", response_model=RecordingHoldOut,
             summary="Place or release a legal hold on a recording (who: supervisor, admin)")
def recording_hold(user: Holder, rec: ReadableRecording, body: HoldIn, db: DB, store: Store,
                   ip: IP) -> RecordingHoldOut:
    retention.set_hold(db, store, rec, body.hold, body.reason, user_actor(user, ip))
    db.commit()
    return RecordingHoldOut(recording_id=rec.id, legal_hold=rec.legal_hold)


@router.post("/access-requests", status_code=201, response_model=AccessRequestOut,
             summary="Ask for access beyond one's role to a recording or case, with a reason (who: any user)")
def request_access(body: AccessIn, db: DB, user: AnyUser, ip: IP) -> AccessRequestOut:
    req = access.request_access(db, user, body.reason, body.recording_id, body.case_id, ip)
    db.commit()
    return _req_out(db, req)


@router.get("/access-requests", response_model=AccessRequestsOut,
            summary="My requests, and those I may decide (who: any user)")
def list_requests(db: DB, user: AnyUser, ip: IP) -> AccessRequestsOut:
    mine = db.scalars(select(AccessRequest).where(AccessRequest.requester_id == user.id).order_by(AccessRequest.id))
    decide = access.pending_for(db, user) if user.role in (Role.supervisor.value, Role.admin.value) else []
    out = AccessRequestsOut(mine=[_req_out(db, r) for r in mine], to_decide=[_req_out(db, r) for r in decide])
    audit.record(db, user_actor(user, ip), "access.list", "access_request", None, mine=len(out.mine),
                 to_decide=[r.id for r in out.to_decide])
    db.commit()
    return out


@router.post("/access-requests/{request_id}/decision", response_model=AccessRequestOut,
             summary="Approve (for a limited time) or reject (who: supervisor of the owning unit, admin)")
def decide(request_id: Id, body: GrantIn, db: DB, user: AccessDecider, ip: IP) -> AccessRequestOut:
    req = access.decide(db, user, request_id, body.approve, body.expires_in_seconds, ip)
    db.commit()
    return _req_out(db, req)


@router.post("/retention/sweep", response_model=SweepReport,
             summary="Run the retention sweep; dry_run (default) only writes the report (who: admin)")
def sweep(body: SweepIn, db: DB, store: Store, user: Admin, ip: IP) -> SweepReport:
    report = retention.sweep(db, store, body.dry_run, user_actor(user, ip))
    db.commit()
    return SweepReport.model_validate(report)


@router.get("/retention/runs", response_model=list[RetentionRunOut], summary="Reports of past sweeps (who: admin, auditor)")
def runs(db: DB, user: AdminOrAuditor, ip: IP) -> list[RetentionRunOut]:
    out = [RetentionRunOut(id=r.id, started_at=r.started_at, dry_run=r.dry_run, report=json.loads(r.report))
           for r in db.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(100))]
    audit.record(db, user_actor(user, ip), "retention.runs", "retention_run", None, returned=[r.id for r in out])
    db.commit()
    return out
