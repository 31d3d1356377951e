"""The README's first command: `evidence serve` brings up SQLite + SeaweedFS + embedded broker +
worker + API with no external service, a scripted client ingests into it, Ctrl-C stops it all."""

from __future__ import annotations

import subprocess

import httpx

from docking_station.client import StationClient
from tests.helpers import meta_for, random_file
from tests.serve import start_serve


def test_serve_runs_everything_and_stops_cleanly(tmp_path):
    box = start_serve(tmp_path)  # as scripts/serve starts it, on free ports
    data, base, log, proc = box.data_dir, box.base_url, box.log, box.proc
    try:
        health = box.wait_healthy(90)
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
        box.stop(90)
    out = log.read_text()
    assert proc.returncode == 0, out[-3000:]
    assert "Stopped." in out
    leftover = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout.strip()
    assert leftover == "", f"processes left running: {leftover}"
    # Data survives for the next start.
    assert (data / "evidence.db").exists() and any((data / "seaweedfs" / "data").iterdir())
