"""Response and request bodies of the user-facing API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from api.types import Bytes, Count


class LoginIn(BaseModel):
    police_id: str = Field(max_length=32)
    password: str = Field(max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UnitIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200)
    level: str = Field("unit", max_length=32, description="detachment (支队), brigade (大队), squadron (中队)…")
    parent_code: str | None = None


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


class UserIn(BaseModel):
    police_id: str
    name: str = Field(min_length=1, max_length=200)
    role: str
    password: str = Field(min_length=8, max_length=256)
    unit_code: str | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    police_id: str
    name: str
    role: str
    unit_id: int | None
    active: bool
    failed_logins: int = Field(0, description="Failed logins in the current throttle window (admins only).")
    login_blocked_until: datetime | None = Field(None, description="Login refused (429) until then: a growing delay or a lock.")
    locked_until: datetime | None = Field(None, description="Set while the account is locked after too many failed logins.")


class PasswordIn(BaseModel):
    password: str = Field(min_length=8, max_length=256)


class LoginLockOut(BaseModel):
    """An account (police ID as typed, lower case) or client address that must wait or is locked."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    scope: str
    key: str
    failures: int
    last_failure_at: datetime
    next_attempt_at: datetime | None
    locked_until: datetime | None


class StationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    unit_code: str | None = None


class StationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    unit_id: int | None
    key_id: str
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    heartbeat_at: datetime | None = None
    agent_version: str | None = None
    spool_used_bytes: int | None = None
    spool_free_bytes: int | None = None
    queue_length: int | None = None
    last_error: str | None = None


class HeartbeatIn(BaseModel):
    version: str = Field(max_length=64)
    spool_used_bytes: Bytes
    spool_free_bytes: Bytes
    queue_length: Count
    last_error: str | None = Field(None, max_length=2000)


class StationCreated(StationOut):
    api_key: str = Field(description="Shown once. Put it in the dock agent's configuration.")


class DeviceIn(BaseModel):
    serial: str
    model: str | None = Field(None, max_length=200)
    unit_code: str | None = None


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    serial: str
    model: str | None
    unit_id: int | None
    clock_offset_seconds: int | None = None
    clock_offset_set_at: datetime | None = None


class ClockOffsetIn(BaseModel):
    """The camera's clock error: what it showed at a moment and the true time then (no offset: the
    unit's time zone), or the offset itself (device minus true time, seconds)."""

    device_time: datetime | None = None
    actual_time: datetime | None = None
    offset_seconds: int | None = None
    only_uncorrected: bool = Field(True, description="Leave recordings an earlier offset already corrected.")


class ClockOffsetOut(BaseModel):
    serial: str
    clock_offset_seconds: int
    recordings_corrected: int
    events_recomputed: int


class ImportOut(BaseModel):
    imported: int
    updated: int
    errors: list[dict]


class RecordingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sha256: str
    size_bytes: int
    media_kind: str
    original_filename: str
    original_filename_hex: str | None = Field(None, description="Raw bytes (hex) of a camera file name that was not valid UTF-8.")
    device_serial: str | None
    serial_source: str | None = None
    declared_police_id: str | None
    officer_id: int | None
    officer_source: str
    unit_id: int | None
    # The camera's own clock as the file or device said, in the unit's zone: no offset, so not an
    # RFC 3339 date-time (which the schema's "date-time" format would promise).
    started_at_device: Annotated[datetime | None, WithJsonSchema(
        {"anyOf": [{"type": "string", "description": "YYYY-MM-DDTHH:MM:SS, camera clock, no offset"},
                   {"type": "null"}]})]
    started_at: datetime | None
    clock_offset_seconds: int
    started_at_corrected: datetime | None = None
    clock_implausible: bool = False
    clock_note: str | None = None
    clock_corrected_at: datetime | None = None
    started_at_estimated: datetime | None = None
    time_source: str
    important: bool
    station_id: int | None
    docked_at: datetime | None
    uploaded_at: datetime | None
    verified_at: datetime | None
    retain_until: datetime | None
    status: str
    status_reason: str | None
    processing_state: str
    processing_reason: str | None
    processing_error: str | None
    processing_attempts: int
    container: str | None
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    duration_seconds: float | None
    frame_rate: float | None
    bitrate: int | None
    rotation: int | None
    creation_time: datetime | None
    location: str | None
    ended_at: datetime | None
    proxy_kind: str | None
    proxy_method: str | None
    strip_frames: int | None
    fixity_checked_at: datetime | None
    fixity_ok: bool | None
    retention_class: str
    flags: str | None
    legal_hold: bool
    deleted_at: datetime | None


class PlaybackOut(BaseModel):
    recording_id: int
    processing_state: str
    processing_reason: str | None
    proxy_kind: str | None
    proxy_url: str | None
    poster_url: str | None
    strip_url: str | None
    strip_frames: int | None
    expires_in: int


class ReprocessIn(BaseModel):
    state: str = Field(pattern="^(queued|processing|ready|unplayable|failed)$")


class ReprocessOut(BaseModel):
    queued: list[int]


class RecordingPage(BaseModel):
    items: list[RecordingOut]
    total: int
    page: int
    page_size: int


class DownloadOut(BaseModel):
    url: str
    expires_in: int


class ChainOut(BaseModel):
    ok: bool
    entries: int
    first_bad_id: int | None
    reason: str | None
    anchored_entry: int | None = None  # the newest signed checkpoint the log still matches
    unanchored_entries: int | None = None  # entries after it
    checkpoint_problems: list[str] = []  # cut-off end, rewritten tail, forged checkpoint
