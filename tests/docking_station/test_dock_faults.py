"""Faults the dock agent must survive without losing a file: SIGKILL at any moment, object
storage going away mid-upload, damaged spool copies, unplugged cameras, a full spool."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from evidence.identity.models import User
from evidence.recordings.models import Recording
from ingest.models import UploadSession
from tests import media
from tests.conftest import unique
from tests.dock import dock, dock_process, write_dock_env
from docking_station.client import sha256_file


def journal_states(spool: Path) -> list[str]:
    path = spool / "journal.sqlite3"
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return [r[0] for r in db.execute("SELECT state FROM files")]
    except sqlite3.Error:
        return []


def journal_mark(spool: Path) -> tuple:
    """What the agent last wrote to its journal (changes with every step it records)."""
    path = spool / "journal.sqlite3"
    if not path.exists():
        return ()
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return tuple(db.execute("SELECT max(updated_at), count(*) FROM files").fetchone())
    except sqlite3.Error:
        return ()


def all_spooled(spool: Path, count: int) -> bool:
    states = journal_states(spool)
    return len(states) == count and "copying" not in states


def random_camera(root: Path, serial: str, police_id: str, sizes_mb: list[float]) -> dict[Path, str]:
    d = root / "DCIM"
    d.mkdir(parents=True)
    out = {}
    for i, mb in enumerate(sizes_mb):
        p = d / f"{serial}_{police_id}_202611281{i // 60:01d}{i % 60:02d}00_{i:04d}.mp4"
        p.write_bytes(os.urandom(int(mb * 1024 * 1024)))
        out[p] = sha256_file(p)
    return out


class CameraWatch:
    """Notes the moment each camera file disappears, to compare with its verification time."""

    def __init__(self, files: dict[Path, str]):
        self.files = dict(files)
        self.gone: dict[Path, datetime] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            for p in self.files:
                if p not in self.gone and not p.exists():
                    self.gone[p] = datetime.now(timezone.utc)
            time.sleep(0.01)

    def close(self):
        self.stop.set()
        self.thread.join()


def assert_wiped_only_after_verification(watch: CameraWatch) -> None:
    with session_scope() as s:
        verified = {r.sha256: r.verified_at for r in s.scalars(
            select(Recording).where(Recording.sha256.in_(list(watch.files.values()))))}
    for path, when in watch.gone.items():
        sha = watch.files[path]
        assert verified.get(sha) is not None, f"{path.name} left the camera but was never verified"
        assert verified[sha] <= when, f"{path.name} left the camera at {when}, verified only at {verified[sha]}"


def test_twenty_kills_lose_nothing_and_verify_each_file_once(world, service, tmp_path):
    serial, officer = unique("CAMK").upper(), world.users["officer_a"][0]
    camera = tmp_path / "camera"
    rng = random.Random(20261129)
    files = random_camera(camera, serial, officer, [rng.choice([0.5, 2, 6, 11]) for _ in range(36)])
    spool = tmp_path / "spool"
    # Speed caps stretch both stages over several seconds so that kills land in each.
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, spool,
                         copy_mbps=20, bandwidth_mbps=64)
    watch = CameraWatch(files)
    kills = {"stage1": 0, "stage2": 0}
    log = tmp_path / "agent.log"
    try:
        while sum(kills.values()) < 24:
            before = journal_mark(spool)
            proc = dock_process("ingest", str(camera), env_file=env, log=log)
            # Kills are timed by what the agent has done, not by the clock from its start (the
            # interpreter's start-up alone takes 0.4 to 1 s depending on the machine): the first ten
            # soon after its first journal write of the run (mid-copy), the rest once every file is
            # in the spool (mid-upload).
            if kills["stage1"] < 10:
                ready = lambda: journal_mark(spool) != before  # noqa: E731
                pause = rng.uniform(0.1, 0.6)
            else:
                ready = lambda: all_spooled(spool, len(files))  # noqa: E731
                pause = rng.uniform(0.1, 1.2)
            active_by = time.monotonic() + 60
            while time.monotonic() < active_by and proc.poll() is None and not ready():
                time.sleep(0.01)
            deadline = time.monotonic() + pause
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.02)
            if proc.poll() is not None:
                break  # finished all work before this kill
            states = journal_states(spool)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills["stage1" if (not states or "copying" in states or len(states) < len(files)) else "stage2"] += 1
        final = dock("ingest", str(camera), env_file=env)
        assert final.returncode == 0, final.stdout + final.stderr + log.read_text()[-3000:]
    finally:
        watch.close()
    assert kills["stage1"] >= 5 and kills["stage2"] >= 5, kills
    assert sum(kills.values()) >= 20, kills

    shas = set(files.values())
    with session_scope() as s:
        recs = s.scalars(select(Recording).where(Recording.sha256.in_(shas))).all()
        assert {r.sha256 for r in recs} == shas and len(recs) == len(shas)
        assert all(r.status == "verified" for r in recs)
        for r in recs:
            verified_sessions = s.scalar(select(func.count()).select_from(UploadSession).where(
                UploadSession.recording_id == r.id, UploadSession.status == "verified"))
            assert verified_sessions == 1, (r.original_filename, verified_sessions)
            assert s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "recording.verified", AuditEntry.object_id == str(r.id))) == 1
    assert set(watch.gone) == set(files), "with the wipe policy on, every file leaves the camera in the end"
    assert_wiped_only_after_verification(watch)
    assert not any((spool / "incoming").iterdir()), "no half-copied file is left in the spool"


def test_object_storage_outage_mid_upload_is_waited_out(world, service, seaweed, tmp_path):
    serial, officer = unique("CAMO").upper(), world.users["officer_b"][0]
    camera = tmp_path / "camera"
    files = random_camera(camera, serial, officer, [12, 12, 12, 3])
    spool = tmp_path / "spool"
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, spool, bandwidth_mbps=80)
    watch = CameraWatch(files)
    log = tmp_path / "agent.log"
    proc = dock_process("ingest", str(camera), env_file=env, log=log)
    try:
        deadline = time.monotonic() + 60
        while "uploading" not in journal_states(spool):
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.05)
        time.sleep(0.5)
        seaweed.stop()
        stopped_at = datetime.now(timezone.utc)
        time.sleep(4)
        seaweed.start()
        assert proc.wait(300) == 0, log.read_text()[-4000:]
    finally:
        watch.close()
        if proc.poll() is None:
            proc.kill()
    with session_scope() as s:
        recs = s.scalars(select(Recording).where(Recording.sha256.in_(list(files.values())))).all()
        assert len(recs) == len(files) and all(r.status == "verified" for r in recs)
        assert max(r.uploaded_at for r in recs) > stopped_at + timedelta(seconds=4), \
            "the upload was still under way when storage went down"
    assert_wiped_only_after_verification(watch)


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_spool_copy_is_sent_again_and_only_then_wiped(world, service, tmp_path, damage):
    serial, officer = unique("CAMM").upper(), world.users["officer_a"][0]
    camera = tmp_path / "camera"
    files = random_camera(camera, serial, officer, [7, 1])
    spool = tmp_path / "spool"
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, spool)
    assert dock("ingest", "--spool-only", str(camera), env_file=env).returncode == 0
    victim, sha = next(iter(files.items()))
    size = victim.stat().st_size
    spooled = spool / "objects" / sha[:2] / sha
    data = bytearray(spooled.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[: len(data) - 1000]
    spooled.write_bytes(bytes(data))
    watch = CameraWatch(files)
    try:
        result = dock("ingest", str(camera), env_file=env)
    finally:
        watch.close()
    assert result.returncode == 0, result.stdout + result.stderr
    with session_scope() as s:
        rec = s.scalar(select(Recording).where(Recording.sha256 == sha))
        assert rec.status == "verified" and rec.size_bytes == size
        failures = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "recording.verify_failed", AuditEntry.object_id == str(rec.id)))
    assert failures == (1 if damage == "flip" else 0), "a flipped byte is caught by the server's hash"
    assert not victim.exists()
    assert_wiped_only_after_verification(watch)
    assert sha256_file(spooled) == sha, "the spool holds a good copy again"
    log = (spool / "agent.log").read_text()
    assert "spool copy of" in log and "damaged" in log


def test_unplugged_camera_keeps_what_was_copied_and_the_rest_waits(world, service, tmp_path):
    serial, officer = unique("CAMU").upper(), world.users["officer_c"][0]
    camera = tmp_path / "camera"
    files = random_camera(camera, serial, officer, [4] * 10)
    backup = tmp_path / "backup"
    shutil.copytree(camera, backup)  # keeps mtimes: the re-docked camera is the same camera
    spool = tmp_path / "spool"
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, spool, copy_mbps=20)
    log = tmp_path / "agent.log"
    proc = dock_process("ingest", "--spool-only", str(camera), env_file=env, log=log)
    deadline = time.monotonic() + 60
    while journal_states(spool).count("spooled") < 3:
        assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
        time.sleep(0.02)
    shutil.rmtree(camera)  # unplugged
    assert proc.wait(60) == 1, "files left behind make the exit code non-zero"
    out = log.read_text()
    assert "still on the camera" in out
    with sqlite3.connect(spool / "journal.sqlite3") as db:
        rows = db.execute("SELECT rel_path, state, sha256, spool_path FROM files").fetchall()
    spooled = [r for r in rows if r[1] == "spooled"]
    assert 3 <= len(spooled) < len(files)
    for rel, _, sha, spool_path in spooled:
        assert sha256_file(Path(spool_path)) == sha == files[camera / rel]
    assert not any(r[1] in ("uploading", "verifying", "verified") for r in rows)
    # Docked again: the rest is copied, everything uploads, nothing twice.
    shutil.copytree(backup, camera)
    result = dock("ingest", str(camera), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    with session_scope() as s:
        recs = s.scalars(select(Recording).where(Recording.sha256.in_(list(files.values())))).all()
        assert len(recs) == len(files) and all(r.status == "verified" for r in recs)


def test_files_without_a_police_id_are_attributed_from_assignments(world, service, admin_token, tmp_path):
    serial = unique("CAMA").upper()
    officer = world.users["officer_b"][0]
    csv = f"device_id,police_id,assigned_from,assigned_to\n{serial},{officer},2026-11-01T00:00:00,\n"
    r = service.http.post("/api/v1/device-assignments/import", headers={"Authorization": f"Bearer {admin_token}"},
                          files={"file": ("a.csv", csv.encode(), "text/csv")})
    assert r.json()["imported"] == 1
    camera = tmp_path / "camera"
    (camera / "DCIM").mkdir(parents=True)
    video = media.h264_mp4(camera / "DCIM" / "VID_0001.mp4", seed=99, creation_time="2026-11-28T02:00:00Z")
    (camera / "DEVICE_INFO.json").write_text(f'{{"serial": "{serial}"}}')
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool")
    result = dock("ingest", str(camera), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    with session_scope() as s:
        rec = s.scalar(select(Recording).where(Recording.device_serial == serial))
        officer_id = s.scalar(select(User.id).where(User.police_id == officer))
    assert rec.declared_police_id is None
    assert (rec.officer_id, rec.officer_source) == (officer_id, "assignment")
    assert rec.time_source == "container" and not video.exists()


def test_a_full_spool_refuses_stage_one_with_a_reason(world, service, tmp_path):
    camera = tmp_path / "camera"
    files = random_camera(camera, unique("CAMF").upper(), world.users["officer_a"][0], [2])
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool",
                         spool_budget_gb=0.001)
    result = dock("ingest", str(camera), env_file=env)
    assert result.returncode == 1
    text = " ".join(result.stdout.split())
    assert "spool budget" in text and "stays on the camera" in text
    assert all(p.exists() for p in files)


def test_service_mode_finds_docked_cameras_and_reports_heartbeats(world, service, admin_token, tmp_path):
    mounts = tmp_path / "media"
    mounts.mkdir()
    spool = tmp_path / "spool"
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, spool,
                         mount_roots=f'["{mounts}"]', poll_seconds=0.5, heartbeat_seconds=1)
    log = tmp_path / "agent.log"
    proc = dock_process("run", env_file=env, log=log)
    try:
        time.sleep(1.5)
        camera = mounts / "CAMERA1"
        staging = tmp_path / "staging"
        files = random_camera(staging, unique("CAMR").upper(), world.users["officer_a"][0], [1, 3])
        shutil.move(str(staging), camera)  # the camera "appears" under the mount root
        deadline = time.monotonic() + 120
        while any((camera / "DCIM" / p.name).exists() for p in files):
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.2)
        stations = service.http.get("/api/v1/stations", headers={"Authorization": f"Bearer {admin_token}"}).json()
        mine = next(s for s in stations if s["id"] == world.station_id)
        assert mine["agent_version"] and mine["heartbeat_at"] and mine["spool_used_bytes"] is not None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Recording).where(
            Recording.sha256.in_(list(files.values())), Recording.status == "verified")) == 2
