"""Case, evidence, retention and access tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evidence.db import Base, UTCDateTime
from evidence.timeutil import utcnow

CASE_TYPES = ("accident", "violation", "criminal", "other")
# The brigade's workflow: 受案 → 调查 → 认定 → 送达 → 送审 → (退办整改 → 调查 …) → 归档
STAGES = ("accepted", "investigation", "determination", "served", "review", "returned", "archived")
STAGE_NAMES = {"accepted": "受案", "investigation": "调查", "determination": "认定", "served": "送达",
               "review": "送审", "returned": "退办整改", "archived": "归档"}
NEXT_STAGES = {
    "accepted": {"investigation"}, "investigation": {"determination"}, "determination": {"served"},
    "served": {"review"}, "review": {"returned", "archived"}, "returned": {"investigation", "review"},
    "archived": set(),
}


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(64), unique=True)
    case_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16), default="accepted")
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class CaseHandler(Base):
    __tablename__ = "case_handlers"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class CaseStageChange(Base):
    __tablename__ = "case_stage_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class CaseRecording(Base):
    """A recording attached to a case, with the relevant span. Detaching stamps, never deletes."""

    __tablename__ = "case_recordings"
    __table_args__ = (Index("ix_case_recordings_recording", "recording_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"))
    mark_in: Mapped[float | None] = mapped_column(Float)  # seconds from the recording's start
    mark_out: Mapped[float | None] = mapped_column(Float)
    mark_in_frame: Mapped[int | None] = mapped_column(Integer)  # the frame each mark falls on
    mark_out_frame: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attached_by: Mapped[str | None] = mapped_column(String(64))
    detached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detached_by: Mapped[str | None] = mapped_column(String(64))


class SuggestionDecision(Base):
    __tablename__ = "case_suggestion_decisions"
    __table_args__ = (UniqueConstraint("case_id", "recording_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"))
    decision: Mapped[str] = mapped_column(String(8))  # accepted, rejected
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str | None] = mapped_column(String(64))


class AccessRequest(Base):
    """Access beyond one's role: request with a reason → approval by a supervisor of the owning
    unit → a grant that expires."""

    __tablename__ = "access_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # The id as asked, kept even when nothing has it (recording_id / case_id are then empty): the
    # answer and the requester's list look alike either way, so a request reveals no existence.
    asked_recording_id: Mapped[int | None] = mapped_column(Integer)
    asked_case_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, approved, rejected
    hours: Mapped[int] = mapped_column(Integer, default=24)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RetentionRun(Base):
    __tablename__ = "retention_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    report: Mapped[str] = mapped_column(Text)  # JSON


class Export(Base):
    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
