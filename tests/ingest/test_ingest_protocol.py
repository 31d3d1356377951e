"""The station upload protocol end to end: PostgreSQL, Redis, SeaweedFS, a real worker."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from docking_station.client import ServerError, StationClient, sha256_file
from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from evidence.recordings.models import Recording
from ingest.models import UploadSession
from storage.keys import original_key
from tests import media
from tests.helpers import meta_for, random_file, wait_settled


@pytest.fixture(scope="module")
def twenty_files(media_dir):
    d = media_dir / "twenty"
    d.mkdir()
    jobs = []
    for i in range(5):
        jobs.append((media.h264_mp4, d / f"CAM01_000001_2026112809{i:02d}00_{i:04d}.mp4", {"seed": i}))
    for i in range(3):
        jobs.append((media.h265_mp4, d / f"CAM01_000001_2026112810{i:02d}00_{i:04d}.mp4", {"seed": 10 + i}))
    for i in range(3):
        jobs.append((media.mjpeg_avi, d / f"CAM01_000001_2026112811{i:02d}00_{i:04d}.avi", {"seed": 20 + i}))
    for i in range(3):
        jobs.append((media.wav, d / f"CAM01_000001_2026112812{i:02d}00_{i:04d}.wav", {"seed": 30 + i}))
    for i in range(3):
        jobs.append((media.jpeg, d / f"CAM01_000001_2026112813{i:02d}00_{i:04d}.jpg", {"seed": 40 + i}))
    # Two files large enough for several 5 MiB parts: these are abandoned halfway and resumed.
    for i in range(2):
        jobs.append((media.h264_mp4, d / f"CAM01_000001_2026112814{i:02d}00_{i:04d}_IMP.mp4",
                     {"seed": 50 + i, "seconds": 2, "size": "1280x720", "noise": True}))
    paths = media.generate(jobs)
    paths.append(media.truncated_mp4(d / "CAM01_000001_20261128150000_0099.mp4", paths[0]))
    return paths


def _object_count(store) -> int:
    return sum(1 for _ in store.client.list_objects(store.originals, recursive=True))


def test_twenty_files_land_verified_two_after_resume(world, service, store, twenty_files):
    assert len(twenty_files) == 20
    big = [p for p in twenty_files if "_IMP" in p.name]
    client = StationClient(service.base_url, world.station_key, concurrency=4)
    officer = world.users["officer_a"][0]
    sessions = {}

    # Abandon the two big uploads after their first part, as a crashed agent would.
    abandoned = {}
    for path in big:
        meta = meta_for(path, police_id=officer, important=True)
        opened = client.open_session(meta)
        assert opened["status"] == "open" and opened["part_count"] >= 3, opened
        client.send_parts(path, opened, max_parts=1)
        abandoned[path] = opened

    # Everything else goes through the normal path, in parallel.
    small = [p for p in twenty_files if p not in big]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: client.upload(p, meta_for(p, police_id=officer), wait=False), small))
    for path, result in zip(small, results):
        sessions[path] = result.session_id

    # A restarted agent resumes: one by re-opening with the same hash, one by asking for progress.
    restarted = StationClient(service.base_url, world.station_key, concurrency=4)
    first, second = big
    again = restarted.open_session(meta_for(first, police_id=officer, important=True))
    assert again["session_id"] == abandoned[first]["session_id"]
    assert again["landed"] == [1]
    assert [p["part_number"] for p in again["parts"]] == list(range(2, again["part_count"] + 1))
    restarted.send_parts(first, again)
    restarted.complete(again["session_id"])
    sessions[first] = again["session_id"]

    progress = restarted.progress(abandoned[second]["session_id"])
    assert progress["landed"] == [1]
    restarted.send_parts(second, progress)
    restarted.complete(progress["session_id"])
    sessions[second] = progress["session_id"]

    states = wait_settled(restarted, list(sessions.values()))
    assert {s["status"] for s in states.values()} == {"verified"}, states

    # Byte-identical in storage, listed in the catalog with the right hash and kind.
    auth = world.headers("officer_a")
    for path, sid in sessions.items():
        rec_id = states[sid]["recording_id"]
        rec = service.http.get(f"/api/v1/recordings/{rec_id}", headers=auth).json()
        local = sha256_file(path)
        assert rec["sha256"] == local and rec["status"] == "verified"
        assert rec["size_bytes"] == path.stat().st_size
        assert store.hash_original(original_key(local)) == (local, path.stat().st_size)
    kinds = {service.http.get(f"/api/v1/recordings/{states[s]['recording_id']}", headers=auth).json()["media_kind"]
             for s in sessions.values()}
    assert kinds == {"video", "audio", "photo"}
    important = service.http.get("/api/v1/recordings", params={"important": True}, headers=auth).json()
    assert {r["original_filename"] for r in important["items"]} == {p.name for p in big}
    client.close()
    restarted.close()


def test_same_bytes_again_is_already_verified_and_stores_nothing(world, service, store, tmp_path):
    path = random_file(tmp_path / "dup.mp4", 3 * 1024 * 1024)
    client = StationClient(service.base_url, world.station_key)
    first = client.upload(path, meta_for(path, police_id=world.users["officer_a"][0]))
    assert first.status == "verified"
    objects = _object_count(store)
    with session_scope() as s:
        sessions_before = s.scalar(select(func.count()).select_from(UploadSession))
    second = client.upload(path, meta_for(path, police_id=world.users["officer_a"][0]))
    assert second.status == "already_verified" and second.recording_id == first.recording_id
    assert second.bytes_sent == 0
    assert _object_count(store) == objects
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(UploadSession)) == sessions_before
        assert s.scalar(select(func.count()).select_from(Recording).where(Recording.sha256 == sha256_file(path))) == 1
    client.close()


def test_bytes_that_do_not_match_the_declared_hash_are_never_verified(world, service, store, tmp_path):
    genuine = random_file(tmp_path / "genuine.mp4", 6 * 1024 * 1024)
    forged = random_file(tmp_path / "forged.mp4", 6 * 1024 * 1024)
    client = StationClient(service.base_url, world.station_key)
    meta = meta_for(genuine, police_id=world.users["officer_a"][0])
    opened = client.open_session(meta)
    client.send_parts(forged, opened)  # right size, wrong bytes
    client.complete(opened["session_id"])
    state = client.wait_settled(opened["session_id"])
    assert state["status"] == "failed"
    assert "sha256 mismatch" in state["reason"]
    with session_scope() as s:
        rec = s.scalar(select(Recording).where(Recording.sha256 == meta["sha256"]))
        assert rec.status == "failed" and rec.verified_at is None
        assert "send it again" in rec.status_reason
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "recording.verify_failed", AuditEntry.object_id == str(rec.id))) == 1
    assert store.stat_original(original_key(meta["sha256"])) is None
    # The catalog does not offer it for download.
    r = service.http.post(f"/api/v1/recordings/{state['recording_id']}/download", headers=world.headers("admin2"))
    assert r.status_code == 403
    # The station sends it again, correctly this time: now it is verified.
    result = client.upload(genuine, meta)
    assert result.status == "verified" and result.recording_id == state["recording_id"]
    client.close()


def test_complete_with_missing_or_wrong_sized_parts_is_refused(world, service, tmp_path):
    path = random_file(tmp_path / "parts.mp4", 11 * 1024 * 1024)
    client = StationClient(service.base_url, world.station_key)
    opened = client.open_session(meta_for(path, police_id=world.users["officer_a"][0]))
    client.send_parts(path, opened, max_parts=1)
    with pytest.raises(ServerError) as err:
        client.complete(opened["session_id"])
    assert err.value.status == 409 and "have not landed" in str(err.value.detail)
    # A short part 2 is refused by size.
    url = {p["part_number"]: p["url"] for p in opened["parts"]}
    assert client.storage.put(url[2], content=b"short").status_code == 200
    client.put_part(path, opened["part_size"], 3, url[3])
    with pytest.raises(ServerError) as err:
        client.complete(opened["session_id"])
    assert err.value.status == 409 and "part 2" in str(err.value.detail)
    client.put_part(path, opened["part_size"], 2, url[2])
    client.complete(opened["session_id"])
    assert client.wait_settled(opened["session_id"])["status"] == "verified"
    client.close()


def test_zero_byte_file_is_kept_and_flagged(world, service, tmp_path):
    path = tmp_path / "CAM01_000001_20261128160000_0001.mp4"
    path.write_bytes(b"")
    client = StationClient(service.base_url, world.station_key)
    result = client.upload(path, meta_for(path, police_id=world.users["officer_a"][0]))
    # Empty content has one hash: another test may have sent an empty file first.
    assert result.status in ("verified", "already_verified")
    recording_id = result.recording_id
    if recording_id is None:  # sent first by another unit's station: its id is not told to this one
        with session_scope() as session:
            recording_id = session.scalar(select(Recording.id).where(Recording.sha256 == hashlib.sha256(b"").hexdigest()))
    rec = service.http.get(f"/api/v1/recordings/{recording_id}", headers=world.headers("admin2")).json()
    assert rec["size_bytes"] == 0 and rec["status_reason"] == "zero-length file"
    client.close()


def test_another_station_cannot_hijack_an_open_upload(world, service, admin_token, tmp_path):
    path = random_file(tmp_path / "busy.mp4", 2 * 1024 * 1024)
    client = StationClient(service.base_url, world.station_key)
    opened = client.open_session(meta_for(path))
    r = service.http.post("/api/v1/stations", headers={"Authorization": f"Bearer {admin_token}"},
                          json={"name": "other dock"})
    other = StationClient(service.base_url, r.json()["api_key"])
    with pytest.raises(ServerError) as err:
        other.open_session(meta_for(path))
    assert err.value.status == 409 and "another docking station" in str(err.value.detail)
    with pytest.raises(ServerError) as err:
        other.progress(opened["session_id"])
    assert err.value.status == 404
    client.close()
    other.close()


def test_status_of_many_uploads_in_one_answer_shows_only_the_stations_own(world, service, admin_token, tmp_path):
    client = StationClient(service.base_url, world.station_key)
    sent, waiting = random_file(tmp_path / "sent.mp4", 1024 * 1024), random_file(tmp_path / "open.mp4", 1024 * 1024)
    done = client.upload(sent, meta_for(sent))
    opened = client.open_session(meta_for(waiting))
    ids = [done.session_id, opened["session_id"], "no-such-session"]
    answer = {a["session_id"]: a for a in client.statuses(ids)}
    assert set(answer) == {done.session_id, opened["session_id"]}, "unknown ids are left out"
    assert answer[done.session_id]["status"] == "verified"
    assert answer[done.session_id]["recording_id"] == done.recording_id
    assert answer[opened["session_id"]]["status"] == "open"
    r = service.http.post("/api/v1/stations", headers={"Authorization": f"Bearer {admin_token}"},
                          json={"name": "nosy dock"})
    other = StationClient(service.base_url, r.json()["api_key"])
    assert other.statuses(ids) == [], "another station learns nothing about these uploads"
    r = service.http.post("/api/v1/ingest/sessions/status", json={"session_ids": ids},
                          headers={"Authorization": f"Bearer {admin_token}"})
    assert r.status_code == 403, "users, even admins, may not call station endpoints"
    client.close()
    other.close()
