"""What the review player shows beside one recording. Who: any user, within the recording's reach
(a recording outside it is answered 404, like every other read); the audit trail only for
supervisors, auditors and admins.

Integrity (original SHA-256 and size, verification, pinned S3 version, last fixity check, how the
proxy was derived), the officer and how the recording was attributed, the linked ledger events
(those the caller may see) with their coverage, and the cases the caller may read it is on.
The recording itself is included (as GET /recordings/{id} answers it), so the player needs
only this and the playback hand-out. Every read is audited as a recording read.
"""

from __future__ import annotations

import json

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import DB, IP, AnyUser, Store
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.audit.models import AuditEntry
from evidence.cases import access
from evidence.cases.models import Case, CaseRecording
from evidence.coverage.models import EnforcementEvent, EventCoverage, RecordingEventLink
from evidence.coverage.reports import visible_events
from evidence.identity.models import Role, Unit, User
from evidence.recordings.detail_schemas import (IntegrityOut, LinkedEventOut, PersonOut, RecordingCaseOut,
                                                RecordingDetailOut, TrailEntryOut, RecordingUnitOut)
from evidence.recordings.models import Recording
from evidence.recordings.schemas import RecordingOut
from evidence.recordings.service import DOWNLOAD_ROLES, get_visible
from evidence.types import Id

router = APIRouter(prefix="/api/v1/recordings", tags=["recordings"])

TRAIL_ROLES = {Role.supervisor.value, Role.auditor.value, Role.admin.value}
TRAIL_LIMIT = 500


@router.get("/{recording_id}/detail", response_model=RecordingDetailOut,
            summary="Integrity, attribution, linked events, cases and audit trail of one recording "
                    "(who: any user, within reach; the trail: supervisor, auditor, admin)")
def detail(recording_id: Id, db: DB, store: Store, user: AnyUser, ip: IP) -> RecordingDetailOut:
    rec = get_visible(db, user, recording_id)
    officer = db.get(User, rec.officer_id) if rec.officer_id else None
    unit = db.get(Unit, rec.unit_id) if rec.unit_id else None
    out = RecordingDetailOut(
        recording_id=rec.id, recording=RecordingOut.model_validate(rec), officer=PersonOut(police_id=officer.police_id, name=officer.name) if officer else None,
        officer_source=rec.officer_source, unit=RecordingUnitOut(code=unit.code, name=unit.name) if unit else None,
        integrity=_integrity(store, rec), may_view=user.role in DOWNLOAD_ROLES,
        may_download=user.role in DOWNLOAD_ROLES and rec.status == "verified" and rec.deleted_at is None,
        events=_events(db, user, rec), cases=_cases(db, user, rec),
        trail=_trail(db, rec) if user.role in TRAIL_ROLES else None)
    audit.record(db, user_actor(user, ip), "recording.read", "recording", rec.id, detail=True,
                 trail=out.trail is not None)
    db.commit()
    return out


def _integrity(store, rec: Recording) -> IntegrityOut:
    profile = None
    if rec.proxy_key:
        try:
            obj = store.stat_derived(rec.proxy_key)
            profile = (obj.metadata or {}).get("x-amz-meta-profile") if obj is not None else None
        except Exception:  # a missing or unreadable proxy: the panel says nothing about its settings
            profile = None
    return IntegrityOut(sha256=rec.sha256, size_bytes=rec.size_bytes, status=rec.status, verified_at=rec.verified_at,
                        object_version=rec.object_version, fixity_checked_at=rec.fixity_checked_at,
                        fixity_ok=rec.fixity_ok, proxy_kind=rec.proxy_kind, proxy_method=rec.proxy_method,
                        proxy_profile=profile)


def _events(db, user: User, rec: Recording) -> list[LinkedEventOut]:
    q = (select(EnforcementEvent, RecordingEventLink.source, EventCoverage)
         .join(RecordingEventLink, RecordingEventLink.event_id == EnforcementEvent.id)
         .outerjoin(EventCoverage, EventCoverage.event_id == EnforcementEvent.id)
         .where(RecordingEventLink.recording_id == rec.id, RecordingEventLink.removed_at.is_(None))
         .order_by(EnforcementEvent.started_at))
    return [LinkedEventOut(event_id=e.event_id, event_type=e.event_type, started_at=e.started_at,
                           ended_at=e.ended_at, location=e.location, case_no=e.case_no, link_source=source,
                           coverage_status=cov.status if cov else None, coverage_ratio=cov.ratio if cov else None)
            for e, source, cov in db.execute(visible_events(db, user, q))]


def _cases(db, user: User, rec: Recording) -> list[RecordingCaseOut]:
    rows = db.execute(select(CaseRecording, Case).join(Case, Case.id == CaseRecording.case_id)
                      .where(CaseRecording.recording_id == rec.id, CaseRecording.detached_at.is_(None))
                      .order_by(CaseRecording.id))
    return [RecordingCaseOut(case_id=c.id, case_no=c.case_no, title=c.title, stage=c.stage, attachment_id=a.id,
                             mark_in=a.mark_in, mark_out=a.mark_out, mark_in_frame=a.mark_in_frame,
                             mark_out_frame=a.mark_out_frame, note=a.note, attached_by=a.attached_by,
                             attached_at=a.attached_at)
            for a, c in rows if access.can_read_case(db, user, c)]


def _trail(db, rec: Recording) -> list[TrailEntryOut]:
    rows = db.scalars(select(AuditEntry).where(AuditEntry.object_type == "recording",
                                               AuditEntry.object_id == str(rec.id))
                      .order_by(AuditEntry.id.desc()).limit(TRAIL_LIMIT))
    return [TrailEntryOut(id=e.id, at=e.at, actor_id=e.actor_id, actor_label=e.actor_label, action=e.action,
                          detail=_detail(e.detail)) for e in rows]


def _detail(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"value": value}
