"""The dock agent: finds cameras, runs stage 1 (camera → spool) and stage 2 (spool → server),
wipes verified files from cameras when the policy says so, and reports to the server."""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from docking_station import __version__, names
from docking_station.client import ServerError, StationClient
from docking_station.config import AgentSettings
from docking_station.identify import camera_officers, compile_patterns, folder_serial, identify, read_device_info
from docking_station.journal import Entry, Journal, now
from docking_station.spool import GB, Spool, SpoolFull
from docking_station.uploader import TokenBucket, UploadEvents, Uploader

log = logging.getLogger(__name__)


@dataclass
class CameraReport:
    """What stage 1 did with one camera."""

    root: Path
    camera: str
    serial: str | None = None  # from the device-info file, or the one all file names agree on
    officers: list[str] = field(default_factory=list)  # 警号 named by the files (or the device-info file)
    files: int = 0
    copied: int = 0
    copied_bytes: int = 0
    already_spooled: int = 0
    waiting: list[str] = field(default_factory=list)  # still on the camera, with the reason
    problem: str | None = None  # why stage 1 stopped short: one of PROBLEMS
    complete: bool = False


# What can keep files on a camera, as CameraReport.problem (the dock screen words each one).
PROBLEMS = ("camera_unreadable", "read_error", "camera_removed", "spool_full", "agent_stopping")


class StageOneEvents:
    """Hooks for the operator's display of stage 1 (dock_state.DockState counts them)."""

    def camera_started(self, report: CameraReport, files: int, total_bytes: int) -> None: ...
    def file_started(self, camera: str, name: str, size: int) -> None: ...
    def bytes_copied(self, camera: str, name: str, n: int) -> None: ...
    def file_done(self, camera: str, name: str) -> None: ...
    def camera_done(self, report: CameraReport) -> None: ...


def list_camera_files(root: Path, skip: set[str]) -> list[Path]:
    """Every regular file on the camera (device-info files excepted), in a stable order."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.parent == root and name in skip:
                continue
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


class Agent:
    def __init__(self, settings: AgentSettings, *, stage1_events: StageOneEvents | None = None,
                 upload_events: UploadEvents | None = None):
        self.settings = settings
        settings.spool_dir.mkdir(parents=True, exist_ok=True)
        self.journal = Journal(settings.journal_path)
        copy_cap = TokenBucket(settings.copy_mbps * 1e6) if settings.copy_mbps else None
        self.spool = Spool(settings.spool_dir, int(settings.spool_budget_gb * GB), int(settings.min_free_gb * GB),
                           throttle=copy_cap)
        self.patterns = compile_patterns(settings.patterns)
        throttle = TokenBucket(settings.bandwidth_mbps * 1e6 / 8) if settings.bandwidth_mbps else None
        self.client = StationClient(settings.server_url, settings.station_key, concurrency=settings.part_concurrency,
                                    throttle=throttle)
        self.stage1_events = stage1_events or StageOneEvents()
        self.uploader = Uploader(self.journal, self.spool, self.client, file_concurrency=settings.file_concurrency,
                                 events=upload_events)
        self.stop = threading.Event()
        self._reset_interrupted_copies()

    def close(self) -> None:
        self.client.close()
        self.journal.close()

    def _reset_interrupted_copies(self) -> None:
        for e in self.journal.by_state("copying"):
            if e.last_error is None:
                self.journal.update(e.id, last_error="copy interrupted; will copy again when the camera is docked")

    # -- stage 1 ----------------------------------------------------------------------------------
    def stage1(self, root: Path) -> CameraReport:
        root = root.resolve()
        device = read_device_info(root, self.settings.device_info_files)
        camera = device.serial or names.safe(root.name)
        report = CameraReport(root=root, camera=camera, serial=device.serial)
        try:
            files = list_camera_files(root, set(self.settings.device_info_files))
        except OSError as exc:
            report.waiting.append(f"camera unreadable: {exc}")
            report.problem = "camera_unreadable"
            self.stage1_events.camera_done(report)
            return report
        report.files = len(files)
        docked_at = now()
        todo: list[tuple[Path, os.stat_result, Entry | None]] = []
        for path in files:
            try:
                st = path.stat()
            except OSError as exc:
                report.waiting.append(f"{names.safe(path.name)}: {exc}")
                report.problem = "read_error"
                continue
            rel = str(path.relative_to(root))
            known = self.journal.find(camera, rel, st.st_size, st.st_mtime_ns)
            if known and known.state not in ("copying",):
                report.already_spooled += 1
                if known.state == "verified":
                    self._maybe_wipe(known, root, again=True)
                continue
            todo.append((path, st, known))
        # Important files first, then oldest first.
        folder = folder_serial(files, self.patterns)  # for files whose name carries no serial
        report.serial = device.serial or folder
        report.officers = camera_officers(files, device, self.patterns)
        todo.sort(key=lambda t: (not identify(t[0], device, self.patterns).important, t[1].st_mtime_ns))
        self.stage1_events.camera_started(report, len(todo), sum(t[1].st_size for t in todo))
        for path, st, known in todo:
            if self.stop.is_set():
                report.waiting.append("agent stopping")
                report.problem = "agent_stopping"
                break
            rel = str(path.relative_to(root))
            try:
                self._copy_one(camera, root, path, rel, st, docked_at, device, report, folder)
            except SpoolFull as exc:
                report.waiting.append(f"{names.safe(rel)}: {exc}")
                report.problem = "spool_full"
                log.error("stage 1 stopped for camera %s: %s", camera, exc)
                break
            except OSError as exc:  # unplugged mid-copy, or an unreadable file
                report.waiting.append(f"{names.safe(rel)}: {exc.strerror or exc}")
                report.problem = "read_error"
                log.warning("could not copy %s from camera %s: %s", names.safe(rel), camera, exc)
                if not root.exists():
                    report.waiting.append("camera removed during copy; the rest waits for the next dock")
                    report.problem = "camera_removed"
                    break
        report.complete = not report.waiting
        self.stage1_events.camera_done(report)
        return report

    def _copy_one(self, camera, root, path, rel, st, docked_at, device, report, folder=None) -> None:
        ident = identify(path, device, self.patterns, folder)
        started = ident.started_at.isoformat() if ident.started_at else None
        entry = self.journal.start_copy(camera, str(root), rel, st.st_size, st.st_mtime_ns, docked_at,
                                        serial=ident.serial, police_id=ident.police_id, started_at=started,
                                        time_source=ident.time_source, important=ident.important, kind=ident.kind,
                                        serial_source=ident.serial_source)
        self.spool.reserve(st.st_size, self._evict)
        stored = False
        try:
            self.stage1_events.file_started(camera, entry.filename, st.st_size)
            sha, spool_path, stored = self.spool.copy_in(
                path, f"{entry.id}", lambda n: self.stage1_events.bytes_copied(camera, entry.filename, n))
            if path.stat().st_mtime_ns != st.st_mtime_ns:
                raise OSError(f"{names.safe(rel)} changed while it was copied")
        finally:
            self.spool.release(st.st_size, stored)
        self.journal.update(entry.id, state="spooled", sha256=sha, spool_path=str(spool_path), spooled_at=now(),
                            last_error=None)
        report.copied += 1
        report.copied_bytes += st.st_size
        self.stage1_events.file_done(camera, entry.filename)

    def _evict(self, need: int) -> int:
        """Remove verified files from the spool, oldest first, until `need` bytes are free."""
        freed = 0
        for e in self.journal.removable_spool_files():
            if freed >= need:
                break
            if self.settings.wipe and e.wiped_at is None and Path(e.camera_root, e.rel_path).exists():
                continue  # keep it until the camera copy is wiped (the camera may be re-docked)
            users = [o for o in self.journal.spool_users(e.spool_path) if o.state != "verified"]
            if not users:
                freed += self.spool.remove(Path(e.spool_path))
            self.journal.update(e.id, spool_removed_at=now())
        return freed

    # -- wiping -----------------------------------------------------------------------------------
    def _maybe_wipe(self, e: Entry, root: Path | None = None, again: bool = False) -> int:
        """Delete the camera's copy of a verified file, if the policy says so and it is unchanged.

        `again`: the file is on a camera now although wiped before (copied back): wipe it too.
        """
        if not self.settings.wipe or e.state != "verified" or (e.wiped_at and not again):
            return 0
        path = Path(root or e.camera_root) / e.rel_path
        try:
            st = path.stat()
            if st.st_size != e.size or st.st_mtime_ns != e.mtime_ns:
                return 0
            path.unlink()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            log.warning("could not wipe %s from the camera: %s", names.safe(str(path)), exc)
            return 0
        self.journal.update(e.id, wiped_at=now())
        self.uploader.outcome.wiped += 1
        log.info("wiped %s from camera %s (verified as recording %s)", e.display_path, e.camera, e.recording_id)
        return 1

    def wipe_verified(self) -> int:
        if not self.settings.wipe:
            return 0
        return sum(self._maybe_wipe(e) for e in self.journal.unwiped_verified())

    # -- stage 2 and the whole run ---------------------------------------------------------------
    def stage2(self, *, wait_verified: bool = True) -> None:
        deadline = time.monotonic() + self.settings.verify_timeout_seconds
        self.uploader.drain(self.stop, until_verified=wait_verified, deadline=deadline)
        self.wipe_verified()

    def ingest(self, roots: list[Path], upload: bool = True) -> list[CameraReport]:
        """One shot: copy each camera to the spool (in parallel, bounded) while what is already
        spooled goes up, then upload the rest and wait for the server's verification."""
        copying_done = threading.Event()
        feeder = threading.Thread(target=self._upload_while_copying, args=(copying_done,), daemon=True,
                                  name="uploader") if upload else None
        if feeder:
            feeder.start()
        try:
            with ThreadPoolExecutor(self.settings.camera_concurrency) as pool:
                reports = list(pool.map(self.stage1, roots))
        finally:
            copying_done.set()
            if feeder:
                feeder.join()
        if not upload:
            return reports
        self.stage2()
        for _ in range(3):  # a spool copy found damaged is copied again while the camera is here
            again = {Path(e.camera_root) for e in self.journal.by_state("copying")} & {r.root for r in reports}
            if not again or self.stop.is_set():
                break
            for root in again:
                self.stage1(root)
            self.stage2()
        return reports

    def _upload_while_copying(self, copying_done: threading.Event) -> None:
        """Stage 2 starts with the first spooled file: on a USB 2.0 camera stage 1 takes tens of
        minutes, and the link to the server should not sit idle meanwhile."""
        while not copying_done.is_set() and not self.stop.is_set():
            self.uploader.drain(copying_done, until_verified=False)
            copying_done.wait(0.2)

    def heartbeat(self) -> bool:
        """Report version, spool use, queue length and last error; False (logged) when not delivered."""
        counts = self.journal.counts()
        queue = sum(counts.get(s, 0) for s in ("copying", "spooled", "uploading", "verifying"))
        try:
            self.client.heartbeat(version=__version__, spool_used_bytes=max(self.spool.used_bytes(), 0),
                                  spool_free_bytes=self.spool.free_bytes(), queue_length=queue,
                                  last_error=self.uploader.last_error)
        except ServerError as exc:
            log.warning("heartbeat not delivered: %s", exc)
            return False
        return True

    def run_forever(self) -> None:
        """Service mode: watch mount roots, copy new cameras, upload continuously, report."""
        busy: dict[Path, float] = {}
        pool = ThreadPoolExecutor(self.settings.camera_concurrency)
        uploader = threading.Thread(target=self._upload_loop, daemon=True, name="uploader")
        uploader.start()
        last_beat = 0.0
        lock = threading.Lock()
        try:
            while not self.stop.is_set():
                for root in self.settings.mount_roots:
                    try:
                        cameras = [p for p in Path(root).iterdir() if p.is_dir()]
                    except OSError:
                        continue
                    for cam in cameras:
                        with lock:
                            if cam in busy and time.monotonic() - busy[cam] < 30:
                                continue
                            busy[cam] = float("inf")

                        def job(cam=cam):
                            try:
                                self.stage1(cam)
                            finally:
                                with lock:
                                    busy[cam] = time.monotonic()
                        pool.submit(job)
                if time.monotonic() - last_beat > self.settings.heartbeat_seconds:
                    self.heartbeat()
                    last_beat = time.monotonic()
                self.stop.wait(self.settings.poll_seconds)
        finally:
            self.stop.set()
            pool.shutdown(wait=True)
            uploader.join()

    def _upload_loop(self) -> None:
        while not self.stop.is_set():
            self.uploader.drain(self.stop, until_verified=False)
            self.wipe_verified()
            self.stop.wait(self.settings.poll_seconds)
