"""The station upload protocol. Who: docking stations only (X-Station-Key); users get 403."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError

from api.deps import DB, IP, StationCaller, Store
from ingest import service
from ingest.schemas import PartsRequest, PartUrl, StatusRequest, UploadRequest, UploadSessionOut, UploadStatus

router = APIRouter(prefix="/api/v1/ingest", tags=["ingest (stations)"])
log = logging.getLogger(__name__)


@router.post("/sessions", response_model=UploadSessionOut,
             summary="Open (or resume) an upload; a known verified hash is answered at once (who: station)")
def open_session(body: UploadRequest, db: DB, store: Store, station: StationCaller, ip: IP) -> UploadSessionOut:
    for attempt in range(3):
        try:
            out = service.open_upload(db, store, station, body, ip)
            db.commit()
            return out
        except IntegrityError:
            # Another request created the same sha256 at the same moment: read it and go on.
            db.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@router.post("/sessions/status", response_model=list[UploadStatus],
             summary="Where many of this station's uploads stand, in one answer (who: station)")
def sessions_status(body: StatusRequest, db: DB, station: StationCaller) -> list[UploadStatus]:
    return service.statuses(db, station, body.session_ids)


@router.get("/sessions/{session_id}", response_model=UploadSessionOut,
            summary="Session state, landed parts and fresh URLs for the missing ones, to resume (who: station)")
def session_progress(session_id: str, db: DB, store: Store, station: StationCaller) -> UploadSessionOut:
    return service.progress(db, store, station, session_id)


@router.post("/sessions/{session_id}/part-urls", response_model=list[PartUrl],
             summary="Fresh presigned URLs for some parts (who: station)")
def session_part_urls(session_id: str, body: PartsRequest, db: DB, store: Store,
                      station: StationCaller) -> list[PartUrl]:
    return service.part_urls(db, store, station, session_id, body.part_numbers)


@router.post("/sessions/{session_id}/complete", response_model=UploadSessionOut,
             summary="All parts sent: assemble and queue server-side verification (who: station)")
def complete_session(session_id: str, db: DB, store: Store, station: StationCaller, ip: IP) -> UploadSessionOut:
    out = service.complete(db, store, station, session_id, ip)
    db.commit()
    if out.status == "verifying":
        enqueue_verification(session_id)
    return out


def enqueue_verification(session_id: str) -> None:
    from workers.tasks import verify_upload

    try:
        verify_upload.delay(session_id)
    except Exception as exc:  # broker down: the sweep re-queues it, nothing is lost
        log.warning("could not queue verification of %s: %s", session_id, exc)
