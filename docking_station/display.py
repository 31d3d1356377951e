"""What the officer at the dock sees on the terminal: progress per camera and per file (speed,
time left), and a summary at the end. Without a terminal (service mode) it stays quiet and logs.
The figures come from dock_state.DockState, which the dock screen's page reads too."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import (BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn,
                           TransferSpeedColumn)
from rich.table import Table

from docking_station.agent import CameraReport, StageOneEvents
from docking_station.dock_state import DockState
from docking_station.journal import Entry
from docking_station.uploader import Outcome, UploadEvents


class Display(StageOneEvents):
    """Draws the figures DockState counts: every event goes to the state first, then the bars
    are set from what the state holds (no counting of its own)."""

    def __init__(self, console: Console, state: DockState | None = None):
        self.console = console
        self.state = state or DockState()
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), console=console, disable=not console.is_terminal, transient=False)
        self._cameras: dict[str, TaskID] = {}
        self._files: dict[tuple, TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    # stage 1
    def camera_started(self, report, files, total_bytes):
        self.state.camera_started(report, files, total_bytes)
        tile = self.state.tile(report.camera)
        with self._lock:
            task = self._cameras.get(report.camera)
            if task is not None:
                self.progress.remove_task(task)
            self._cameras[report.camera] = self.progress.add_task(
                f"camera {report.camera} → spool ({tile.files_total} files)", total=tile.bytes_total,
                completed=tile.bytes_done)

    def file_started(self, camera, name, size):
        self.state.file_started(camera, name, size)
        with self._lock:
            self._files[(camera, name)] = self.progress.add_task(f"  {name}", total=size)

    def bytes_copied(self, camera, name, n):
        self.state.bytes_copied(camera, name, n)
        tile = self.state.tile(camera)
        if tile is None:
            return
        self.progress.update(self._cameras[camera], completed=tile.bytes_done)
        done = tile.current.get(name)
        if done is not None and (camera, name) in self._files:
            self.progress.update(self._files[(camera, name)], completed=done[0])

    def file_done(self, camera, name):
        self.state.file_done(camera, name)
        with self._lock:
            task = self._files.pop((camera, name), None)
        if task is not None:
            self.progress.remove_task(task)

    def camera_done(self, report: CameraReport):
        self.state.camera_done(report)
        if report.complete:
            self.console.print(f"[bold green]Camera {report.camera}: all {report.files} files are in the spool "
                               f"— it may be undocked.[/]")
        else:
            self.console.print(f"[bold yellow]Camera {report.camera}: {len(report.waiting)} item(s) still on the "
                               f"camera[/] — keep it docked or dock it again later:")
            for reason in report.waiting[:10]:
                self.console.print(f"   {reason}")

    # stage 2
    def upload_events(self) -> UploadEvents:
        uploads: dict[int, TaskID] = {}
        counted = self.state.upload_events()

        def started(e: Entry):
            counted.file_started(e)
            with self._lock:
                if e.id not in uploads:
                    uploads[e.id] = self.progress.add_task(f"  ↑ {e.filename}", total=e.size)

        def sent(e: Entry, n: int):
            counted.bytes_sent(e, n)
            if e.id in uploads:
                self.progress.update(uploads[e.id], completed=self.state.upload_progress(e))

        def finished(e: Entry):
            with self._lock:
                task = uploads.pop(e.id, None)
            if task is not None:
                self.progress.remove_task(task)

        def uploaded(e: Entry):
            counted.file_uploaded(e)
            finished(e)

        def done(e: Entry, outcome: str):
            counted.file_done(e, outcome)
            finished(e)

        def round_over(kind: str | None, detail: str | None):
            counted.problem(kind, detail)
            with self._lock:
                left = list(uploads.values())
                uploads.clear()
            for task in left:  # not sent this round (e.g. the server was unreachable): drawn again next round
                self.progress.remove_task(task)

        return UploadEvents(file_started=started, bytes_sent=sent, file_uploaded=uploaded, file_done=done,
                            problem=round_over)


def summary(console: Console, reports: list[CameraReport], outcome: Outcome, counts: dict[str, int],
            problems: list[Entry]) -> None:
    table = Table(title="Dock session summary", show_header=False)
    table.add_row("files on cameras", str(sum(r.files for r in reports)))
    table.add_row("copied to spool", f"{sum(r.copied for r in reports)} ({sum(r.copied_bytes for r in reports) / 1e6:.1f} MB)")
    table.add_row("already in spool", str(sum(r.already_spooled for r in reports)))
    table.add_row("uploaded and verified", str(outcome.verified))
    table.add_row("duplicates skipped (server had them)", str(outcome.duplicates))
    table.add_row("bytes sent", f"{outcome.bytes_sent / 1e6:.1f} MB")
    table.add_row("wiped from cameras", str(outcome.wiped))
    table.add_row("journal", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    console.print(table)
    if problems:
        console.print(f"[bold red]{len(problems)} file(s) not verified:[/]")
        for e in problems:
            console.print(f"  {e.camera}/{e.display_path} [{e.state}] {e.last_error or ''}")
    for r in reports:
        for reason in r.waiting:
            console.print(f"  [yellow]waiting on camera {r.camera}:[/] {reason}")
