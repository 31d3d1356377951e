"""The recording catalog. Who: users, each within their role's reach; stations get 403.

officer: own recordings; supervisor, case_handler: own unit and below; admin, auditor: all.
Downloads: not auditors. Every read, search and download hand-out is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DB, IP, Admin, AnyUser, Store
from evidence.actors import user_actor
from evidence.config import get_settings
from evidence.recordings import service as catalog, processing
from evidence.recordings.models import ProcessingState
from evidence.recordings.models import RecordingStatus
from evidence.recordings.schemas import (DownloadOut, PlaybackOut, RecordingOut, RecordingPage, ReprocessIn,
                                         ReprocessOut)
from evidence.timeutil import to_utc
from evidence.types import INT32_MAX, Id

router = APIRouter(prefix="/api/v1/recordings", tags=["recordings"])


@router.get("", response_model=RecordingPage, summary="Search recordings (who: any user, within reach)")
def search(db: DB, user: AnyUser, ip: IP,
           officer: Annotated[str | None, Query(description="警号 of the officer")] = None,
           device: Annotated[str | None, Query(description="Camera serial")] = None,
           start_from: Annotated[datetime | None, Query(description="Recording start ≥ this (no offset: unit's time zone)")] = None,
           start_to: Annotated[datetime | None, Query(description="Recording start < this")] = None,
           status: Annotated[RecordingStatus | None, Query()] = None,
           important: bool | None = None,
           clock_implausible: Annotated[bool | None,
                                        Query(description="Flagged: the camera clock was implausible")] = None,
           page: Annotated[int, Query(ge=1, le=INT32_MAX)] = 1,
           page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> RecordingPage:
    tz = get_settings().timezone
    f = catalog.RecordingFilter(officer=officer, device=device,
                                start_from=to_utc(start_from, tz) if start_from else None,
                                start_to=to_utc(start_to, tz) if start_to else None,
                                status=status.value if status else None, important=important,
                                clock_implausible=clock_implausible)
    rows, total = catalog.search(db, user, f, page, page_size, ip)
    db.commit()
    return RecordingPage(items=[RecordingOut.model_validate(r) for r in rows], total=total, page=page,
                         page_size=page_size)


@router.post("/reprocess", response_model=ReprocessOut,
             summary="Re-run media processing for every recording in a processing state (who: admin)")
def reprocess_all(body: ReprocessIn, db: DB, admin: Admin, ip: IP) -> ReprocessOut:
    ids = processing.in_state(db, ProcessingState(body.state))
    queued = []
    for rec_id in ids:
        if body.state != "processing":
            processing.request_reprocess(db, user_actor(admin, ip), rec_id)
            queued.append(rec_id)
    db.commit()
    _enqueue(db, queued)
    return ReprocessOut(queued=queued)


@router.get("/{recording_id}", response_model=RecordingOut, summary="One recording (who: any user, within reach)")
def get_one(recording_id: Id, db: DB, user: AnyUser, ip: IP) -> RecordingOut:
    rec = catalog.read(db, user, recording_id, ip)
    db.commit()
    return RecordingOut.model_validate(rec)


@router.post("/{recording_id}/download", response_model=DownloadOut,
             summary="Short-lived download URL of the original (who: officer, case_handler, supervisor, admin, within reach)")
def download(recording_id: Id, db: DB, store: Store, user: AnyUser, ip: IP) -> DownloadOut:
    url, seconds = catalog.download_url(db, store, user, recording_id, ip)
    db.commit()
    return DownloadOut(url=url, expires_in=seconds)


@router.post("/{recording_id}/playback", response_model=PlaybackOut,
             summary="Short-lived URLs of the playable proxy, poster and strip (who: officer, case_handler, supervisor, admin, within reach)")
def playback(recording_id: Id, db: DB, store: Store, user: AnyUser, ip: IP) -> PlaybackOut:
    out = catalog.playback(db, store, user, recording_id, ip)
    db.commit()
    return PlaybackOut(**out)


@router.post("/{recording_id}/reprocess", response_model=ReprocessOut,
             summary="Re-run media processing for one recording (who: admin)")
def reprocess_one(recording_id: Id, db: DB, admin: Admin, ip: IP) -> ReprocessOut:
    processing.request_reprocess(db, user_actor(admin, ip), recording_id)
    db.commit()
    _enqueue(db, [recording_id])
    return ReprocessOut(queued=[recording_id])


def _enqueue(db, ids: list[int]) -> None:
    from evidence.recordings.models import Recording
    from workers.tasks import queue_processing

    for rec_id in ids:
        queue_processing(rec_id, db.get(Recording, rec_id).important)
