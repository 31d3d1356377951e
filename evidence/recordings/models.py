"""Recordings: one original media file each, its verification, processing and retention state."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from evidence.db import Base, UTCDateTime
from evidence.timeutil import utcnow


class RecordingStatus(str, enum.Enum):
    uploading = "uploading"  # an upload session is open
    verifying = "verifying"  # upload complete, server re-hash pending
    verified = "verified"  # server hash matched the declared sha256
    failed = "failed"  # last upload did not verify; the station must send again


class ProcessingState(str, enum.Enum):
    queued = "queued"  # waiting for a worker (or for verification)
    processing = "processing"  # a worker holds it (heartbeat kept fresh)
    ready = "ready"  # playable proxy / preview exists
    unplayable = "unplayable"  # the file is kept, but cannot be played; reason says why
    failed = "failed"  # processing broke (error, attempts); an admin can re-run it


class Recording(Base):
    """One original media file, identified by its SHA-256 and stored once."""

    __tablename__ = "recordings"
    __table_args__ = (
        Index("ix_recordings_officer_start", "officer_id", "started_at"),
        Index("ix_recordings_unit_start", "unit_id", "started_at"),
        # The library's filters and sorts (migration 0012).
        Index("ix_recordings_kind_start", "media_kind", "started_at"),
        Index("ix_recordings_state_start", "processing_state", "started_at"),
        Index("ix_recordings_device_start", "device_serial", "started_at"),
        Index("ix_recordings_important_start", "important", "started_at"),
        Index("ix_recordings_duration", "duration_seconds"),
        Index("ix_recordings_size", "size_bytes"),
        # The few flagged recordings an event list shows as "clock unplaced" (coverage.clock_gaps, migration 0016).
        Index("ix_recordings_clock_unplaced", "officer_id",
              postgresql_where=sql("clock_implausible AND clock_corrected_at IS NULL"),
              sqlite_where=sql("clock_implausible = 1 AND clock_corrected_at IS NULL")),
        # A camera's recordings: the gap chart asks whether a camera docked since a gap (coverage.gaps,
        # migration 0017); without it each gap read every recording (550 ms on a brigade month).
        Index("ix_recordings_device", "device_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_kind: Mapped[str] = mapped_column(String(16))
    original_filename: Mapped[str] = mapped_column(String(1024))
    # The camera's name as raw bytes (hex) when it was not valid UTF-8; original_filename is then
    # the dock's safe stand-in, so nothing of the name is lost.
    original_filename_hex: Mapped[str | None] = mapped_column(String(1024))
    object_key: Mapped[str] = mapped_column(String(200))
    # The S3 version that was verified: every read names it, so a later version written over
    # the key (by someone with storage credentials) can never be served as the original.
    object_version: Mapped[str | None] = mapped_column(String(1024))
    device_serial: Mapped[str | None] = mapped_column(String(64), index=True)
    serial_source: Mapped[str | None] = mapped_column(String(16))  # filename, device_info, folder
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    declared_police_id: Mapped[str | None] = mapped_column(String(32))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    officer_source: Mapped[str] = mapped_column(String(16), default="none")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    started_at_device: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    clock_offset_seconds: Mapped[int] = mapped_column(Integer, default=0)  # device minus true time
    # A start before the earliest year or far in the future: kept as the camera wrote it, flagged,
    # and left out of coverage until an admin sets the camera's clock offset (clock_corrected_at).
    clock_implausible: Mapped[bool] = mapped_column(Boolean, default=False)
    clock_note: Mapped[str | None] = mapped_column(Text)
    clock_corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    started_at_estimated: Mapped[datetime | None] = mapped_column(UTCDateTime)  # arrival minus duration
    time_source: Mapped[str] = mapped_column(String(16), default="unknown")
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    docked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=RecordingStatus.uploading.value, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Media processing (derived; can always be rebuilt from the original)
    processing_state: Mapped[str] = mapped_column(String(16), default=ProcessingState.queued.value, index=True)
    processing_reason: Mapped[str | None] = mapped_column(Text)
    processing_error: Mapped[str | None] = mapped_column(Text)
    processing_attempts: Mapped[int] = mapped_column(Integer, default=0)
    processing_owner: Mapped[str | None] = mapped_column(String(64))
    processing_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    container: Mapped[str | None] = mapped_column(String(64))
    video_codec: Mapped[str | None] = mapped_column(String(32))
    audio_codec: Mapped[str | None] = mapped_column(String(32))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    frame_rate: Mapped[float | None] = mapped_column(Float)
    bitrate: Mapped[int | None] = mapped_column(BigInteger)
    rotation: Mapped[int | None] = mapped_column(Integer)
    creation_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    media_info: Mapped[str | None] = mapped_column(Text)  # JSON: probe / EXIF summary
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proxy_key: Mapped[str | None] = mapped_column(String(200))
    proxy_kind: Mapped[str | None] = mapped_column(String(16))  # video (mp4), audio (m4a), photo (jpg)
    proxy_method: Mapped[str | None] = mapped_column(String(16))  # remux, transcode, resize
    poster_key: Mapped[str | None] = mapped_column(String(200))
    strip_key: Mapped[str | None] = mapped_column(String(200))
    strip_frames: Mapped[int | None] = mapped_column(Integer)
    fixity_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fixity_ok: Mapped[bool | None] = mapped_column(Boolean)

    # Retention: standard (6 months), case (permanent while evidence), flagged (obstruction,
    # major incident); a legal hold stops any deletion. retain_until None = permanent.
    retention_class: Mapped[str] = mapped_column(String(16), default="standard")
    flags: Mapped[str | None] = mapped_column(String(100))  # comma-separated: obstruction, major_incident
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def started_at_corrected(self) -> datetime | None:
        """The start on the true clock: the device's start less the camera's known offset."""
        if self.started_at is None:
            return None
        return self.started_at - timedelta(seconds=self.clock_offset_seconds or 0)
