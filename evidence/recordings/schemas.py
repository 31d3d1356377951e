"""HTTP shapes of recordings: the catalog, playback, download and reprocessing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema


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
