"""On-time import: a recording counts as imported on time when its camera was docked within
`on_time_import_hours` of the recording's end. The supervisor home page and the assessment
read this one rule, so their rates can never disagree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.config import get_settings
from evidence.recordings.models import Recording, RecordingStatus


@dataclass
class OnTime:
    """Counts for one officer (or unit): recordings started in the period whose dock time is known."""

    on_time: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.on_time / self.total if self.total else None


def is_on_time(started_at: datetime, duration_seconds: float | None, docked_at: datetime, hours: int) -> bool:
    end = started_at + timedelta(seconds=duration_seconds or 0)
    return docked_at <= end + timedelta(hours=hours)


def on_time_by_officer(session: Session, start: datetime, end: datetime,
                       unit_ids: Iterable[int] | None = None) -> dict[int | None, OnTime]:
    """Per officer id (None: recordings attributed to nobody): recordings that started in
    [start, end) and were verified, with how many were docked on time."""
    hours = get_settings().on_time_import_hours
    query = (select(Recording.officer_id, Recording.started_at, Recording.duration_seconds,
                    Recording.docked_at, Recording.uploaded_at)
             .where(Recording.status == RecordingStatus.verified.value,
                    Recording.started_at >= start, Recording.started_at < end))
    if unit_ids is not None:
        query = query.where(Recording.unit_id.in_(list(unit_ids)))
    counts: dict[int | None, OnTime] = {}
    for officer_id, started, duration, docked, uploaded in session.execute(query):
        arrived = docked or uploaded
        if arrived is None:
            continue
        c = counts.setdefault(officer_id, OnTime())
        c.total += 1
        c.on_time += is_on_time(started, duration, arrived, hours)
    return counts
