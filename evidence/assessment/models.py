"""Assessment weights, each set kept with the day it takes effect: a month is scored with the
set in effect at its first day, so changing the weights never rewrites a past month."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evidence.db import Base, UTCDateTime
from evidence.timeutil import utcnow


class AssessmentWeights(Base):
    __tablename__ = "assessment_weights"
    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    coverage: Mapped[float] = mapped_column(Float)
    on_time: Mapped[float] = mapped_column(Float)
    event_link: Mapped[float] = mapped_column(Float)
    case_link: Mapped[float] = mapped_column(Float)
    review_pass: Mapped[float] = mapped_column(Float)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
