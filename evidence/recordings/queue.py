"""The processing queue as an admin watches it: how many recordings wait, run or broke, and the
broken ones (failed, unplayable) with the reason, so one can be re-run or the camera checked."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.recordings.models import ProcessingState, Recording, RecordingStatus

PROBLEM_STATES = (ProcessingState.failed.value, ProcessingState.unplayable.value)
COUNTED_STATES = (ProcessingState.queued.value, ProcessingState.processing.value, *PROBLEM_STATES)


def state_counts(session: Session) -> dict[str, int]:
    """Verified recordings per processing state that is not yet `ready` (0 for an empty state)."""
    rows = session.execute(select(Recording.processing_state, func.count()).where(
        Recording.status == RecordingStatus.verified.value, Recording.processing_state.in_(COUNTED_STATES))
        .group_by(Recording.processing_state)).all()
    counts = dict.fromkeys(COUNTED_STATES, 0)
    counts.update({state: n for state, n in rows})
    return counts


def problems(session: Session, states: tuple[str, ...], page: int, page_size: int) -> tuple[list[Recording], int]:
    """Verified recordings in the given states, newest arrival first, one page, and the total."""
    query = select(Recording).where(Recording.status == RecordingStatus.verified.value,
                                    Recording.processing_state.in_(states))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Recording.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total
