"""The processing queue for admins: counts per state and the broken recordings with their reason.
Re-running one or all is POST /api/v1/recordings/{id}/reprocess and /recordings/reprocess."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import DB, IP, Admin
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.recordings import queue
from evidence.recordings.queue_schemas import QueueCounts, QueueItemOut, QueuePage
from evidence.types import INT32_MAX

router = APIRouter(prefix="/api/v1", tags=["recordings"])


@router.get("/processing-queue", response_model=QueuePage,
            summary="Recordings that failed processing or cannot be played, with the reason, and counts per "
                    "state (who: admin)")
def processing_queue(db: DB, admin: Admin, ip: IP,
                     state: Annotated[Literal["failed", "unplayable"] | None,
                                      Query(description="only this state; both when left out")] = None,
                     page: Annotated[int, Query(ge=1, le=INT32_MAX)] = 1,
                     page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> QueuePage:
    states = (state,) if state else queue.PROBLEM_STATES
    rows, total = queue.problems(db, states, page, page_size)
    # A list of recordings is a read of evidence metadata: audited like a catalog search.
    audit.record(db, user_actor(admin, ip), "recording.processing_queue", "recording", None,
                 state=state, page=page, ids=[r.id for r in rows])
    db.commit()
    return QueuePage(counts=QueueCounts(**queue.state_counts(db)), items=[QueueItemOut.model_validate(r) for r in rows],
                     total=total, page=page, page_size=page_size)
