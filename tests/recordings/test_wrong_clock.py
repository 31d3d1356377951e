"""A camera whose clock is wrong still offloads; its footage is flagged, estimated, and covers
nothing until an admin sets the camera's offset (issue 10, item 17)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from docking_station.client import sha256_file
from evidence.db import session_scope
from evidence.identity.models import User
from tests import media
from tests.conftest import unique
from tests.workers.test_media import wait_processed
from tests.uploading import CST, iso, upload


def test_a_camera_with_a_wrong_clock_still_offloads_and_is_flagged(world, service, admin_token, tmp_path):
    A = world.users["officer_a"][0]
    admin = {"Authorization": f"Bearer {admin_token}"}
    ahead = (datetime.now(CST) + timedelta(days=366)).replace(tzinfo=None, microsecond=0).isoformat()
    for i, device_time in enumerate(("2000-01-01T00:03:00", ahead)):
        clip = media.h264_mp4(tmp_path / f"clock{i}.mp4", seed=1700 + i, seconds=2)
        docked = datetime.now(timezone.utc).replace(microsecond=0)
        rec_id = upload(world, clip, A, unique("CAMK").upper(), device_time, docked_at=docked.isoformat())
        wait_processed([sha256_file(clip)])
        rec = service.http.get(f"/api/v1/recordings/{rec_id}", headers=admin).json()
        assert rec["status"] == "verified"
        assert rec["clock_implausible"] is True and "device clock implausible" in rec["clock_note"]
        assert rec["started_at_device"].startswith(device_time)  # the device time is kept as it was
        # The estimate: arrival at the dock minus the clip's length, kept apart from the device time.
        assert iso(rec["started_at_estimated"]) == docked - timedelta(seconds=rec["duration_seconds"])
        # Retention is never shortened by the wrong clock.
        assert iso(rec["retain_until"]) >= iso(rec["verified_at"]) + timedelta(days=183)
        flagged = service.http.get("/api/v1/recordings", headers=admin,
                                   params={"device": rec["device_serial"], "clock_implausible": True}).json()
        assert [r["id"] for r in flagged["items"]] == [rec_id]


def _event_status(service, admin, officer: str, event_id: str) -> dict:
    items = service.http.get("/api/v1/coverage/events", headers=admin,
                             params={"officer": officer, "start_from": "2026-11-21T00:00:00",
                                     "start_to": "2026-11-22T00:00:00"}).json()["items"]
    return next(e for e in items if e["event_id"] == event_id)


def test_a_wrong_clock_covers_nothing_until_an_admin_sets_the_offset(world, service, admin_token, tmp_path):
    """Camera reset to 2000-01-01 00:00 at 2026-11-21 10:00 (CST). Officer B carried it that day, but
    the file name says officer A. Once the admin says what the camera showed when, the clip moves
    to its true time, to officer B (the assignment), and covers B's event."""
    A, B = world.users["officer_a"][0], world.users["officer_b"][0]
    admin = {"Authorization": f"Bearer {admin_token}"}
    serial, tag = unique("CAMO").upper(), unique("EVO")
    r = service.http.post("/api/v1/device-assignments/import", headers=admin, files={"file": (
        "a.csv", f"device_id,police_id,assigned_from,assigned_to\n{serial},{B},2026-11-21T06:00:00,"
        "2026-11-21T20:00:00\n".encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["imported"] == 1, r.text
    ledger = (f"event_id,event_type,police_ids,started_at,ended_at\n"
              f"{tag},ticket,{B},2026-11-21T10:30:00,2026-11-21T10:30:04\n")
    r = service.http.post("/api/v1/ledger/import", headers=admin, files={"file": ("l.csv", ledger.encode(), "text/csv")})
    assert r.json()["created"] == 1, r.text
    clip = media.h264_mp4(tmp_path / "reset.mp4", seed=1710, seconds=4)
    rec_id = upload(world, clip, A, serial, "2000-01-01T00:30:00")  # really 2026-11-21 10:30 CST
    wait_processed([sha256_file(clip)])
    before = _event_status(service, admin, B, tag)
    assert before["status"] != "covered" and rec_id not in before["recording_ids"]

    r = service.http.post(f"/api/v1/devices/{serial}/clock-offset", headers=world.headers("supervisor_dd1"),
                          json={"device_time": "2000-01-01T00:00:00", "actual_time": "2026-11-21T10:00:00"})
    assert r.status_code == 403
    r = service.http.post(f"/api/v1/devices/{serial}/clock-offset", headers=admin,
                          json={"device_time": "2000-01-01T00:00:00", "actual_time": "2026-11-21T10:00:00"})
    assert r.status_code == 200, r.text
    assert r.json()["recordings_corrected"] == 1
    rec = service.http.get(f"/api/v1/recordings/{rec_id}", headers=admin).json()
    assert rec["started_at_device"].startswith("2000-01-01T00:30:00")  # kept as the camera wrote it
    assert iso(rec["started_at_corrected"]) == datetime(2026, 11, 21, 10, 30, tzinfo=CST)
    with session_scope() as s:
        b_id = s.scalar(select(User.id).where(User.police_id == B))
    assert (rec["officer_id"], rec["officer_source"]) == (b_id, "assignment")
    after = _event_status(service, admin, B, tag)
    assert after["status"] == "covered" and after["recording_ids"] == [rec_id]


def test_an_open_event_shows_the_wrong_clock_footage_that_arrived_after_it(world, service, admin_token, tmp_path):
    """Officer C's ticket two hours ago has no placed footage, but a clip of C's with a reset camera
    clock arrived since: the coverage report names it beside the event."""
    C = world.users["officer_c"][0]
    admin = {"Authorization": f"Bearer {admin_token}"}
    start = (datetime.now(CST) - timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    tag = unique("EVU")
    ledger = (f"event_id,event_type,police_ids,started_at,ended_at\n"
              f"{tag},ticket,{C},{start.isoformat()},{(start + timedelta(minutes=5)).isoformat()}\n")
    r = service.http.post("/api/v1/ledger/import", headers=admin, files={"file": ("l.csv", ledger.encode(), "text/csv")})
    assert r.json()["created"] == 1, r.text
    clip = media.h264_mp4(tmp_path / "unplaced.mp4", seed=1720, seconds=2)
    rec_id = upload(world, clip, C, unique("CAMU").upper(), "2000-01-01T08:00:00",
                     docked_at=datetime.now(timezone.utc).isoformat())
    wait_processed([sha256_file(clip)])
    items = service.http.get("/api/v1/coverage/events", headers=admin,
                             params={"officer": C, "start_from": (start - timedelta(minutes=1)).isoformat()}).json()["items"]
    event = next(e for e in items if e["event_id"] == tag)
    assert event["status"] == "pending" and event["recording_ids"] == []
    assert event["clock_unplaced"] == [rec_id]


def test_the_cli_sets_a_camera_clock_too(world, service, admin_token, tmp_path):
    from tests.coverage.test_coverage_docked import evidence_cli

    serial = unique("CAMI").upper()
    clip = media.h264_mp4(tmp_path / "cli.mp4", seed=1730, seconds=1)
    rec_id = upload(world, clip, world.users["officer_a"][0], serial, "2000-01-02T00:00:00")
    result = evidence_cli("devices", "set-clock", serial, "--device-time", "2000-01-01T00:00:00",
                          "--actual-time", "2026-11-22T08:00:00")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 recording(s) corrected" in result.stdout
    rec = service.http.get(f"/api/v1/recordings/{rec_id}", headers={"Authorization": f"Bearer {admin_token}"}).json()
    assert iso(rec["started_at_corrected"]) == datetime(2026, 11, 23, 8, 0, tzinfo=CST)
    assert rec["clock_corrected_at"] is not None and rec["started_at_device"].startswith("2000-01-02T00:00:00")
    unknown = evidence_cli("devices", "set-clock", "NO-SUCH-CAMERA", "--device-time", "2000-01-01T00:00:00",
                           "--actual-time", "2026-11-22T08:00:00")
    assert unknown.returncode == 1 and "camera NO-SUCH-CAMERA not found" in unknown.stdout + unknown.stderr
