"""Review tables: a draw (who drew what sample, with which seed and parameters), its items (one
recording each) and the verdict on an item with the time ranges the reviewer actually watched."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evidence.db import Base, UTCDateTime
from evidence.timeutil import utcnow


class ReviewDraw(Base):
    """One random sample: N recordings per officer of a unit subtree over a period of days.
    The seed and parameters are kept so the same draw over the same data can be made again."""

    __tablename__ = "review_draws"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    date_from: Mapped[date] = mapped_column(Date)  # first day, unit's zone
    date_to: Mapped[date] = mapped_column(Date)  # last day (included)
    per_officer: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    candidates: Mapped[int] = mapped_column(Integer)  # recordings the sample was drawn from
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_by: Mapped[str] = mapped_column(String(64))  # 警号 of who drew
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewItem(Base):
    """One sampled recording. `watched` accumulates the ranges seen in the player so far
    (JSON [[start, end, rate], ...]), sent while watching, so nothing is lost on leaving."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("draw_id", "recording_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("review_draws.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    watched: Mapped[str] = mapped_column(Text, default="[]")


class ReviewVerdict(Base):
    """The verdict on an item (one per item; a later one replaces it, the audit log keeps both),
    with the watched ranges and seconds as they stood when it was given."""

    __tablename__ = "review_verdicts"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), unique=True)
    verdict: Mapped[str] = mapped_column(String(16))  # compliant, non_compliant
    tags: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of ISSUE_TAGS
    points: Mapped[float] = mapped_column(Float, default=0)  # deduction
    comment: Mapped[str | None] = mapped_column(Text)
    watched: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[start, end, rate], ...]
    watched_seconds: Mapped[float] = mapped_column(Float, default=0)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewer: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
