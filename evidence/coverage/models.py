"""Enforcement ledger and coverage tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from evidence.db import Base, UTCDateTime
from evidence.timeutil import utcnow


class EnforcementEvent(Base):
    """One enforcement event from the ledger (接处警, 盘查, 现场处罚, 事故处理 …)."""

    __tablename__ = "enforcement_events"
    __table_args__ = (Index("ix_events_start", "started_at"), Index("ix_events_unit_start", "unit_id", "started_at"),
                      # one type's events of a period, covering the accident-case grouping (reports._accident_cases)
                      Index("ix_events_type_start", "event_type", "started_at", "unit_id", "case_no"))
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(24))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    case_no: Mapped[str | None] = mapped_column(String(64), index=True)
    roadside: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    police_ids: Mapped[str] = mapped_column(String(400))  # as imported, ';'-joined
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventOfficer(Base):
    __tablename__ = "event_officers"
    __table_args__ = (UniqueConstraint("event_id", "police_id"), Index("ix_event_officers_user", "user_id"),
                      Index("ix_event_officers_police", "police_id", "event_id"))  # one officer's events
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("enforcement_events.id", ondelete="CASCADE"), index=True)
    police_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EventCoverage(Base):
    """How much of an event's required window is recorded, kept current incrementally."""

    __tablename__ = "event_coverage"
    event_id: Mapped[int] = mapped_column(ForeignKey("enforcement_events.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # covered, partial, missing, pending
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    window_seconds: Mapped[int] = mapped_column(Integer)
    covered_seconds: Mapped[int] = mapped_column(Integer)
    ratio: Mapped[float] = mapped_column(Float)
    late_upload: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recording_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventOfficerCoverage(Base):
    __tablename__ = "event_officer_coverage"
    __table_args__ = (UniqueConstraint("event_id", "police_id"),
                      Index("ix_officer_coverage_police", "police_id", "status"))  # one officer's events by status
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("enforcement_events.id", ondelete="CASCADE"), index=True)
    police_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    covered_seconds: Mapped[int] = mapped_column(Integer)
    ratio: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    recording_ids: Mapped[str] = mapped_column(Text, default="[]")


class RecordingEventLink(Base):
    """A recording linked to an event. Removing a link only stamps removed_at: nothing is deleted."""

    __tablename__ = "recording_event_links"
    __table_args__ = (Index("ix_links_event", "event_id"), Index("ix_links_recording", "recording_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("enforcement_events.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8))  # auto, manual
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(64))


class CoverageSummary(Base):
    """A daily, weekly or monthly summary produced on schedule and kept for later reading."""

    __tablename__ = "coverage_summaries"
    __table_args__ = (UniqueConstraint("period", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(8))  # day, week, month
    period_start: Mapped[date] = mapped_column(Date)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[str] = mapped_column(Text)  # JSON rows


class EventExplanation(Base):
    """An officer's reason for a missing or partial share of an event, and the supervisor's decision.

    Rows are never deleted: a rejected explanation stays as history and the officer may submit a
    new one. At most one per officer and event is open (submitted or accepted). The measured
    coverage (event_coverage) is never touched by an explanation."""

    __tablename__ = "event_explanations"
    __table_args__ = (Index("uq_explanations_open", "event_id", "police_id", unique=True,
                            postgresql_where=sql("state <> 'rejected'"), sqlite_where=sql("state <> 'rejected'")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("enforcement_events.id", ondelete="CASCADE"), index=True)
    police_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(24))  # device_fault, battery_flat, not_worn, other
    text: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="submitted")  # submitted, accepted, rejected
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(32))  # the decider's 警号
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)


class CoverageDayCount(Base):
    """Events per day of the unit's calendar, unit, type, roadside, status and late upload: what the home page
    and the coverage explorer add up for a period (≤ 31 days of rows, not every event of a month).

    Derived from event_coverage and rebuilt by coverage.day_counts wherever coverage is stored;
    `day` is the local day (settings.timezone) of the event's start."""

    __tablename__ = "coverage_day_counts"
    __table_args__ = (Index("ix_day_counts_day_unit", "day", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(24))
    roadside: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    late_upload: Mapped[bool] = mapped_column(Boolean)
    events: Mapped[int] = mapped_column(Integer)


class CoverageDayOfficerCount(Base):
    """Per day, unit, officer (警号) and that officer's own status: how many events he was on
    (event_officer_coverage rows), for the explorer's officer table. Kept like CoverageDayCount."""

    __tablename__ = "coverage_day_officer_counts"
    __table_args__ = (Index("ix_day_officer_counts_day_unit", "day", "unit_id"),
                      Index("ix_day_officer_counts_officer_day", "police_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    police_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    events: Mapped[int] = mapped_column(Integer)


class RecordingDayCount(Base):
    """Recordings per day of the unit's calendar (their start's local day) and unit: the home page's
    camera hours, on-time import and "recordings linked to nothing", added up over a period's days.

    Derived from recordings, links and case attachments; kept by coverage.recording_counts."""

    __tablename__ = "recording_day_counts"
    __table_args__ = (Index("ix_recording_day_counts_day_unit", "day", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    verified: Mapped[int] = mapped_column(Integer)  # recordings verified
    verified_seconds: Mapped[float] = mapped_column(Float)  # their durations summed
    arrived: Mapped[int] = mapped_column(Integer)  # verified, with a known dock (or upload) time
    on_time: Mapped[int] = mapped_column(Integer)  # of those, docked on time (coverage.ontime's rule)
    unlinked: Mapped[int] = mapped_column(Integer)  # any status, linked to no event and on no case
