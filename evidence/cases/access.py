"""Who may work on a case, and access beyond one's role (request → approval → expiring grant)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.cases.models import AccessRequest, Case, CaseHandler, CaseRecording
from evidence.errors import Conflict, Forbidden, Invalid, NotFound
from evidence.identity.models import Role, User
from evidence.identity.service import subtree_unit_ids, unit_within
from evidence.recordings.models import Recording
from evidence.timeutil import utcnow


def in_unit_reach(session: Session, user: User, unit_id: int | None) -> bool:
    return unit_within(session, unit_id, user.unit_id)


def can_read_case(session: Session, user: User, case: Case) -> bool:
    if user.role in (Role.admin.value, Role.auditor.value):
        return True
    if is_handler(session, user, case):
        return True
    if user.role in (Role.supervisor.value, Role.case_handler.value) and in_unit_reach(session, user, case.unit_id):
        return True
    return has_grant(session, user, case_id=case.id)


def can_work_case(session: Session, user: User, case: Case) -> bool:
    """Attach, detach, mark, change stage, export: the case's handlers, supervisors of its unit, admins."""
    if user.role == Role.admin.value:
        return True
    if user.role == Role.case_handler.value and is_handler(session, user, case):
        return True
    return user.role == Role.supervisor.value and in_unit_reach(session, user, case.unit_id)


def is_handler(session: Session, user: User, case: Case) -> bool:
    return session.scalar(select(CaseHandler.id).where(CaseHandler.case_id == case.id,
                                                       CaseHandler.user_id == user.id)) is not None


def require_work(session: Session, user: User, case: Case) -> None:
    if not can_work_case(session, user, case):
        raise Forbidden(f"{user.role} {user.police_id} may not change case {case.case_no}: only its handlers, "
                        "supervisors of its unit and admins may")


def granted_recording_ids(session: Session, user: User) -> set[int]:
    """Recordings this user may read through an approved, unexpired grant (directly or via a case)."""
    now = utcnow()
    grants = session.scalars(select(AccessRequest).where(
        AccessRequest.requester_id == user.id, AccessRequest.status == "approved", AccessRequest.expires_at > now)).all()
    ids = {g.recording_id for g in grants if g.recording_id}
    case_ids = [g.case_id for g in grants if g.case_id]
    if case_ids:
        ids |= set(session.scalars(select(CaseRecording.recording_id).where(
            CaseRecording.case_id.in_(case_ids), CaseRecording.detached_at.is_(None))))
    return ids


def has_grant(session: Session, user: User, recording_id: int | None = None, case_id: int | None = None) -> bool:
    q = select(AccessRequest.id).where(AccessRequest.requester_id == user.id, AccessRequest.status == "approved",
                                       AccessRequest.expires_at > utcnow())
    q = q.where(AccessRequest.recording_id == recording_id) if recording_id else q.where(AccessRequest.case_id == case_id)
    return session.scalar(q.limit(1)) is not None


def request_access(session: Session, user: User, reason: str, recording_id: int | None, case_id: int | None,
                   ip: str | None = None) -> AccessRequest:
    if (recording_id is None) == (case_id is None):
        raise Invalid("ask for one recording or one case")
    if len(reason.strip()) < 5:
        raise Invalid("give a reason (at least 5 characters): approvers decide on it")
    # A request for an id nothing has is kept and answered like any other (pending, for an admin to
    # reject): a different answer would tell the requester which ids exist.
    exists = (session.get(Recording, recording_id) if recording_id else session.get(Case, case_id)) is not None
    req = AccessRequest(requester_id=user.id, recording_id=recording_id if exists else None,
                        case_id=case_id if exists else None, asked_recording_id=recording_id,
                        asked_case_id=case_id, reason=reason.strip())
    session.add(req)
    session.flush()
    audit.record(session, user_actor(user, ip), "access.request", "recording" if recording_id else "case",
                 recording_id or case_id, request=req.id, reason=req.reason, exists=exists)
    return req


def owning_unit(session: Session, req: AccessRequest) -> int | None:
    """The unit whose supervisors decide; None when the id asked for does not exist (admins decide)."""
    if req.recording_id:
        return session.get(Recording, req.recording_id).unit_id
    if req.case_id:
        return session.get(Case, req.case_id).unit_id
    return None


def decide(session: Session, approver: User, request_id: int, approve: bool, expires_in_seconds: int,
           ip: str | None = None) -> AccessRequest:
    """A supervisor of the owning unit (or an admin) approves for a limited time, or rejects."""
    req = session.get(AccessRequest, request_id)
    if req is None:
        raise NotFound(f"access request {request_id} not found")
    if req.status != "pending":
        raise Conflict(f"access request {request_id} is already {req.status}")
    allowed = approver.role == Role.admin.value or (
        approver.role == Role.supervisor.value and in_unit_reach(session, approver, owning_unit(session, req)))
    if not allowed:
        raise Forbidden("only a supervisor of the unit that owns it (or an admin) may decide this request")
    if approver.id == req.requester_id:
        raise Forbidden("nobody approves their own request")
    if not 1 <= expires_in_seconds <= 30 * 24 * 3600:
        raise Invalid("a grant lasts between 1 second and 30 days")
    if approve and req.recording_id is None and req.case_id is None:
        raise Conflict(f"access request {request_id} asks for a recording or case that does not exist: "
                       "nothing to grant; reject it")
    now = utcnow()
    req.status, req.decided_by, req.decided_at = ("approved" if approve else "rejected"), approver.police_id, now
    req.expires_at = now + timedelta(seconds=expires_in_seconds) if approve else None
    audit.record(session, user_actor(approver, ip), "access.approve" if approve else "access.reject",
                 "recording" if req.recording_id or req.asked_recording_id else "case",
                 req.recording_id or req.case_id or req.asked_recording_id or req.asked_case_id, request=req.id,
                 requester=req.requester_id, expires_at=req.expires_at.isoformat() if req.expires_at else None)
    return req


def pending_for(session: Session, approver: User) -> list[AccessRequest]:
    reqs = session.scalars(select(AccessRequest).where(AccessRequest.status == "pending")
                           .order_by(AccessRequest.id)).all()
    if approver.role == Role.admin.value:
        return list(reqs)
    return [r for r in reqs if in_unit_reach(session, approver, owning_unit(session, r))]


def visible_case_filter(session: Session, user: User):
    """SQL condition for the cases a user may list."""
    if user.role in (Role.admin.value, Role.auditor.value):
        return None
    handled = select(CaseHandler.case_id).where(CaseHandler.user_id == user.id)
    conds = [Case.id.in_(handled)]
    if user.role in (Role.supervisor.value, Role.case_handler.value) and user.unit_id is not None:
        conds.append(Case.unit_id.in_(subtree_unit_ids(session, user.unit_id)))
    return or_(*conds)
