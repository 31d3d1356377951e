"""Celery tasks. Each takes ids, opens its own sessions and calls core services or the pipeline.

Queues: `fast` (verification, sweeps, coverage), `media` (probe, thumbnails, remux) and
`transcode`. Verification never waits behind media work: a docked camera is wiped only once its
files are verified, while thumbnails can come a minute later. Important recordings go first
(message priority).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from evidence.audit import anchor as audit_anchor
from evidence.audit import service as audit
from evidence.cases import retention
from evidence.config import get_settings
from evidence.coverage import reports, stored
from evidence.coverage import service as coverage
from evidence.db import session_scope
from evidence.recordings import processing
from evidence.recordings.models import Recording, RecordingStatus
from evidence.store import get_store
from evidence.timeutil import utcnow
from ingest import service as ingest_service
from ingest.models import UploadSession
from workers import pipeline
from workers.celery_app import celery_app

log = logging.getLogger(__name__)


def _owner(task) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{task.request.id or uuid.uuid4().hex[:8]}"[:64]


def priority(important: bool) -> int:
    return 0 if important else 6  # Redis: 0 is served first


def queue_processing(recording_id: int, important: bool, transcode: bool = False) -> None:
    task = transcode_recording if transcode else process_recording
    task.apply_async((recording_id,), priority=priority(important))


@celery_app.task(bind=True, max_retries=30)
def verify_upload(self, session_id: str) -> str:
    """Download the completed upload once, hash it in the same read; verified only on a match.
    The local copy is kept for the media queue (probe, thumbnails, proxy), which gets the
    recording next; on the same machine it reads that copy instead of downloading again."""
    scratch = get_settings().resolved_scratch_dir() / "incoming"
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = scratch / f"{session_id}.part"
    try:
        result = ingest_service.verify(session_scope, get_store(), session_id, keep_copy=tmp)
        with session_scope() as session:
            up = session.get(UploadSession, session_id)
            rec_id, sha, important = up.recording_id, up.sha256, up.recording.important
    except Exception as exc:  # storage or database down: try again later, the bytes are safe
        tmp.unlink(missing_ok=True)
        log.warning("verification of %s failed, will retry: %s", session_id, exc)
        raise self.retry(exc=exc, countdown=min(300, 2 * 2 ** self.request.retries))
    log.info("verification finished", extra={"session": session_id, "status": result})
    if result != "verified" or not tmp.exists():
        tmp.unlink(missing_ok=True)
        return result
    pipeline.adopt_verified_copy(tmp, sha)
    queue_processing(rec_id, important)
    return result


@celery_app.task(bind=True)
def process_recording(self, recording_id: int) -> str:
    """Probe, thumbnails and remux (media queue); hands re-encoding to the transcode queue."""
    outcome = pipeline.process(get_store(), recording_id, _owner(self), allow_transcode=False)
    if outcome.state == "transcode":
        with session_scope() as s:
            important = s.get(Recording, recording_id).important
        queue_processing(recording_id, important, transcode=True)
    elif outcome.state == "failed":
        _requeue_if_allowed(recording_id)
    return outcome.state


@celery_app.task(bind=True)
def transcode_recording(self, recording_id: int) -> str:
    outcome = pipeline.process(get_store(), recording_id, _owner(self), allow_transcode=True)
    if outcome.state == "failed":
        _requeue_if_allowed(recording_id, transcode=True)
    return outcome.state


def _requeue_if_allowed(recording_id: int, transcode: bool = False) -> None:
    with session_scope() as s:
        rec = s.get(Recording, recording_id)
        if rec.processing_state == "queued":  # attempts remain
            queue_processing(recording_id, rec.important, transcode=transcode)


@celery_app.task
def sweep_unverified() -> int:
    """Queue verification again for completed uploads whose message was lost."""
    minutes = get_settings().verify_sweep_minutes
    with session_scope() as session:
        stale = ingest_service.stale_verifications(session, timedelta(minutes=minutes))
    for session_id in stale:
        verify_upload.delay(session_id)
    if stale:
        log.info("re-queued stale verifications", extra={"count": len(stale)})
    return len(stale)


@celery_app.task
def sweep_processing() -> int:
    """Re-queue recordings whose worker died mid-task (stale heartbeat) or whose message was lost."""
    with session_scope() as session:
        todo = [(r.id, r.important, r.processing_reason == "waiting for transcode")
                for r in processing.requeue_stalled(session, queued_older_than=timedelta(hours=6))]
    for rec_id, important, transcode in todo:
        queue_processing(rec_id, important, transcode=transcode)
    if todo:
        log.info("re-queued stalled processing", extra={"count": len(todo)})
    if pruned := pipeline.prune_scratch():
        log.info("removed local copies left behind", extra={"count": pruned})
    return len(todo)


@celery_app.task
def fixity_sweep() -> dict:
    """Re-hash originals, least recently checked first, within the daily budget; a mismatch is
    written to the audit log as an alert."""
    s = get_settings()
    runs_per_day = max(1, (24 * 60) // s.fixity_interval_minutes)
    budget = None if s.fixity_daily_gb == 0 else int(s.fixity_daily_gb * 1024 ** 3 / runs_per_day)
    store = get_store()
    checked = failed = read = 0
    with session_scope() as session:  # pick the work; hash outside any transaction
        candidates = session.execute(select(Recording.id, Recording.object_key, Recording.object_version,
                                            Recording.sha256, Recording.size_bytes)
                                     .where(Recording.status == RecordingStatus.verified.value)
                                     .order_by(Recording.fixity_checked_at.asc().nulls_first(), Recording.id)
                                     .limit(10000)).all()
    for rec_id, key, version, sha, size_bytes in candidates:
        if budget is not None and read + size_bytes > budget and checked:
            break
        digest, size = store.hash_original(key, version) if store.stat_original(key, version) else (None, 0)
        # A newer version written over the key is tampering too, even though reads never serve it.
        shadowed = version is not None and store.latest_version(key) != version
        read += size
        checked += 1
        with session_scope() as session:
            rec = session.get(Recording, rec_id)
            rec.fixity_checked_at = utcnow()
            rec.fixity_ok = digest == sha and not shadowed
            if not rec.fixity_ok:
                failed += 1
                problem = "hash mismatch" if digest != sha else "a newer version was written over the original's key"
                audit.record(session, audit.SYSTEM, "fixity.mismatch", "recording", rec.id, expected=sha,
                             found=digest, size_read=size, problem=problem)
                log.error("FIXITY MISMATCH on recording %s", rec.id)
    return {"checked": checked, "mismatches": failed, "bytes": read}


@celery_app.task
def coverage_sweep() -> int:
    """Events whose upload deadline passed while still `pending` become `missing`."""
    with session_scope() as session:
        return coverage.recompute(session, coverage.overdue_pending(session))


@celery_app.task
def store_coverage_summaries() -> list[str]:
    """Keep the last complete day's, week's and month's summary (idempotent: rewritten in place)."""
    today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    done = []
    with session_scope() as session:
        for period, start in reports.last_complete_periods(today):
            stored.store_summary(session, period, start)
            done.append(f"{period}:{start}")
    return done


@celery_app.task
def retention_sweep() -> dict:
    """Daily: a dry-run report first, then (unless configured off) the deletion it describes."""
    with session_scope() as session:
        report = retention.sweep(session, get_store(), dry_run=True)
    if get_settings().retention_sweep_delete and report["candidates"]:
        with session_scope() as session:
            report = retention.sweep(session, get_store(), dry_run=False)
    return {k: len(v) if isinstance(v, list) else v for k, v in report.items()}


@celery_app.task
def audit_checkpoint() -> int | None:
    """Periodic: sign the audit chain's head into the object-locked bucket, so a cut-off end or a
    rewritten tail shows in `evidence audit verify`. One object per head: running twice is harmless."""
    with session_scope() as session:
        checkpoint = audit_anchor.take(session, get_store(), "periodic")
    return checkpoint["entry_id"] if checkpoint else None
