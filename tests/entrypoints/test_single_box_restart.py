"""`kill -9` of the API or of the fast worker's main process does not stop the single box:
`evidence serve` restarts the dead process (and says so), the service answers again, uploads
are verified again, and the killed worker's pool processes do not live on unsupervised."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from docking_station.client import StationClient
from tests.helpers import meta_for, random_file
from tests.serve import start_serve


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process we can read."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        out[int(entry.name)] = (ppid, cmd)
    return out


def _child(serve_pid: int, marker: str) -> int | None:
    found = [pid for pid, (ppid, cmd) in _processes().items() if ppid == serve_pid and marker in cmd]
    return found[0] if len(found) == 1 else None


def _wait(what: str, check, box, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not (got := check()):
        assert box.proc.poll() is None, f"evidence serve stopped:\n{box.output()[-3000:]}"
        assert time.monotonic() < deadline, f"{what}: not reached in {timeout}s"
        time.sleep(0.5)
    return got


def test_killed_api_and_fast_worker_are_restarted(tmp_path):
    box = start_serve(tmp_path)
    try:
        box.wait_healthy()
        pid = box.proc.pid
        api = _wait("api process", lambda: _child(pid, "uvicorn api.main:app"), box)
        fast = _wait("fast worker", lambda: _child(pid, "-Q fast"), box)
        pool = _wait("fast worker pool", lambda: [p for p, (pp, _) in _processes().items() if pp == fast], box)

        os.kill(api, signal.SIGKILL)
        os.kill(fast, signal.SIGKILL)

        _wait("restarted api", lambda: _child(pid, "uvicorn api.main:app") not in (None, api), box)
        _wait("restarted fast worker", lambda: _child(pid, "-Q fast") not in (None, fast), box)
        assert box.proc.poll() is None, box.output()[-3000:]
        box.wait_healthy()
        out = box.output()
        assert "api exited with signal SIGKILL; restarting it in" in out, out[-3000:]
        assert "worker (fast) exited with signal SIGKILL; restarting it in" in out, out[-3000:]
        alive = _processes()
        assert not [p for p in pool if p in alive], "the killed worker's pool processes were left running"

        # The restarted API and verification worker do their work: an upload ends verified.
        http = httpx.Client(base_url=box.base_url, timeout=60)
        token = http.post("/api/v1/auth/login", json={"police_id": "admin", "password": box.admin_password()})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        key = http.post("/api/v1/stations", headers=auth, json={"name": "dock"}).json()["api_key"]
        path = random_file(tmp_path / "CAM7_000001_20261128093000_0001.mp4", 300_000)
        client = StationClient(box.base_url, key)
        assert client.upload(path, meta_for(path)).status == "verified"
        client.close()
        http.close()
    finally:
        code = box.stop()
    assert code == 0, box.output()[-3000:]
    assert "Stopped." in box.output()
