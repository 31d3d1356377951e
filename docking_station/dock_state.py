"""What the dock is doing, per docked camera: the one place that counts the agent's events
(files and bytes copied, speed, may-be-undocked, uploaded, verified, what holds things back).
The terminal display (display.py) and the dock's touchscreen page (screen.py) both read it;
thread-safe, because stage 1 copies cameras in parallel while the uploader runs."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from docking_station.agent import CameraReport, StageOneEvents
from docking_station.journal import Entry
from docking_station.uploader import UploadEvents

SPEED_WINDOW = 3.0  # seconds of recent bytes a speed is measured over
FORGET_AFTER = 600.0  # an undocked camera's tile stays this long (seconds)


class Rate:
    """Bytes per second over the last few seconds (0 once nothing moved for that long)."""

    def __init__(self, clock: Callable[[], float], window: float = SPEED_WINDOW):
        self.clock, self.window = clock, window
        self.first: float | None = None  # when bytes first moved
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, n: int) -> None:
        t = self.clock()
        if self.first is None:
            self.first = t
        self.samples.append((t, n))
        self._trim(t)

    def _trim(self, t: float) -> None:
        while self.samples and self.samples[0][0] < t - self.window:
            self.samples.popleft()

    def per_second(self) -> float:
        t = self.clock()
        self._trim(t)
        if not self.samples:
            return 0.0
        # Young transfers are measured over the time they have been running, not the whole window.
        span = min(self.window, max(t - self.first, 0.5))
        return sum(n for _, n in self.samples) / span


@dataclass
class CameraTile:
    """One docked camera as the officer sees it."""

    camera: str  # the agent's name for it: the serial, or the folder it is mounted as
    root: Path | None
    serial: str | None
    officers: list[str]
    docked_at: str  # UTC, ISO
    files_total: int = 0  # files this dock has to copy (those already in the spool excluded)
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0
    already_spooled: int = 0
    current: dict[str, list[int]] = field(default_factory=dict)  # file being copied -> [bytes done, size]
    copying: bool = True
    stage1_done: bool = False  # stage 1 ran to the end for this dock
    may_undock: bool = False  # every file is in the spool, hashed: the camera may go
    problem: str | None = None  # agent.PROBLEMS
    problem_detail: str | None = None
    copied_names: set[str] = field(default_factory=set)
    uploaded: set[str] = field(default_factory=set)
    verified: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)  # file -> the server's reason
    undocked_at: float | None = None  # clock() when its folder went away
    copy_rate: Rate | None = None
    upload_rate: Rate | None = None


class DockState(StageOneEvents):
    """The agent's events in, figures out: `snapshot()` for the page, `tile()` for the terminal."""

    def __init__(self, *, forget_after: float = FORGET_AFTER, clock: Callable[[], float] = time.monotonic):
        self.forget_after = forget_after
        self.clock = clock
        self._lock = threading.RLock()
        self._tiles: dict[str, CameraTile] = {}
        self._uploads: dict[int, tuple[str, list[int]]] = {}  # entry id -> (camera, [bytes sent, size])
        self.upload_problem: tuple[str, str] | None = None
        self.upload_problem_since: str | None = None
        self.upload_rate = Rate(clock)
        self.started_at = _utc_now()

    # -- stage 1 (StageOneEvents) -----------------------------------------------------------------
    def camera_started(self, report: CameraReport, files: int, total_bytes: int) -> None:
        with self._lock:
            tile = self._tiles.get(report.camera)
            if tile is None or tile.undocked_at is not None or tile.root != report.root:
                tile = self._new_tile(report)
            # A camera still docked is looked at again now and then: new files add to its figures.
            tile.officers = report.officers or tile.officers
            tile.serial = report.serial or tile.serial
            tile.files_total += files
            tile.bytes_total += total_bytes
            tile.copying = True
            if files:
                tile.may_undock = False

    def file_started(self, camera: str, name: str, size: int) -> None:
        with self._lock:
            tile = self._tiles.get(camera)
            if tile:
                tile.current[name] = [0, size]

    def bytes_copied(self, camera: str, name: str, n: int) -> None:
        with self._lock:
            tile = self._tiles.get(camera)
            if tile:
                tile.bytes_done += n
                tile.copy_rate.add(n)
                if name in tile.current:
                    tile.current[name][0] += n

    def file_done(self, camera: str, name: str) -> None:
        with self._lock:
            tile = self._tiles.get(camera)
            if tile:
                tile.files_done += 1
                tile.current.pop(name, None)
                tile.copied_names.add(name)

    def camera_done(self, report: CameraReport) -> None:
        with self._lock:
            tile = self._tiles.get(report.camera)
            if tile is None or tile.undocked_at is not None:
                tile = self._new_tile(report)  # stage 1 stopped before it started copying
            tile.copying = False
            tile.current.clear()
            tile.stage1_done = True
            tile.already_spooled = max(tile.already_spooled, report.already_spooled)
            tile.may_undock = report.complete
            tile.problem = None if report.complete else (report.problem or "read_error")
            tile.problem_detail = "; ".join(report.waiting[:3]) or None

    def _new_tile(self, report: CameraReport) -> CameraTile:
        tile = CameraTile(camera=report.camera, root=report.root, serial=report.serial, officers=list(report.officers),
                          docked_at=_utc_now(), copy_rate=Rate(self.clock), upload_rate=Rate(self.clock))
        self._tiles[report.camera] = tile
        return tile

    # -- stage 2 ------------------------------------------------------------------------------------
    def upload_events(self) -> UploadEvents:
        return UploadEvents(file_started=self.upload_started, bytes_sent=self.bytes_sent,
                            file_uploaded=self.file_uploaded, file_done=self.upload_done, problem=self.problem)

    def upload_started(self, e: Entry) -> None:
        with self._lock:
            self._uploads.setdefault(e.id, (e.camera, [0, e.size]))

    def bytes_sent(self, e: Entry, n: int) -> None:
        with self._lock:
            self.upload_rate.add(n)
            if e.id in self._uploads:
                self._uploads[e.id][1][0] += n
            tile = self._tiles.get(e.camera)
            if tile:
                tile.upload_rate.add(n)

    def file_uploaded(self, e: Entry) -> None:
        with self._lock:
            self._uploads.pop(e.id, None)
            tile = self._tiles.get(e.camera)
            if tile:
                tile.uploaded.add(e.filename)

    def upload_done(self, e: Entry, outcome: str) -> None:
        with self._lock:
            self._uploads.pop(e.id, None)
            tile = self._tiles.get(e.camera)
            if not tile:
                return
            if outcome == "refused":
                tile.refused[e.filename] = e.last_error or "refused by the server"
            else:  # verified, or a duplicate the server already held verified
                tile.uploaded.add(e.filename)
                tile.verified.add(e.filename)
                tile.refused.pop(e.filename, None)

    def problem(self, kind: str | None, detail: str | None) -> None:
        """Called when an upload round is over: nothing is in flight any more."""
        with self._lock:
            self._uploads.clear()
            if kind is None:
                self.upload_problem = self.upload_problem_since = None
            else:
                if self.upload_problem is None or self.upload_problem[0] != kind:
                    self.upload_problem_since = _utc_now()
                self.upload_problem = (kind, detail or "")

    # -- reading ------------------------------------------------------------------------------------
    def tile(self, camera: str) -> CameraTile | None:
        with self._lock:
            return self._tiles.get(camera)

    def upload_progress(self, e: Entry) -> int:
        """Bytes of this file sent so far (0 if not under way)."""
        with self._lock:
            return self._uploads.get(e.id, ("", [0, 0]))[1][0]

    def sweep(self) -> None:
        """Notice cameras whose folder went away; forget those undocked long enough ago."""
        t = self.clock()
        with self._lock:
            for camera, tile in list(self._tiles.items()):
                if tile.undocked_at is None and tile.root is not None and not tile.copying and not _exists(tile.root):
                    tile.undocked_at = t
                if tile.undocked_at is not None and t - tile.undocked_at >= self.forget_after:
                    del self._tiles[camera]

    def snapshot(self) -> dict:
        """Everything the page shows, as JSON-ready values (sizes in bytes, speeds in bytes/s)."""
        self.sweep()
        with self._lock:
            problem = self.upload_problem
            return {
                "now": _utc_now(),
                "started_at": self.started_at,
                "upload_problem": ({"kind": problem[0], "detail": problem[1], "since": self.upload_problem_since}
                                   if problem else None),
                "upload_speed": round(self.upload_rate.per_second()),
                "uploading": len(self._uploads),
                "cameras": [self._tile_json(t) for t in sorted(self._tiles.values(), key=lambda t: t.docked_at)],
            }

    def _tile_json(self, t: CameraTile) -> dict:
        verified_all = bool(t.copied_names) and t.copied_names <= t.verified
        return {
            "camera": t.camera, "serial": t.serial or t.camera, "officers": t.officers, "docked_at": t.docked_at,
            "files_total": t.files_total, "files_done": t.files_done,
            "bytes_total": t.bytes_total, "bytes_done": t.bytes_done, "already_spooled": t.already_spooled,
            "copy_speed": round(t.copy_rate.per_second()) if t.copying else 0,
            "copying_files": sorted(t.current),
            "copying": t.copying, "stage1_done": t.stage1_done, "may_undock": t.may_undock,
            "undocked": t.undocked_at is not None,
            "problem": t.problem, "problem_detail": t.problem_detail,
            "uploaded": len(t.uploaded), "verified": len(t.verified), "all_verified": verified_all,
            "uploading": sum(1 for camera, _ in self._uploads.values() if camera == t.camera), "upload_speed": round(t.upload_rate.per_second()),
            "refused": [{"file": name, "reason": reason} for name, reason in sorted(t.refused.items())],
        }


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
