"""SQLAlchemy models: identities, devices, recordings, upload sessions and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.db import Base, UTCDateTime
from evidence.timeutil import utcnow


class Role(str, enum.Enum):
    officer = "officer"
    case_handler = "case_handler"
    supervisor = "supervisor"
    admin = "admin"
    auditor = "auditor"


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


class SessionStatus(str, enum.Enum):
    open = "open"
    verifying = "verifying"
    verified = "verified"
    failed = "failed"


class Unit(Base):
    """A node of the unit tree: 支队 (detachment) → 大队 (brigade) → 中队 (squadron)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(32), default="unit")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    police_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when an admin resets the password or disables the account: older tokens stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unit: Mapped[Unit | None] = relationship()


class LoginThrottle(Base):
    """Failed logins of one account (police ID as typed) or one client address, in the database
    so every API process sees the same count; see evidence/login_throttle.py."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_login_throttle_scope_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # account, address
    key: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Station(Base):
    """A docking station (dock PC). It authenticates with an API key stored only as a hash."""

    __tablename__ = "stations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last heartbeat from the dock agent: what an admin needs to see a dock in trouble.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agent_version: Mapped[str | None] = mapped_column(String(64))
    spool_used_bytes: Mapped[int | None] = mapped_column(BigInteger)
    spool_free_bytes: Mapped[int | None] = mapped_column(BigInteger)
    queue_length: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class Device(Base):
    """A body camera (执法记录仪), known by its serial."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by an admin for a camera whose clock was wrong: device time minus true time, in seconds.
    clock_offset_seconds: Mapped[int | None] = mapped_column(Integer)
    clock_offset_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceAssignment(Base):
    """Who carried a camera when: [assigned_from, assigned_to), open-ended when to is null."""

    __tablename__ = "device_assignments"
    __table_args__ = (Index("ix_assignment_device_from", "device_id", "assigned_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_from: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_to: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Recording(Base):
    """One original media file, identified by its SHA-256 and stored once."""

    __tablename__ = "recordings"
    __table_args__ = (
        Index("ix_recordings_officer_start", "officer_id", "started_at"),
        Index("ix_recordings_unit_start", "unit_id", "started_at"),
        # The library's filters and sorts (migration 0011).
        Index("ix_recordings_kind_start", "media_kind", "started_at"),
        Index("ix_recordings_state_start", "processing_state", "started_at"),
        Index("ix_recordings_device_start", "device_serial", "started_at"),
        Index("ix_recordings_important_start", "important", "started_at"),
        Index("ix_recordings_duration", "duration_seconds"),
        Index("ix_recordings_size", "size_bytes"),
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


class AuditEntry(Base):
    """Append-only, hash-chained log of every security-relevant action.

    `entry_hash` covers all fields and `prev_hash`; ids are dense, so an edited, deleted
    or reordered row breaks the chain at that row.
    """

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_label: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)


class SigningKey(Base):
    """Every public key that has signed exports and audit checkpoints, with when it was valid.

    Kept after a key is retired, so packages signed before a rotation still verify against the
    published list; `valid_to` is empty only for the current key.
    """

    __tablename__ = "signing_keys"
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="Ed25519")
    public_key_pem: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
