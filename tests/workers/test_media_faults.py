"""Processing under stress: a transcode backlog never holds up verification, a worker killed
mid-transcode is replaced and the recording ends ready once, fixity catches a changed original."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import time

import httpx
from sqlalchemy import func, select

from docking_station.client import StationClient, sha256_file
from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from evidence.recordings.models import Recording
from storage.keys import original_key
from tests import media
from tests.conftest import start_worker, unique
from tests.helpers import meta_for, random_file
from tests.workers.test_media import wait_processed


def _state(sha: str) -> Recording | None:
    with session_scope() as s:
        return s.scalar(select(Recording).where(Recording.sha256 == sha))


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_media_work_never_holds_up_verification(world, service, tmp_path):
    """A stuck media worker (probe, thumbnails): uploads are verified all the same, and the media
    work is done once it moves again."""
    clip = tmp_path / f"{unique('CAMM').upper()}_{world.users['officer_a'][0]}_20261128120000_0001.mp4"
    media.h264_mp4(clip, seed=31)
    sha = sha256_file(clip)
    os.killpg(service.media.pid, signal.SIGSTOP)
    client = StationClient(service.base_url, world.station_key)
    try:
        assert client.upload(clip, meta_for(clip, police_id=world.users["officer_a"][0])).status == "verified"
        time.sleep(1.0)
        rec = _state(sha)
        assert rec.status == "verified" and rec.processing_state == "queued" and rec.poster_key is None
    finally:
        os.killpg(service.media.pid, signal.SIGCONT)
        client.close()
    rec = wait_processed([sha], timeout=120)[sha]
    assert rec.processing_state == "ready" and rec.poster_key and rec.video_codec == "h264"


def test_transcode_backlog_does_not_delay_verification_and_a_killed_worker_is_replaced(world, service, tmp_path):
    # A clip that needs a few seconds of transcoding (MJPEG 720p).
    clip = tmp_path / f"{unique('CAMT').upper()}_{world.users['officer_a'][0]}_20261128120000_0001.avi"
    media._ffmpeg([*media._video("1280x720", 25, 12, 77), "-c:v", "mjpeg", "-q:v", "5", "-c:a", "pcm_s16le",
                   "-shortest"], clip)
    sha = sha256_file(clip)
    # Freeze the transcode worker: a backlog that never moves.
    os.killpg(service.transcoder.pid, signal.SIGSTOP)
    client = StationClient(service.base_url, world.station_key)
    try:
        result = client.upload(clip, meta_for(clip, police_id=world.users["officer_a"][0]))
        assert result.status == "verified", "verification does not wait for the transcode queue"
        rec = _wait(lambda: (r := _state(sha)) and r.processing_reason == "waiting for transcode" and r,
                    60, "the media queue to hand the recording over")
        assert rec.processing_state == "queued" and rec.poster_key and rec.video_codec == "mjpeg"
        # Another file, sent while the transcode queue is stuck, is verified all the same.
        other = random_file(tmp_path / "other.mp4", 1_000_000)
        assert client.upload(other, meta_for(other, police_id=world.users["officer_a"][0])).status == "verified"
    finally:
        os.killpg(service.transcoder.pid, signal.SIGCONT)
        client.close()
    # The transcode starts; kill the whole worker in the middle of it.
    _wait(lambda: _state(sha).processing_state == "processing", 60, "the transcode to start")
    time.sleep(1.0)
    os.killpg(service.transcoder.pid, signal.SIGKILL)
    service.transcoder.wait()
    dead = _state(sha)
    assert dead.processing_state == "processing"  # left behind by the dead worker
    service.transcoder = start_worker(service.env, service.data_dir / "transcoder2.log", "transcode", 2)
    # The sweep (run by beat every 30 s in production) re-queues it once its heartbeat is stale.
    # Other tests share this database and may leave stalled recordings of their own, so wait
    # until the dead worker's claim on *this* recording is gone, not for any re-queue.
    from workers.tasks import sweep_processing

    def claim_dropped() -> bool:
        sweep_processing()
        now = _state(sha)
        return now.processing_state != "processing" or now.processing_owner != dead.processing_owner

    _wait(claim_dropped, 60, "the sweep to drop the dead worker's claim")
    rec = wait_processed([sha], timeout=180)[sha]
    assert rec.processing_state == "ready" and rec.proxy_method == "transcode"
    assert rec.processing_attempts == 2, "the transcode ran twice: killed once, then to the end"
    with session_scope() as s:
        ready_entries = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "media.ready", AuditEntry.object_id == str(rec.id)))
    assert ready_entries == 1, "ready exactly once"


def test_fixity_sweep_alerts_on_a_changed_original(world, service, store, tmp_path):
    path = random_file(tmp_path / "fixity.mp4", 300_000)
    client = StationClient(service.base_url, world.station_key)
    rec_id = client.upload(path, meta_for(path, police_id=world.users["officer_b"][0])).recording_id
    client.close()
    sha = sha256_file(path)
    from workers.tasks import fixity_sweep

    fixity_sweep()
    assert _state(sha).fixity_ok is True and _state(sha).fixity_checked_at is not None
    # Someone with storage credentials writes a new version over the original's key.
    store.client.put_object(store.originals, original_key(sha), io.BytesIO(b"tampered"), 8)
    with session_scope() as s:  # check this one next
        s.get(Recording, rec_id).fixity_checked_at = None
    result = fixity_sweep()
    assert result["mismatches"] >= 1
    assert _state(sha).fixity_ok is False
    # Downloads still serve the verified version, never the one written over it.
    r = service.http.post(f"/api/v1/recordings/{rec_id}/download", headers=world.headers("officer_b"))
    assert hashlib.sha256(httpx.get(r.json()["url"]).content).hexdigest() == sha
    with session_scope() as s:
        alert = s.scalars(select(AuditEntry).where(AuditEntry.action == "fixity.mismatch",
                                                   AuditEntry.object_id == str(rec_id))).all()
    assert len(alert) == 1 and sha in alert[0].detail


def test_local_copies_left_behind_are_pruned_and_fresh_ones_kept(service):
    from workers import pipeline

    old, fresh = hashlib.sha256(b"left behind").hexdigest(), hashlib.sha256(b"just verified").hexdigest()
    for sha in (old, fresh):
        path = pipeline.scratch_path(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    two_days_ago = time.time() - pipeline.SCRATCH_MAX_AGE.total_seconds() - 60
    os.utime(pipeline.scratch_path(old), (two_days_ago, two_days_ago))
    assert pipeline.prune_scratch() >= 1
    assert not pipeline.scratch_path(old).exists() and pipeline.scratch_path(fresh).exists()
    pipeline.drop_local(fresh)
