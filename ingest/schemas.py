"""Request and response bodies of the station upload protocol, and the checks on the untrusted
metadata a station declares: every refusal says what is wrong and what is allowed."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from evidence.config import get_settings
from evidence.devices.models import SERIAL
from evidence.identity.models import POLICE_ID
from evidence.recordings.clock import implausible_reason
from evidence.timeutil import to_utc
from storage.keys import SHA256_HEX

MAX_FILENAME_BYTES = 255
RAW_NAME_HEX = re.compile(r"^[0-9a-f]{2,%d}$" % (2 * MAX_FILENAME_BYTES))

MEDIA_KINDS = {
    "video": {"mp4", "mov", "avi", "mkv", "ts", "dav"},
    "audio": {"wav", "m4a", "aac", "mp3"},
    "photo": {"jpg", "jpeg", "png"},
}


def check_filename(name: str) -> str:
    """A bare file name: no directories, no `..`, no control characters, valid UTF-8, ≤255 bytes.

    The name is NFC-normalised first and the checks apply to what is stored: some characters
    (U+0958 and other composition exclusions) grow when normalised."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("filename is empty")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("filename is not valid Unicode (undecodable bytes or lone surrogates)") from None
    given = len(name.encode("utf-8"))
    name = unicodedata.normalize("NFC", name)
    encoded = name.encode("utf-8")
    if "\ufffd" in name:
        raise ValueError("filename contains U+FFFD: it was not valid UTF-8 on the camera; rename it")
    if "/" in name or "\\" in name:
        raise ValueError("filename must be a bare name without '/' or '\\' (no directories)")
    if name in (".", "..") or ".." in name.split("."):
        raise ValueError("filename must not contain '..' path components")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise ValueError("filename contains control or invisible format characters")
    if len(encoded) > MAX_FILENAME_BYTES:
        grown = f" after Unicode NFC normalisation (given: {given} bytes)" if given != len(encoded) else ""
        raise ValueError(f"filename is {len(encoded)} bytes in UTF-8{grown}; at most {MAX_FILENAME_BYTES} are allowed")
    return name


def check_raw_name_hex(value: str | None) -> str | None:
    """The camera's file name as raw bytes, hex, sent when it was not valid UTF-8."""
    if value is None:
        return None
    value = value.strip().lower()
    if not RAW_NAME_HEX.match(value) or len(value) % 2:
        raise ValueError(f"filename_raw_hex must be an even number (2-{2 * MAX_FILENAME_BYTES}) of hexadecimal digits")
    raw = bytes.fromhex(value)
    if b"/" in raw or b"\0" in raw:
        raise ValueError("filename_raw_hex must be a bare name: no '/' and no NUL byte")
    return value


def media_kind(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    for kind, exts in MEDIA_KINDS.items():
        if ext in exts:
            return kind
    return "other"


def check_sha256(value: str) -> str:
    value = value.strip().lower()
    if not SHA256_HEX.match(value):
        raise ValueError("sha256 must be 64 hexadecimal characters")
    return value


def check_size(value: int) -> int:
    limit = get_settings().max_upload_bytes
    if value < 0:
        raise ValueError("size_bytes must not be negative")
    if value > limit:
        raise ValueError(f"size_bytes {value} exceeds the largest accepted file ({limit} bytes)")
    return value


def check_time(value: datetime | None, field: str) -> datetime | None:
    """The dock's own time (docked_at) must fall between the earliest year and now plus clock skew."""
    if value is None:
        return None
    s = get_settings()
    problem = implausible_reason(to_utc(check_device_time(value, field), s.timezone))
    if problem:
        raise ValueError(f"{field} {value.isoformat()} is implausible ({problem.split(': ', 1)[1]}): "
                         "check the clock of the dock PC")
    return value


def check_device_time(value: datetime | None, field: str) -> datetime | None:
    """A camera's clock may be wrong (it is flagged, never refused); only a time that cannot be
    stored is refused."""
    if value is not None and not 1900 <= value.year <= 9000:
        raise ValueError(f"{field} {value.isoformat()} is not a storable time (years 1900-9000)")
    return value


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
        return check_sha256(v)

    @field_validator("size_bytes")
    @classmethod
    def _size(cls, v: int) -> int:
        return check_size(v)

    @field_validator("filename")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_filename(v)

    @field_validator("filename_raw_hex")
    @classmethod
    def _raw_name(cls, v: str | None) -> str | None:
        return check_raw_name_hex(v)

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
        return check_device_time(v, "started_at")  # a wrong camera clock is flagged, not refused

    @field_validator("docked_at")
    @classmethod
    def _docked(cls, v):
        return check_time(v, "docked_at")


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
