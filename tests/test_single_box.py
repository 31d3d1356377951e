"""The README's first command: `evidence serve` brings up SQLite + SeaweedFS + embedded broker +
worker + API with no external service, a scripted client ingests into it, Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from docking_station.client import StationClient
from storage.seaweedfs import free_port
from tests.helpers import meta_for, random_file


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited early:\n{log.read_text()[-3000:]}"
        try:
            r = httpx.get(url + "/health", timeout=2)
            if r.status_code == 200:
                return r.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not healthy in {timeout}s:\n{log.read_text()[-3000:]}")


def test_serve_runs_everything_and_stops_cleanly(tmp_path):
    data = tmp_path / "data"
    api_port, s3_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(EVIDENCE_DATA_DIR=str(data), EVIDENCE_API_PORT=str(api_port),
               EVIDENCE_S3_ENDPOINT=f"127.0.0.1:{s3_port}", EVIDENCE_LOG_LEVEL="WARNING")
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([str(Path(os.sys.executable).parent / "evidence"), "serve"], env=env, cwd=tmp_path,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{api_port}"
    try:
        health = _wait_healthy(base, proc, log)
        assert health["database"]["backend"] == "sqlite"
        assert health["broker"]["transport"] == "sqlite-broker"  # the embedded broker
        assert health["storage"]["object_lock"] is True
        printed = log.read_text()
        assert base in printed and "police ID admin" in printed.replace("\n", " ")
        password = (data / "secrets" / "initial_admin_password").read_text().strip()
        assert password in printed.replace("\n", "")

        http = httpx.Client(base_url=base, timeout=30)
        token = http.post("/api/v1/auth/login", json={"police_id": "admin", "password": password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        key = http.post("/api/v1/stations", headers=auth, json={"name": "dock"}).json()["api_key"]
        path = random_file(tmp_path / "CAM9_000001_20261128093000_0001.mp4", 3 * 1024 * 1024 + 7)
        client = StationClient(base, key)
        result = client.upload(path, meta_for(path))
        assert result.status == "verified", result
        listed = http.get("/api/v1/recordings", headers=auth).json()
        assert listed["total"] == 1 and listed["items"][0]["sha256"] == meta_for(path)["sha256"]
        client.close()
        http.close()
    finally:
        os.killpg(proc.pid, signal.SIGINT) if proc.poll() is None else None
        proc.wait(90)
    out = log.read_text()
    assert proc.returncode == 0, out[-3000:]
    assert "Stopped." in out
    leftover = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout.strip()
    assert leftover == "", f"processes left running: {leftover}"
    # Data survives for the next start.
    assert (data / "evidence.db").exists() and any((data / "seaweedfs" / "data").iterdir())
