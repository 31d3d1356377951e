"""One process of the cluster: started in its own process group, killed with its children,
started again on the same ports and data, and its CPU time counted across restarts.

Each process group is one "box" of the production topology, so that a kill in a failure test
hits exactly what a crashed host or container would lose (a Celery worker's pool processes, a
PostgreSQL server's backends) and nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU of every live process in the group, plus what its leader's reaped children used."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if int(fields[2]) != pgid:  # fields[0] is the state, [1] ppid, [2] pgrp
            continue
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        total += utime + stime + (cutime + cstime if int(entry.name) == pgid else 0)
    return total / CLOCK_TICKS


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Process:
    """A named command with a readiness check; `start` returns once the check passes."""

    name: str
    argv: list[str]
    env: dict = field(repr=False)
    log: Path
    ready: Callable[["Process"], bool]
    nice: int = 0
    stop_signal: int = signal.SIGTERM
    stop_seconds: float = 30  # how long a stop may take before the rest is killed
    cwd: Path | None = None
    proc: subprocess.Popen | None = field(default=None, repr=False)
    log_offset: int = 0  # where this run's output starts in the log (readiness looks only after it)
    cpu_before: float = 0.0  # CPU used by earlier runs of this process

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.log_offset = out.tell()
        preexec = (lambda: os.nice(self.nice)) if self.nice else None
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=preexec)
        out.close()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.proc.returncode} while starting; "
                                   f"its output is in {self.log}:\n{self.output()[-2000:]}")
            if self.ready(self):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready within {timeout:.0f} s; its output is in {self.log}:\n"
                           f"{self.output()[-2000:]}")

    def output(self) -> str:
        """What this run of the process has written so far."""
        try:
            with open(self.log, "rb") as f:
                f.seek(self.log_offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self) -> float:
        now = group_cpu_seconds(self.proc.pid) if self.proc is not None else 0.0
        return self.cpu_before + now

    def kill(self) -> None:
        """SIGKILL the process and everything it started (its process group)."""
        if self.proc is None:
            return
        self.cpu_before += group_cpu_seconds(self.proc.pid)
        kill_group(self.proc.pid)
        self.proc.wait()

    def stop(self, timeout: float | None = None) -> None:
        """Ask it to stop (a worker finishes its current tasks), kill what is left after `timeout`."""
        if self.proc is None:
            return
        timeout = self.stop_seconds if timeout is None else timeout
        if self.proc.poll() is None:
            self.cpu_before += group_cpu_seconds(self.proc.pid)
            try:
                os.killpg(self.proc.pid, self.stop_signal)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        kill_group(self.proc.pid)
        self.proc.wait()
