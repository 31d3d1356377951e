"""The docking-station agent against the real server, PostgreSQL, Redis and SeaweedFS."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from datetime import datetime

from sqlalchemy import select

from evidence.db import session_scope
from evidence.identity.models import User
from evidence.recordings.models import Recording
from tests.conftest import unique
from tests.dock import dock, mixed_camera, write_dock_env


EMPTY = hashlib.sha256(b"").hexdigest()


def recordings_by_sha(shas: list[str]) -> dict[str, Recording]:
    with session_scope() as s:
        rows = s.scalars(select(Recording).where(Recording.sha256.in_(shas))).all()
        return {r.sha256: r for r in rows}


def test_a_docked_camera_ends_verified_attributed_and_wiped(world, service, tmp_path):
    serial, officer = unique("CAMD").upper(), world.users["officer_a"][0]
    camera = tmp_path / "camera"
    files = mixed_camera(camera, serial, officer)
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool")
    backup = tmp_path / "backup"
    shutil.copytree(camera, backup)

    result = dock("ingest", str(camera), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "may be undocked" in result.stdout
    assert "uploaded and verified" in result.stdout

    recs = recordings_by_sha([f.sha256 for f in files])
    assert set(recs) == {f.sha256 for f in files}, "every file, broken ones too, reached the server"
    with session_scope() as s:
        officer_id = s.scalar(select(User.id).where(User.police_id == officer))
    for f in files:
        rec = recs[f.sha256]
        assert rec.status == "verified", (f.path.name, rec.status, rec.status_reason)
        if f.sha256 == EMPTY:
            continue  # empty content is one recording for every empty file: another test may own it
        assert rec.original_filename == f.path.name
        assert rec.device_serial == serial
        assert rec.officer_id == officer_id and rec.officer_source == "filename"
        assert rec.important == f.important
        if f.started_device:
            assert rec.time_source == "filename"
            assert rec.started_at_device.isoformat() == f.started_device
    by_name = {f.path.name: recs[f.sha256] for f in files}
    assert by_name["执法 记录 仪 (1).mp4"].time_source == "container"
    assert by_name["执法 记录 仪 (1).mp4"].started_at.isoformat() == "2026-11-28T01:20:00+00:00"
    assert by_name["SYSLOG.DAT"].media_kind == "other" and by_name["SYSLOG.DAT"].time_source == "mtime"
    zero = next(r for n, r in by_name.items() if n.endswith("_0007.mp4"))
    assert zero.status_reason == "zero-length file"

    # Wipe policy on: the camera holds no media any more; the device-info file stays.
    left = [p for p in camera.rglob("*") if p.is_file()]
    assert left == [camera / "DEVICE_INFO.json"]

    # The same footage docked again uploads nothing: first as the very same files (known to the
    # journal), then as copies with new timestamps (the server answers "already verified").
    for touch in (False, True):
        shutil.rmtree(camera)
        shutil.copytree(backup, camera)
        if touch:
            for p in camera.rglob("*"):
                os.utime(p, None)
        second = dock("ingest", str(camera), env_file=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert summary_value(second.stdout, "bytes sent") == "0.0 MB"
        assert summary_value(second.stdout, "uploaded and verified") == "0"
        expected_dupes = len({f.sha256 for f in files}) if touch else 0
        assert summary_value(second.stdout, "duplicates skipped (server had them)") == str(expected_dupes)
        assert [p for p in camera.rglob("*") if p.is_file()] == [camera / "DEVICE_INFO.json"]
    assert len(recordings_by_sha([f.sha256 for f in files])) == len(files)


def summary_value(output: str, label: str) -> str:
    line = next(line for line in output.splitlines() if label in line)
    return line.split("│")[2].strip()


def test_status_shows_the_journal(world, service, tmp_path):
    camera = tmp_path / "cam"
    camera.mkdir()
    (camera / "A_000001_20261128100000_0001.mp4").write_bytes(os.urandom(10_000))
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool", wipe="false")
    assert dock("ingest", "--spool-only", str(camera), env_file=env).returncode == 0
    status = dock("status", env_file=env)
    assert "spooled 1" in status.stdout and "A_000001_20261128100000_0001.mp4" in status.stdout
    assert dock("ingest", str(camera), env_file=env).returncode == 0
    status = dock("status", "--all", env_file=env)
    assert "verified 1" in status.stdout
    assert (camera / "A_000001_20261128100000_0001.mp4").exists(), "wipe policy off: the camera keeps its files"


def test_missing_key_or_folder_is_a_clear_error(tmp_path):
    env = tmp_path / "dock.env"
    env.write_text(f"DOCK_SPOOL_DIR={tmp_path / 'spool'}\n")
    r = dock("ingest", str(tmp_path), env_file=env)
    assert r.returncode == 2 and "no station key" in r.stdout
    env.write_text(f"DOCK_SPOOL_DIR={tmp_path / 'spool'}\nDOCK_STATION_KEY=x\n")
    r = dock("ingest", str(tmp_path / "nope"), env_file=env)
    assert r.returncode == 2 and "not a folder" in r.stdout


def test_uploads_start_while_a_slow_camera_is_still_copying(world, service, tmp_path):
    """On a USB 2.0 camera stage 1 takes minutes: the first files are verified on the server
    before the last one has even reached the spool."""
    serial, officer = unique("CAMS").upper(), world.users["officer_a"][0]
    camera = tmp_path / "camera"
    camera.mkdir()
    shas = []
    for i in range(8):
        data = os.urandom(1_000_000)
        (camera / f"{serial}_{officer}_20261128100{i}00_{i + 1:04d}.mp4").write_bytes(data)
        shas.append(hashlib.sha256(data).hexdigest())
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool",
                         copy_mbps=1)  # ~8 s of stage 1
    result = dock("ingest", str(camera), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "spool" / "journal.sqlite3") as journal:
        last_spooled = max(datetime.fromisoformat(r[0]) for r in journal.execute("SELECT spooled_at FROM files"))
    recs = recordings_by_sha(shas)
    assert len(recs) == 8 and all(r.status == "verified" for r in recs.values())
    first_verified = min(r.verified_at for r in recs.values())
    assert first_verified < last_spooled, "uploading waited for the whole camera to be copied"
