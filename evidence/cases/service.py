"""Cases: creation (by hand or from the ledger's case numbers), stages with history, handlers,
evidence attachments with marks, and suggestions from the recordings linked to the case's events."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.cases import marks, retention
from evidence.cases.access import in_unit_reach, require_work
from evidence.cases.models import (CASE_TYPES, NEXT_STAGES, STAGES, Case, CaseHandler, CaseRecording,
                                   CaseStageChange, SuggestionDecision)
from evidence.coverage.models import EnforcementEvent, RecordingEventLink
from evidence.coverage.reports import visible_events
from evidence.errors import Conflict, Forbidden, Invalid, NotFound
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids, unit_by_code
from evidence.recordings.models import Recording, RecordingStatus
from evidence.recordings.service import get_visible
from evidence.timeutil import utcnow
from storage.s3 import ObjectStore

CREATORS = {Role.case_handler.value, Role.supervisor.value, Role.admin.value}
LEDGER_TYPES = {"accident": "accident", "ticket": "violation", "vehicle_seizure": "violation",
                "license_seizure": "violation", "check": "other"}


def create_case(session: Session, user: User, case_no: str, case_type: str, title: str, unit_code: str | None,
                handler_police_ids: list[str], ip: str | None = None) -> Case:
    if user.role not in CREATORS:
        raise Forbidden(f"role {user.role} may not create cases")
    if case_type not in CASE_TYPES:
        raise Invalid(f"case_type must be one of {', '.join(CASE_TYPES)}")
    if not case_no.strip() or len(case_no) > 64:
        raise Invalid("case_no must be 1-64 characters")
    if session.scalar(select(Case.id).where(Case.case_no == case_no)):
        raise Conflict(f"case {case_no} already exists")
    unit_id = unit_by_code(session, unit_code).id if unit_code else user.unit_id
    if user.role != Role.admin.value and not in_unit_reach(session, user, unit_id):
        raise Forbidden(f"{user.role} {user.police_id} may create cases only for their own unit and the units "
                        f"under it, not for {unit_code or 'no unit'}")
    if user.role != Role.admin.value and ledger_elsewhere(session, case_no, unit_id):
        raise Conflict(f"case number {case_no} is on another unit's ledger: that unit creates its case")
    case = Case(case_no=case_no.strip(), case_type=case_type, title=title.strip()[:300] or case_no,
                unit_id=unit_id, created_by=user.police_id)
    session.add(case)
    session.flush()
    handlers = set(handler_police_ids) | ({user.police_id} if user.role == Role.case_handler.value else set())
    for pid in handlers:
        handler = session.scalar(select(User).where(User.police_id == pid))
        if handler is None:
            raise NotFound(f"no user with police ID {pid}")
        session.add(CaseHandler(case_id=case.id, user_id=handler.id))
    session.add(CaseStageChange(case_id=case.id, from_stage=None, to_stage="accepted", by=user.police_id))
    audit.record(session, user_actor(user, ip), "case.create", "case", case.id, case_no=case.case_no,
                 case_type=case_type, handlers=sorted(handlers))
    return case


def create_from_ledger(session: Session, user: User, case_no: str, ip: str | None = None) -> Case:
    """A case for a case number the ledger's events carry; its events' recordings become suggestions.

    Only events the user may see count: another unit's case number is answered as unknown."""
    events = session.scalars(visible_events(session, user, select(EnforcementEvent).where(
        EnforcementEvent.case_no == case_no))).all()
    if not events:
        raise NotFound(f"no enforcement event carries case number {case_no}")
    first = min(events, key=lambda e: e.started_at)
    case_type = LEDGER_TYPES.get(first.event_type, "other")
    unit_code = session.scalar(select(Unit.code).where(Unit.id == first.unit_id)) if first.unit_id else None
    title = f"{first.event_type} {first.location or ''} {first.started_at:%Y-%m-%d}".strip()
    return create_case(session, user, case_no, case_type, title, unit_code, [], ip)


def ledger_elsewhere(session: Session, case_no: str, unit_id: int | None) -> bool:
    """True when the ledger carries this case number only on events outside the unit and its subtree:
    the number is another unit's, and a case for it here would block that unit (numbers are unique)."""
    units = set(session.scalars(select(EnforcementEvent.unit_id).where(
        EnforcementEvent.case_no == case_no.strip(), EnforcementEvent.unit_id.is_not(None)).distinct()))
    if not units:
        return False
    return unit_id is None or not units & set(subtree_unit_ids(session, unit_id))


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return case


def change_stage(session: Session, user: User, case: Case, to_stage: str, note: str | None, ip=None) -> Case:
    require_work(session, user, case)
    if to_stage not in STAGES:
        raise Invalid(f"stage must be one of {', '.join(STAGES)}")
    if to_stage not in NEXT_STAGES[case.stage]:
        allowed = ", ".join(sorted(NEXT_STAGES[case.stage])) or "none (archived)"
        raise Conflict(f"a case in stage {case.stage} can move to: {allowed}")
    session.add(CaseStageChange(case_id=case.id, from_stage=case.stage, to_stage=to_stage, by=user.police_id,
                                note=note))
    audit.record(session, user_actor(user, ip), "case.stage", "case", case.id, from_stage=case.stage,
                 to_stage=to_stage, note=note)
    case.stage = to_stage
    return case


def attach(session: Session, store: ObjectStore, user: User, case: Case, recording_id: int,
           mark_in: float | None, mark_out: float | None, note: str | None, ip=None,
           mark_in_frame: int | None = None, mark_out_frame: int | None = None) -> CaseRecording:
    require_work(session, user, case)
    rec = get_visible(session, user, recording_id)
    if rec.deleted_at is not None:
        raise Conflict(f"recording {rec.id} was deleted by the retention sweep")
    if rec.status != RecordingStatus.verified.value:  # an unverified original cannot be exported as evidence
        raise Conflict(f"recording {rec.id} is {rec.status}: only verified recordings can be attached; "
                       "wait until the server has verified it")
    _check_marks(rec, mark_in, mark_out)
    in_frame, out_frame = _frames(rec, mark_in, mark_out, mark_in_frame, mark_out_frame)
    active = session.scalar(select(CaseRecording).where(CaseRecording.case_id == case.id,
                                                        CaseRecording.recording_id == rec.id,
                                                        CaseRecording.detached_at.is_(None)))
    if active:
        raise Conflict(f"recording {rec.id} is already attached to case {case.case_no}")
    row = CaseRecording(case_id=case.id, recording_id=rec.id, mark_in=mark_in, mark_out=mark_out, note=note,
                        mark_in_frame=in_frame, mark_out_frame=out_frame, attached_by=user.police_id)
    session.add(row)
    session.flush()
    actor = user_actor(user, ip)
    audit.record(session, actor, "case.attach", "recording", rec.id, case=case.case_no, mark_in=mark_in,
                 mark_out=mark_out, mark_in_frame=in_frame, mark_out_frame=out_frame, note=note)
    retention.apply(session, store, rec, actor)  # evidence in a case: kept permanently
    return row


def _check_marks(rec: Recording, mark_in: float | None, mark_out: float | None) -> None:
    if mark_in is not None and mark_in < 0:
        raise Invalid("mark_in must not be negative")
    if mark_in is not None and mark_out is not None and mark_out <= mark_in:
        raise Invalid("mark_out must be after mark_in")
    if mark_out is not None and rec.duration_seconds and mark_out > rec.duration_seconds + 0.5:
        raise Invalid(f"mark_out {mark_out} is past the recording's end ({rec.duration_seconds:.1f} s)")


def _frames(rec: Recording, mark_in, mark_out, in_frame, out_frame) -> tuple[int | None, int | None]:
    return (marks.resolve(mark_in, in_frame, rec.frame_rate, "mark_in"),
            marks.resolve(mark_out, out_frame, rec.frame_rate, "mark_out"))


def update_marks(session: Session, user: User, case: Case, attachment_id: int, mark_in, mark_out, note, ip=None,
                 mark_in_frame: int | None = None, mark_out_frame: int | None = None):
    require_work(session, user, case)
    row = _attachment(session, case, attachment_id)
    rec = session.get(Recording, row.recording_id)
    _check_marks(rec, mark_in, mark_out)
    in_frame, out_frame = _frames(rec, mark_in, mark_out, mark_in_frame, mark_out_frame)
    row.mark_in, row.mark_out, row.note = mark_in, mark_out, note
    row.mark_in_frame, row.mark_out_frame = in_frame, out_frame
    audit.record(session, user_actor(user, ip), "case.mark", "recording", row.recording_id, case=case.case_no,
                 mark_in=mark_in, mark_out=mark_out, mark_in_frame=in_frame, mark_out_frame=out_frame, note=note)
    return row


def detach(session: Session, store: ObjectStore, user: User, case: Case, attachment_id: int, ip=None) -> CaseRecording:
    """Detaching stamps the attachment; the recording and its history stay."""
    require_work(session, user, case)
    row = _attachment(session, case, attachment_id)
    row.detached_at, row.detached_by = utcnow(), user.police_id
    session.flush()
    actor = user_actor(user, ip)
    audit.record(session, actor, "case.detach", "recording", row.recording_id, case=case.case_no)
    retention.apply(session, store, session.get(Recording, row.recording_id), actor)
    return row


def _attachment(session: Session, case: Case, attachment_id: int) -> CaseRecording:
    row = session.get(CaseRecording, attachment_id)
    if row is None or row.case_id != case.id or row.detached_at is not None:
        raise NotFound(f"attachment {attachment_id} not found on case {case.case_no}")
    return row


def attachments(session: Session, case: Case, include_detached: bool = False) -> list[CaseRecording]:
    q = select(CaseRecording).where(CaseRecording.case_id == case.id)
    if not include_detached:
        q = q.where(CaseRecording.detached_at.is_(None))
    return list(session.scalars(q.order_by(CaseRecording.id)))


def suggestions(session: Session, case: Case) -> list[int]:
    """Recordings linked to the case's events (those of its unit and below), neither attached nor decided yet."""
    if case.unit_id is None:
        return []
    linked = set(session.scalars(select(RecordingEventLink.recording_id).join(
        EnforcementEvent, EnforcementEvent.id == RecordingEventLink.event_id).where(
        EnforcementEvent.case_no == case.case_no, RecordingEventLink.removed_at.is_(None),
        EnforcementEvent.unit_id.in_(subtree_unit_ids(session, case.unit_id)))))
    attached = {a.recording_id for a in attachments(session, case)}
    decided = set(session.scalars(select(SuggestionDecision.recording_id).where(SuggestionDecision.case_id == case.id)))
    return sorted(linked - attached - decided)


def decide_suggestion(session: Session, store: ObjectStore, user: User, case: Case, recording_id: int,
                      accept: bool, ip=None):
    require_work(session, user, case)
    if recording_id not in suggestions(session, case):
        raise NotFound(f"recording {recording_id} is not an open suggestion for case {case.case_no}")
    session.add(SuggestionDecision(case_id=case.id, recording_id=recording_id,
                                   decision="accepted" if accept else "rejected", by=user.police_id))
    if accept:
        return attach(session, store, user, case, recording_id, None, None, "accepted suggestion", ip)
    audit.record(session, user_actor(user, ip), "case.suggestion_rejected", "recording", recording_id,
                 case=case.case_no)
    return None


def set_case_hold(session: Session, store: ObjectStore, user: User, case: Case, hold: bool, reason: str | None,
                  ip=None) -> Case:
    if user.role not in (Role.supervisor.value, Role.admin.value):
        raise Forbidden("only supervisors and admins place or release legal holds")
    require_work(session, user, case)
    case.legal_hold, case.hold_reason = hold, reason if hold else None
    actor = user_actor(user, ip)
    audit.record(session, actor, "case.legal_hold" if hold else "case.legal_hold_released", "case", case.id,
                 reason=reason)
    session.flush()
    for a in attachments(session, case):
        retention.apply(session, store, session.get(Recording, a.recording_id), actor)
    return case
