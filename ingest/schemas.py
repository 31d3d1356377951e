"""Request and response bodies of the station upload protocol."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from evidence.devices.models import SERIAL
from evidence.identity.models import POLICE_ID
from ingest import validation

TimeSource = Literal["filename", "device_info", "container", "mtime", "unknown"]
SerialSource = Literal["filename", "device_info", "folder"]


class UploadRequest(BaseModel):
    """What a station declares about a file before sending it. Nothing here is trusted."""

    sha256: str = Field(description="SHA-256 of the whole file, hex.")
    size_bytes: int = Field(description="File size in bytes.")
    filename: str = Field(description="Original file name on the camera (bare name).")
    filename_raw_hex: str | None = Field(None, description="The name's raw bytes in hex when they are not valid UTF-8; "
                                         "filename is then a safe stand-in chosen by the station.")
    device_serial: str | None = Field(None, description="Camera serial.")
    police_id: str | None = Field(None, description="警号 found in the file name or device info.")
    started_at: datetime | None = Field(None, description="Recording start on the device clock; without offset it is the unit's time zone.")
    time_source: TimeSource = Field("unknown", description="Where started_at came from.")
    serial_source: SerialSource | None = Field(None, description="Where device_serial came from (folder: the camera's other files).")
    important: bool = Field(False, description="Marked important on the camera.")
    docked_at: datetime | None = Field(None, description="When the camera was docked.")

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        return validation.check_sha256(v)

    @field_validator("size_bytes")
    @classmethod
    def _size(cls, v: int) -> int:
        return validation.check_size(v)

    @field_validator("filename")
    @classmethod
    def _name(cls, v: str) -> str:
        return validation.check_filename(v)

    @field_validator("filename_raw_hex")
    @classmethod
    def _raw_name(cls, v: str | None) -> str | None:
        return validation.check_raw_name_hex(v)

    @field_validator("device_serial")
    @classmethod
    def _serial(cls, v: str | None) -> str | None:
        if v is not None and not SERIAL.match(v):
            raise ValueError("device_serial must be 1-64 letters, digits, '.', '_' or '-'")
        return v

    @field_validator("police_id")
    @classmethod
    def _police(cls, v: str | None) -> str | None:
        if v is not None and not POLICE_ID.match(v):
            raise ValueError("police_id must be 1-32 letters or digits")
        return v

    @field_validator("started_at")
    @classmethod
    def _started(cls, v):
        return validation.check_device_time(v, "started_at")  # a wrong camera clock is flagged, not refused

    @field_validator("docked_at")
    @classmethod
    def _docked(cls, v):
        return validation.check_time(v, "docked_at")


class PartUrl(BaseModel):
    part_number: int
    url: str


class UploadSessionOut(BaseModel):
    """The answer to opening or resuming an upload.

    status: `already_verified` (nothing to send), `open` (send the missing parts, then
    complete), `verifying` (sent; wait), `verified`, or `failed` (see reason; open again).
    recording_id is left out of `already_verified` for a station of another unit than the
    recording's that did not send it: the file is safe on the server, its id is not that station's to know.
    """

    status: str
    recording_id: int | None = None
    session_id: str | None = None
    part_size: int | None = None
    part_count: int | None = None
    parts: list[PartUrl] = []
    landed: list[int] = []
    reason: str | None = None
    url_expires_in: int | None = None


class StatusRequest(BaseModel):
    session_ids: list[str] = Field(min_length=1, max_length=1000)


class UploadStatus(BaseModel):
    """Where one upload stands: `open`, `verifying`, `verified` or `failed` (with the reason)."""

    session_id: str
    status: str
    recording_id: int
    reason: str | None = None


class PartsRequest(BaseModel):
    part_numbers: list[int] = Field(max_length=10000)
