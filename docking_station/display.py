"""What the officer at the dock sees: progress per camera and per file (speed, time left),
and a summary at the end. Without a terminal (service mode) it stays quiet and logs."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import (BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn,
                           TransferSpeedColumn)
from rich.table import Table

from docking_station.agent import CameraReport, StageOneEvents
from docking_station.journal import Entry
from docking_station.uploader import Outcome, UploadEvents


class Display(StageOneEvents):
    def __init__(self, console: Console):
        self.console = console
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
    def camera_started(self, camera, files, total_bytes):
        with self._lock:
            self._cameras[camera] = self.progress.add_task(f"camera {camera} → spool ({files} files)", total=total_bytes)

    def file_started(self, camera, name, size):
        with self._lock:
            self._files[(camera, name)] = self.progress.add_task(f"  {name}", total=size)

    def bytes_copied(self, camera, name, n):
        self.progress.advance(self._cameras[camera], n)
        self.progress.advance(self._files[(camera, name)], n)

    def file_done(self, camera, name):
        with self._lock:
            task = self._files.pop((camera, name), None)
        if task is not None:
            self.progress.remove_task(task)

    def camera_done(self, report: CameraReport):
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

        def started(e: Entry):
            with self._lock:
                if e.id not in uploads:
                    uploads[e.id] = self.progress.add_task(f"  ↑ {e.filename}", total=e.size)

        def sent(e: Entry, n: int):
            if e.id in uploads:
                self.progress.advance(uploads[e.id], n)

        def done(e: Entry, outcome: str):
            with self._lock:
                task = uploads.pop(e.id, None)
            if task is not None:
                self.progress.remove_task(task)

        return UploadEvents(file_started=started, bytes_sent=sent, file_done=done)


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
