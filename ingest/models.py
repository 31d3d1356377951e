"""Upload sessions: one attempt to send a recording's bytes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.db import Base, UTCDateTime
from evidence.recordings.models import Recording
from evidence.timeutil import utcnow


class SessionStatus(str, enum.Enum):
    open = "open"
    verifying = "verifying"
    verified = "verified"
    failed = "failed"


class UploadSession(Base):
    """One attempt to send a recording's bytes: an S3 multipart upload to its content key."""

    __tablename__ = "upload_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    s3_upload_id: Mapped[str | None] = mapped_column(String(1024))
    object_key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    part_size: Mapped[int] = mapped_column(BigInteger)
    part_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.open.value, index=True)
    object_version: Mapped[str | None] = mapped_column(String(1024))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    verify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recording: Mapped[Recording] = relationship()
