"""Checks on untrusted upload metadata: every refusal says what is wrong and what is allowed."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from evidence.config import get_settings
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
