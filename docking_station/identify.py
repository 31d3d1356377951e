"""Who and when a camera file belongs to: filename patterns, the device-info file, then
container metadata and file times. Every guess records where it came from."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

# {serial}_{police_id}_{YYYYMMDDhhmmss}_{seq}[_IMP].{ext}
# DCAM_{serial}_{police_id}_{YYYYMMDD}_{HHMMSS}[_IMP].{ext}
BUILTIN_PATTERNS = [
    r"^DCAM_(?P<serial>[A-Za-z0-9-]+)_(?P<police_id>[0-9A-Za-z]+)_(?P<date>\d{8})_(?P<time>\d{6})(?P<important>_IMP)?\.(?P<ext>[A-Za-z0-9]+)$",
    r"^(?P<serial>[A-Za-z0-9-]+)_(?P<police_id>[0-9A-Za-z]+)_(?P<start>\d{14})_(?P<seq>\d+)(?P<important>_IMP)?\.(?P<ext>[A-Za-z0-9]+)$",
]

MEDIA_KINDS = {
    "video": {"mp4", "mov", "avi", "mkv", "ts", "dav"},
    "audio": {"wav", "m4a", "aac", "mp3"},
    "photo": {"jpg", "jpeg", "png"},
}


def media_kind(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return next((kind for kind, exts in MEDIA_KINDS.items() if ext in exts), "other")


@dataclass
class DeviceInfo:
    serial: str | None = None
    police_id: str | None = None
    source: str | None = None


@dataclass
class FileIdentity:
    serial: str | None
    police_id: str | None
    started_at: datetime | None  # naive = camera clock; aware = absolute
    time_source: str  # filename, device_info, container, mtime, unknown
    important: bool
    kind: str
    serial_source: str | None = None  # device_info, filename, folder (the camera's other files agree)


def compile_patterns(extra: list[str]) -> list[re.Pattern]:
    compiled = []
    for text in [*extra, *BUILTIN_PATTERNS]:
        try:
            compiled.append(re.compile(text))
        except re.error as exc:
            raise ValueError(f"filename pattern {text!r} is not a valid regular expression: {exc}") from None
    return compiled


def read_device_info(camera_root: Path, names: list[str]) -> DeviceInfo:
    """Serial and 警号 from a JSON file at the camera's root, if one is there and readable."""
    for name in names:
        path = camera_root / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            log.warning("device-info file %s unreadable: %s", path, exc)
            continue
        serial = data.get("serial") or data.get("device_serial") or data.get("device_id")
        police_id = data.get("police_id") or data.get("officer") or data.get("jh")
        return DeviceInfo(str(serial) if serial else None, str(police_id) if police_id else None, name)
    return DeviceInfo()


def _from_filename(name: str, patterns: list[re.Pattern]) -> dict | None:
    for pattern in patterns:
        m = pattern.match(name)
        if not m:
            continue
        g = {k: v for k, v in m.groupdict().items() if v}
        start = None
        try:
            if "start" in g:
                start = datetime.strptime(g["start"], "%Y%m%d%H%M%S")
            elif "date" in g and "time" in g:
                start = datetime.strptime(g["date"] + g["time"], "%Y%m%d%H%M%S")
        except ValueError:
            start = None  # digits that are no date: fall back to other sources
        return {"serial": g.get("serial"), "police_id": g.get("police_id"), "start": start,
                "important": bool(g.get("important"))}
    return None


def container_creation_time(path: Path) -> datetime | None:
    """creation_time from the container (ffprobe), if ffprobe is installed and finds one."""
    if not shutil.which("ffprobe"):
        return None
    try:
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format_tags=creation_time", "-of", "json", str(path)],
            capture_output=True, text=True, timeout=15, stdin=subprocess.DEVNULL)
        value = json.loads(out.stdout or "{}").get("format", {}).get("tags", {}).get("creation_time")
        if not value:
            return None
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.year < 2000:  # an unset camera clock writes 1970 or 1904
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (subprocess.SubprocessError, ValueError, OSError):
        return None


SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
POLICE_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")


def _valid(value: str | None, pattern: re.Pattern, what: str, path: Path) -> str | None:
    if value and not pattern.match(value):
        log.warning("ignoring %s %r for %s: not a valid value", what, value, path)
        return None
    return value


def folder_serial(paths: list[Path], patterns: list[re.Pattern]) -> str | None:
    """The serial every file of a camera that names one agrees on (None if none does, or they differ):
    what a file whose name carries no serial (`执法 记录 0001.MP4`) belongs to."""
    named = set()
    for path in paths:
        serial = (_from_filename(path.name, patterns) or {}).get("serial")
        if serial and SERIAL.match(serial):
            named.add(serial)
    return named.pop() if len(named) == 1 else None


def camera_officers(paths: list[Path], device: DeviceInfo, patterns: list[re.Pattern]) -> list[str]:
    """The 警号 a camera's files name, most files first (the device-info file's one leads): what
    the dock screen shows beside the serial, so an officer finds their camera's tile."""
    counts: dict[str, int] = {}
    if device.police_id and POLICE_ID.match(device.police_id):
        counts[device.police_id] = len(paths) + 1
    for path in paths:
        police_id = (_from_filename(path.name, patterns) or {}).get("police_id")
        if police_id and POLICE_ID.match(police_id):
            counts[police_id] = counts.get(police_id, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))


def identify(path: Path, device: DeviceInfo, patterns: list[re.Pattern], folder: str | None = None) -> FileIdentity:
    parsed = _from_filename(path.name, patterns) or {}
    kind = media_kind(path.name)
    from_info = _valid(device.serial, SERIAL, "device serial", path)
    from_name = None if from_info else _valid(parsed.get("serial"), SERIAL, "serial", path)
    serial = from_info or from_name or folder
    serial_source = "device_info" if from_info else "filename" if from_name else "folder" if folder else None
    police_id = (_valid(parsed.get("police_id"), POLICE_ID, "police ID", path)
                 or _valid(device.police_id, POLICE_ID, "police ID", path))
    started, source = parsed.get("start"), "filename"
    if started is None and kind in ("video", "audio"):
        started, source = container_creation_time(path), "container"
    if started is None:
        try:
            started, source = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc), "mtime"
        except OSError:
            started, source = None, "unknown"
    return FileIdentity(serial=serial, police_id=police_id, started_at=started, time_source=source,
                        important=bool(parsed.get("important")), kind=kind, serial_source=serial_source)
