"""On-time import: a recording counts as imported on time when its camera was docked within
`on_time_import_hours` of the recording's end. The supervisor home page and the assessment
read this one rule, so their rates can never disagree.

`on_time_by_officer` counts it in the database (one grouped row per
officer, not one Python object per recording: a brigade month is ~600,000 recordings) with the same
arithmetic per dialect: arrival − start ≤ duration + hours, in seconds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, Integer, case, cast, func, select
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


def on_time_flag(dialect: str, hours: int):
    """The rule as a SQL expression: 1 when a recording's arrival (docked, else uploaded) is at most
    `hours` after its end (start + duration), else 0."""
    arrived = func.coalesce(Recording.docked_at, Recording.uploaded_at)
    allowed = func.coalesce(Recording.duration_seconds, 0.0) + hours * 3600
    if dialect == "postgresql":
        return case((arrived <= Recording.started_at + func.make_interval(0, 0, 0, 0, 0, 0, allowed), 1), else_=0)
    # SQLite keeps UTCDateTime as text 'YYYY-MM-DD HH:MM:SS.ffffff'. julianday() reads it fast but
    # only to the millisecond; within 10 ms of the deadline the exact reading decides: whole
    # seconds from strftime, the fraction from the text after the seconds (to the microsecond).
    def seconds(text):
        return cast(func.strftime("%s", text), Integer) + func.coalesce(cast(func.substr(text, 20), Float), 0.0)

    rough = (func.julianday(arrived) - func.julianday(Recording.started_at)) * 86400.0
    exact = seconds(arrived) - seconds(Recording.started_at) <= allowed
    return case((rough < allowed - 0.01, 1), (rough > allowed + 0.01, 0), (exact, 1), else_=0)


def on_time_by_officer(session: Session, start: datetime, end: datetime,
                       unit_ids: Iterable[int] | None = None) -> dict[int | None, OnTime]:
    """Per officer id (None: recordings attributed to nobody): recordings that started in
    [start, end) and were verified, with how many were docked on time."""
    hours = get_settings().on_time_import_hours
    arrived = func.coalesce(Recording.docked_at, Recording.uploaded_at)
    on_time = on_time_flag(session.get_bind().dialect.name, hours)
    query = (select(Recording.officer_id, func.count(), func.sum(on_time))
             .where(Recording.status == RecordingStatus.verified.value,
                    Recording.started_at >= start, Recording.started_at < end, arrived.is_not(None))
             .group_by(Recording.officer_id))
    if unit_ids is not None:
        query = query.where(Recording.unit_id.in_(list(unit_ids)))
    return {officer_id: OnTime(on_time=int(n_on_time or 0), total=int(total))
            for officer_id, total, n_on_time in session.execute(query)}
