"""Small helpers shared by the tests: upload metadata, waiting for verification, DB reads."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from docking_station.client import StationClient, sha256_file


def meta_for(path: Path, police_id: str | None = None, serial: str | None = "CAM0001",
             started_at: str = "2026-11-28T09:30:00", **extra) -> dict:
    return {"sha256": sha256_file(path), "size_bytes": path.stat().st_size, "filename": path.name,
            "device_serial": serial, "police_id": police_id, "started_at": started_at,
            "time_source": "filename", "important": False, **extra}


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def wait_settled(client: StationClient, session_ids: list[str], timeout: float = 120) -> dict[str, dict]:
    """Poll each session until the server verified or failed it."""
    deadline = time.monotonic() + timeout
    states: dict[str, dict] = {}
    for sid in session_ids:
        states[sid] = client.wait_settled(sid, timeout=max(1.0, deadline - time.monotonic()))
    return states


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload_as(world, path: Path, police_id: str, serial: str = "CAM0001", **extra) -> int:
    """Upload a file through the protocol and return its verified recording id."""
    client = StationClient(world.service.base_url, world.station_key)
    try:
        result = client.upload(path, meta_for(path, police_id=police_id, serial=serial, **extra))
    finally:
        client.close()
    assert result.status in ("verified", "already_verified"), result
    return result.recording_id


def verify_offline(package: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the verify.py shipped inside the package in an empty folder: no server, no database,
    no EVIDENCE_ settings, as a court would."""
    work = tmp_path / "offline"
    work.mkdir(exist_ok=True)
    with zipfile.ZipFile(package) as zf:
        (work / "verify.py").write_bytes(zf.read("verify.py"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    return subprocess.run([sys.executable, "-I", str(work / "verify.py"), str(package), *args], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)


def poll(what: str, check, timeout: float = 180, every: float = 0.5):
    """Call check() until it returns something truthy, and return that; fail naming `what` after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"{what}: not reached in {timeout}s"
        time.sleep(every)
