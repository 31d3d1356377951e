"""`evidence serve` run by a benchmark: its own data folder and free ports, a registered station,
CPU per server process, and a clean stop of everything it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from _common import cmdline, descendants, log, proc_table, tree_cpu
from storage.seaweedfs import free_port

BINDIR = Path(sys.executable).parent


class Server:
    """`evidence serve` in a subprocess, with its own data folder and free ports."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "server"
        self.proc: subprocess.Popen | None = None
        self.known: dict[int, int] = {}  # pid -> start time of every process seen under it
        self.api_url = ""
        self.s3_endpoint = ""
        self.station_key = ""
        self.s3_secret = ""

    def start(self, timeout: float = 180) -> None:
        self.data.mkdir(parents=True)
        s3_port = free_port()
        api_port = free_port()
        while api_port in (s3_port, s3_port + 10000):
            api_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
        env.update({"EVIDENCE_DATA_DIR": str(self.data), "EVIDENCE_S3_ENDPOINT": f"127.0.0.1:{s3_port}",
                    "EVIDENCE_API_PORT": str(api_port), "EVIDENCE_LOG_LEVEL": "WARNING"})
        self.s3_endpoint = f"127.0.0.1:{s3_port}"
        self.api_url = f"http://127.0.0.1:{api_port}"
        log(f"starting `evidence serve` (API {self.api_url}, S3 {self.s3_endpoint})")
        self.proc = subprocess.Popen([str(BINDIR / "evidence"), "serve"], env=env, cwd=self.root,
                                     stdin=subprocess.DEVNULL, stdout=open(self.root / "serve.log", "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            self.remember()
            if self.proc.poll() is not None:
                raise RuntimeError(f"`evidence serve` exited with code {self.proc.returncode}; see {self.root / 'serve.log'}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"/health did not answer 200 within {timeout:.0f} s; see {self.root / 'serve.log'}")
            time.sleep(0.5)
        self.remember()
        password = (self.data / "secrets" / "initial_admin_password").read_text().strip()
        self.s3_secret = (self.data / "secrets" / "s3_secret_key").read_text().strip()
        with httpx.Client(base_url=self.api_url, timeout=30) as api:
            r = api.post("/api/v1/auth/login", json={"police_id": "admin", "password": password})
            r.raise_for_status()
            token = r.json()["access_token"]
            r = api.post("/api/v1/stations", json={"name": "bench-dock"}, headers={"Authorization": f"Bearer {token}"})
            r.raise_for_status()
            self.station_key = r.json()["api_key"]
        log("  service up, station registered")

    def remember(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.known.update(descendants(self.proc.pid))

    def cpu_snapshot(self) -> dict[str, float]:
        """CPU seconds of each direct child of `evidence serve` (with its own children), and of serve itself."""
        table = proc_table()
        snap = {}
        if not self.proc or self.proc.pid not in table:
            return snap
        for pid, (ppid, _, _) in table.items():
            if ppid != self.proc.pid:
                continue
            cmd = cmdline(pid)
            queue = re.search(r" -Q (\S+)", cmd)
            name = ("seaweedfs" if "weed" in cmd.split(" ")[0] else f"worker-{queue.group(1) if queue else 'all'}"
                    if " worker" in cmd
                    else "scheduler" if " beat" in cmd else "api" if "uvicorn" in cmd else f"pid{pid}")
            snap[name] = snap.get(name, 0.0) + tree_cpu(pid, table)
        snap["serve"] = table[self.proc.pid][1]
        return snap

    def settle(self, limit: float = 300) -> float:
        """Wait until the server is idle (the media worker may still be probing the last run's
        files), so that one run's leftovers do not slow the next. Returns seconds waited."""
        t0 = time.monotonic()
        before = sum(self.cpu_snapshot().values())
        while time.monotonic() - t0 < limit:
            time.sleep(2)
            now_cpu = sum(self.cpu_snapshot().values())
            if now_cpu - before < 0.2:
                break
            before = now_cpu
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.proc is None:
            return
        self.remember()
        if self.proc.poll() is None:
            log("stopping `evidence serve` (SIGINT)")
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                log("  it did not stop within 120 s: killing it")
                self.proc.kill()
                self.proc.wait()
        # Whatever it started and left behind: stop it by pid (only if it is the same process).
        table = proc_table()
        left = [pid for pid, started in self.known.items() if pid in table and table[pid][2] == started]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in left:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            if not left:
                break
            time.sleep(3)
            table = proc_table()
            left = [pid for pid in left if pid in table and table[pid][2] == self.known[pid]]
        if left:
            log(f"  processes still alive after SIGKILL: {left}")
        self.proc = None
