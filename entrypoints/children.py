"""The processes `evidence serve` runs (workers, scheduler, API), kept alive.

A process that dies on its own (a crash, an OOM kill, `kill -9`) is restarted after a pause
that doubles with each quick death (1 s, 2 s, 4 s … 30 s), with a line on the console, so one
dead process does not take the whole box down. What a killed process leaves behind (a Celery
worker's pool processes) is killed with it. One that keeps dying within a minute of starting
stops the box with a message, rather than looping forever on a problem a person must fix.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

from rich.console import Console

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_SECONDS = 60.0  # a process that ran this long had no quick death: its next pause starts at 1 s
GIVE_UP_AFTER = 8  # quick deaths in a row (about two minutes of trying)
STOP_SECONDS = 60


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict = field(repr=False)
    nice: int = 0
    proc: subprocess.Popen | None = None
    started: float = 0.0
    restart_at: float | None = None
    quick_deaths: int = 0

    def start(self) -> None:
        preexec = (lambda: os.nice(self.nice)) if self.nice else None
        # Its own session: Ctrl-C reaches only `evidence serve`, which stops the children in order.
        self.proc = subprocess.Popen(self.argv, env=self.env, start_new_session=True, preexec_fn=preexec)
        self.started, self.restart_at = time.monotonic(), None


class Supervisor:
    def __init__(self, console: Console):
        self.console = console
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str], env: dict, nice: int = 0) -> Child:
        child = Child(name, argv, env, nice)
        child.start()
        self.children.append(child)
        return child

    def check(self) -> str | None:
        """Restart what died and is due; return why everything must stop, or None."""
        now = time.monotonic()
        for c in self.children:
            if c.restart_at is not None:
                if now >= c.restart_at:
                    self.console.print(f"Restarting {c.name}…")
                    c.start()
                continue
            code = c.proc.poll()
            if code is None:
                continue
            _kill_group(c.proc.pid)  # its own children (a worker's pool) must not run on unsupervised
            c.quick_deaths = c.quick_deaths + 1 if now - c.started < STABLE_SECONDS else 1
            if c.quick_deaths >= GIVE_UP_AFTER:
                return (f"{c.name} exited with {_describe(code)}, the {c.quick_deaths}th time in a row within "
                        f"{STABLE_SECONDS:.0f} s of starting; see its output above")
            delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (c.quick_deaths - 1))
            c.restart_at = now + delay
            self.console.print(f"[yellow]{c.name} exited with {_describe(code)}; restarting it in {delay:.0f} s[/]")
        return None

    def stop(self) -> None:
        """Stop in reverse order of start, each with SIGTERM (a worker finishes its tasks), then SIGKILL."""
        for c in reversed(self.children):
            if c.proc is None:
                continue
            if c.proc.poll() is None and c.restart_at is None:
                self.console.print(f"Stopping {c.name}…")
                c.proc.send_signal(signal.SIGTERM)  # the process stops its own children (warm shutdown)
                try:
                    c.proc.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    self.console.print(f"[yellow]{c.name} did not stop within {STOP_SECONDS} s; killing it[/]")
                    _kill_group(c.proc.pid)
                    c.proc.wait()
            _kill_group(c.proc.pid)
