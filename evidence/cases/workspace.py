"""What the web application's case pages read in one call each: the case list by stage with
counts, and a case's workspace (stage history, handlers, attached clips with their recordings,
suggestions with the events they came from, what the reader may do, and the export's expected size).

Reads only: the routes audit them (`case.list`, `case.read`) like the other case reads.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evidence.cases import service as cases
from evidence.cases.access import can_work_case, visible_case_filter
from evidence.cases.export import EXPORT_ROLES, VIEWER
from evidence.cases.models import NEXT_STAGES, STAGES, Case, CaseHandler, CaseRecording, CaseStageChange
from evidence.recordings.service import visible
from evidence.coverage.models import EnforcementEvent, RecordingEventLink
from evidence.audit.models import AuditEntry
from evidence.recordings.models import Recording
from evidence.identity.models import Role, Unit, User


# Bytes of the package beyond its files' contents: ZIP headers per file, the manifest per
# recording, and an audit entry as JSON. An estimate: the progress bar says "about".
ZIP_ENTRY_BYTES, MANIFEST_BYTES_PER_RECORDING, AUDIT_ENTRY_BYTES, FIXED_BYTES = 200, 1200, 650, 24_000


def case_list(session: Session, user: User, stage: str | None, text: str | None, page: int,
              page_size: int) -> dict:
    """One page of the cases the user may read, newest first, with the count in every stage."""
    cond = visible_case_filter(session, user)
    base = select(Case)
    if cond is not None:
        base = base.where(cond)
    if text and text.strip():
        like = f"%{text.strip()}%"
        base = base.where(or_(Case.case_no.ilike(like), Case.title.ilike(like)))
    sub = base.subquery()
    per_stage = session.execute(select(sub.c.stage, func.count()).group_by(sub.c.stage)).all()
    counts = {s: 0 for s in STAGES} | dict(per_stage)
    query = base.where(Case.stage == stage) if stage else base
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Case.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    ids = [c.id for c in rows]
    attached = dict(session.execute(select(CaseRecording.case_id, func.count()).where(
        CaseRecording.case_id.in_(ids), CaseRecording.detached_at.is_(None)).group_by(CaseRecording.case_id)).all())
    units = _units(session, {c.unit_id for c in rows})
    items = [{"id": c.id, "case_no": c.case_no, "case_type": c.case_type, "title": c.title, "stage": c.stage,
              "legal_hold": c.legal_hold, "created_at": c.created_at, "created_by": c.created_by,
              "unit_name": units.get(c.unit_id), "recordings": attached.get(c.id, 0)} for c in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size, "counts": counts}


def workspace(session: Session, user: User, case: Case) -> dict:
    """The case as its workspace shows it. Recordings outside the reader's reach are named by id only."""
    may_work = can_work_case(session, user, case)
    rows = cases.attachments(session, case, include_detached=True)
    suggested = cases.suggestions(session, case) if may_work else []
    rec_ids = {a.recording_id for a in rows} | set(suggested)
    recs = {r.id: r for r in session.scalars(visible(session, user, select(Recording).where(
        Recording.id.in_(rec_ids))))} if rec_ids else {}
    history = session.scalars(select(CaseStageChange).where(CaseStageChange.case_id == case.id)
                              .order_by(CaseStageChange.id)).all()
    handler_rows = session.scalars(select(User).join(CaseHandler, CaseHandler.user_id == User.id)
                                   .where(CaseHandler.case_id == case.id).order_by(User.police_id)).all()
    officers = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_({r.officer_id for r in recs.values() if r.officer_id})))} if recs else {}
    names = _names(session, {case.created_by} | {h.by for h in history} | {a.attached_by for a in rows}
                   | {a.detached_by for a in rows})
    units = _units(session, {case.unit_id})
    active = [a for a in rows if a.detached_at is None]
    return {
        "id": case.id, "case_no": case.case_no, "case_type": case.case_type, "title": case.title,
        "unit_id": case.unit_id, "unit_name": units.get(case.unit_id), "stage": case.stage,
        "legal_hold": case.legal_hold, "hold_reason": case.hold_reason, "created_at": case.created_at,
        "created_by": case.created_by, "created_by_name": names.get(case.created_by),
        "handlers": [{"police_id": u.police_id, "name": u.name} for u in handler_rows],
        "stage_history": [{"from_stage": h.from_stage, "to_stage": h.to_stage, "at": h.at, "by": h.by,
                           "by_name": names.get(h.by), "note": h.note} for h in history],
        "next_stages": [s for s in STAGES if s in NEXT_STAGES[case.stage]] if may_work else [],
        "may_work": may_work,
        "may_hold": may_work and user.role in (Role.supervisor.value, Role.admin.value),
        "may_export": may_work and user.role in EXPORT_ROLES,
        "clips": [{"attachment_id": a.id, "recording_id": a.recording_id, "mark_in": a.mark_in,
                   "mark_out": a.mark_out, "mark_in_frame": _frame(recs.get(a.recording_id), a.mark_in),
                   "mark_out_frame": _frame(recs.get(a.recording_id), a.mark_out), "note": a.note,
                   "attached_by": a.attached_by, "attached_by_name": names.get(a.attached_by),
                   "attached_at": a.attached_at, "detached_at": a.detached_at, "detached_by": a.detached_by,
                   "detached_by_name": names.get(a.detached_by),
                   "recording": _brief(recs.get(a.recording_id), officers)} for a in rows],
        "suggestions": [{"recording_id": rid, "recording": _brief(recs.get(rid), officers),
                         "events": _events_of(session, case, rid)} for rid in suggested],
        "export_expected_bytes": expected_export_bytes(session, case, active) if active else None,
    }


def expected_export_bytes(session: Session, case: Case, active: list[CaseRecording]) -> int:
    """About how many bytes the export ZIP (originals only) will have: for the progress bar."""
    ids = [a.recording_id for a in active]
    sizes = session.scalar(select(func.sum(Recording.size_bytes)).where(Recording.id.in_(ids))) or 0
    entries = session.scalar(select(func.count()).select_from(AuditEntry).where(or_(
        (AuditEntry.object_type == "recording") & AuditEntry.object_id.in_([str(i) for i in ids]),
        (AuditEntry.object_type == "case") & (AuditEntry.object_id == str(case.id))))) or 0
    files = len(ids) + 7  # originals, audit.jsonl, manifest, signature, key, verifier, README, viewer
    return (sizes + entries * AUDIT_ENTRY_BYTES + len(ids) * MANIFEST_BYTES_PER_RECORDING
            + files * ZIP_ENTRY_BYTES + FIXED_BYTES + VIEWER.stat().st_size)


def _frame(rec: Recording | None, seconds: float | None) -> int | None:
    """The frame a mark falls on (0-based), when the recording's frame rate is known."""
    if rec is None or seconds is None or not rec.frame_rate:
        return None
    return int(seconds * rec.frame_rate + 1e-6)


def _brief(rec: Recording | None, officers: dict[int, User]) -> dict | None:
    if rec is None:
        return None
    officer = officers.get(rec.officer_id) if rec.officer_id else None
    return {"id": rec.id, "original_filename": rec.original_filename, "media_kind": rec.media_kind,
            "officer_police_id": officer.police_id if officer else rec.declared_police_id,
            "officer_name": officer.name if officer else None, "device_serial": rec.device_serial,
            "started_at": rec.started_at, "duration_seconds": rec.duration_seconds, "frame_rate": rec.frame_rate,
            "size_bytes": rec.size_bytes, "sha256": rec.sha256, "processing_state": rec.processing_state,
            "legal_hold": rec.legal_hold}


def _events_of(session: Session, case: Case, recording_id: int) -> list[dict]:
    """The case's ledger events this suggested recording is linked to: why it is suggested."""
    rows = session.scalars(select(EnforcementEvent).join(
        RecordingEventLink, RecordingEventLink.event_id == EnforcementEvent.id).where(
        RecordingEventLink.recording_id == recording_id, RecordingEventLink.removed_at.is_(None),
        EnforcementEvent.case_no == case.case_no).order_by(EnforcementEvent.started_at)).all()
    return [{"event_id": e.event_id, "event_type": e.event_type, "started_at": e.started_at} for e in rows]


def _names(session: Session, police_ids: set[str | None]) -> dict[str, str]:
    wanted = {p for p in police_ids if p}
    if not wanted:
        return {}
    return dict(session.execute(select(User.police_id, User.name).where(User.police_id.in_(wanted))).all())


def _units(session: Session, unit_ids: set[int | None]) -> dict[int, str]:
    wanted = {u for u in unit_ids if u is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all())
