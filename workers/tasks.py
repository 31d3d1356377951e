"""Celery tasks. Each takes ids, opens its own session and calls a core service."""

from __future__ import annotations

import logging
from datetime import timedelta

from evidence.config import get_settings
from evidence.db import session_scope
from ingest import service as ingest_service
from storage.factory import get_store
from workers.celery_app import celery_app

log = logging.getLogger(__name__)


@celery_app.task(bind=True, max_retries=30)
def verify_upload(self, session_id: str) -> str:
    """Hash the stored object of a completed upload; verified only on a match."""
    try:
        with session_scope() as session:
            result = ingest_service.verify(session, get_store(), session_id)
    except Exception as exc:  # storage or database down: try again later, the bytes are safe
        log.warning("verification of %s failed, will retry: %s", session_id, exc)
        raise self.retry(exc=exc, countdown=min(300, 2 * 2 ** self.request.retries))
    log.info("verification finished", extra={"session": session_id, "status": result})
    return result


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
