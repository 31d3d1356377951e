"""Media-processing state of recordings: who holds a recording, what came out, and what an
admin may re-run. Plain functions over a session, shared by workers, API and CLI.

A worker claims a recording with one conditional UPDATE (queued, failed, or processing with a
stale heartbeat), so two workers never process the same recording at once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.errors import Conflict, NotFound
from evidence.recordings.models import ProcessingState, Recording, RecordingStatus
from evidence.timeutil import utcnow

P = ProcessingState


def claim(session: Session, recording_id: int, owner: str) -> bool:
    """Take the recording for processing; False if it is done or another worker holds it."""
    stale = utcnow() - timedelta(seconds=get_settings().processing_stale_seconds)
    result = session.execute(
        update(Recording)
        .where(Recording.id == recording_id, Recording.status == RecordingStatus.verified.value,
               or_(Recording.processing_state.in_([P.queued.value, P.failed.value]),
                   (Recording.processing_state == P.processing.value)
                   & or_(Recording.processing_heartbeat_at.is_(None), Recording.processing_heartbeat_at < stale)))
        .values(processing_state=P.processing.value, processing_owner=owner, processing_heartbeat_at=utcnow(),
                processing_attempts=Recording.processing_attempts + 1)
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def heartbeat(session: Session, recording_id: int, owner: str) -> bool:
    """Keep the claim fresh; False when another worker took it over (this one should stop)."""
    result = session.execute(update(Recording).where(
        Recording.id == recording_id, Recording.processing_owner == owner,
        Recording.processing_state == P.processing.value).values(processing_heartbeat_at=utcnow())
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def _owned(session: Session, recording_id: int, owner: str) -> Recording | None:
    rec = session.get(Recording, recording_id, populate_existing=True)
    if rec is None or rec.processing_owner != owner or rec.processing_state != P.processing.value:
        return None
    return rec


def hand_over(session: Session, recording_id: int, owner: str, reason: str) -> None:
    """Release the claim with the recording queued for the next step (e.g. the transcode queue)."""
    rec = _owned(session, recording_id, owner)
    if rec:
        rec.processing_state, rec.processing_reason, rec.processing_owner = P.queued.value, reason, None
        rec.processing_heartbeat_at = utcnow()  # when it was queued
        rec.processing_attempts = 0  # the next step counts its own tries
        session.commit()


def finish(session: Session, recording_id: int, owner: str, state: ProcessingState, reason: str | None = None,
           error: str | None = None) -> bool:
    rec = _owned(session, recording_id, owner)
    if rec is None:
        return False
    rec.processing_state, rec.processing_reason = state.value, reason
    rec.processing_error = error
    rec.processing_owner = None
    rec.processed_at = utcnow()
    audit.record(session, audit.SYSTEM, f"media.{state.value}", "recording", rec.id, reason=reason, error=error,
                 attempts=rec.processing_attempts)
    session.commit()
    return True


def fail(session: Session, recording_id: int, owner: str, error: str) -> bool:
    """A broken attempt: queued again while attempts remain, else left `failed` for an admin."""
    rec = _owned(session, recording_id, owner)
    if rec is None:
        return False
    if rec.processing_attempts < get_settings().processing_max_attempts:
        rec.processing_state, rec.processing_error, rec.processing_owner = P.queued.value, error, None
        rec.processing_heartbeat_at = utcnow()
        session.commit()
        return True
    return finish(session, recording_id, owner, P.failed, None, error)


def request_reprocess(session: Session, actor: audit.Actor, recording_id: int) -> Recording:
    rec = session.get(Recording, recording_id)
    if rec is None:
        raise NotFound(f"recording {recording_id} not found")
    if rec.status != RecordingStatus.verified.value:
        raise Conflict(f"recording {recording_id} is {rec.status}: only verified recordings are processed")
    if rec.processing_state == P.processing.value:
        raise Conflict(f"recording {recording_id} is being processed right now")
    rec.processing_state, rec.processing_reason, rec.processing_error = P.queued.value, "re-run requested", None
    rec.processing_attempts, rec.processing_heartbeat_at = 0, utcnow()
    audit.record(session, actor, "media.reprocess", "recording", rec.id)
    return rec


def in_state(session: Session, state: ProcessingState) -> list[int]:
    return list(session.scalars(select(Recording.id).where(
        Recording.processing_state == state.value, Recording.status == RecordingStatus.verified.value)))


def requeue_stalled(session: Session, queued_older_than: timedelta) -> list[Recording]:
    """Recordings whose worker died (stale heartbeat) or whose queue message was lost: put back
    to `queued` (the dead worker's claim is dropped) and stamped, so the caller sends them again."""
    s = get_settings()
    now = utcnow()
    stale = now - timedelta(seconds=s.processing_stale_seconds)
    lost = now - queued_older_than
    found = list(session.scalars(select(Recording).where(
        Recording.status == RecordingStatus.verified.value,
        or_((Recording.processing_state == P.processing.value)
            & or_(Recording.processing_heartbeat_at.is_(None), Recording.processing_heartbeat_at < stale),
            (Recording.processing_state == P.queued.value)
            & or_(Recording.processing_heartbeat_at.is_(None), Recording.processing_heartbeat_at < lost)))
        .with_for_update(skip_locked=True)))
    for rec in found:
        rec.processing_state, rec.processing_owner, rec.processing_heartbeat_at = P.queued.value, None, now
    session.commit()
    return found
