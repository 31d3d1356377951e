"""Media processing: every kind of file a camera makes ends playable or flagged with a reason."""

from __future__ import annotations

import json
import random
import subprocess
import time

import httpx
import pytest
from sqlalchemy import func, select

from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from evidence.recordings.models import Recording
from storage.keys import original_key
from tests import media
from tests.conftest import unique
from tests.dock import dock, write_dock_env
from docking_station.client import sha256_file

EXPECT = {
    # name: (processing_state, proxy_method or reason fragment)
    "h264": ("ready", "remux"),
    "h265_odd": ("ready", "transcode"),
    "mjpeg": ("ready", "transcode"),
    "wav": ("ready", "transcode"),
    "jpeg": ("ready", "resize"),
    "audio_only": ("ready", "remux"),
    "short": ("ready", "remux"),
    "rotated": ("ready", "remux"),
    "long": ("ready", "remux"),
    "truncated": ("unplayable", "no moov atom"),
    "zero": ("unplayable", "zero length"),
    "text": ("unplayable", "not a media file"),
    "guessed": ("unplayable", "only guessed h263"),
}


@pytest.fixture(scope="module")
def docked(world, service, tmp_path_factory):
    """Every kind of file, docked through the agent; returns {name: (path, sha256)}."""
    root = tmp_path_factory.mktemp("media-camera")
    camera = root / "camera" / "DCIM"
    camera.mkdir(parents=True)
    serial, officer = unique("CAMP").upper(), world.users["officer_a"][0]

    def name(i, ext):
        return camera / f"{serial}_{officer}_20261128{10 + i:02d}0000_{i:04d}.{ext}"

    jobs = [
        (media.h264_mp4, name(1, "mp4"), {"seed": 201, "seconds": 3}),
        (media.h265_mp4, name(2, "mp4"), {"seed": 202, "size": "1298x730"}),
        (media.mjpeg_avi, name(3, "avi"), {"seed": 203}),
        (media.wav, name(4, "wav"), {"seed": 204}),
        (media.jpeg, name(5, "jpg"), {"seed": 205}),
        (media.audio_only_mp4, name(6, "mp4"), {"seed": 206}),
        (media.h264_mp4, name(7, "mp4"), {"seed": 207, "seconds": 0.5}),
        (media.rotated_mp4, name(8, "mp4"), {"seed": 208}),
        (media.long_low_bitrate_mp4, name(9, "mp4"), {}),
    ]
    paths = media.generate(jobs)
    files = dict(zip(["h264", "h265_odd", "mjpeg", "wav", "jpeg", "audio_only", "short", "rotated", "long"], paths))
    files["truncated"] = media.truncated_mp4(name(10, "mp4"), media.h264_mp4(root / "src.mp4", seed=210, seconds=4))
    files["zero"] = name(11, "mp4")
    files["zero"].write_bytes(b"")
    files["text"] = name(12, "mp4")
    files["text"].write_text("not a video\n" * 100)
    # A camera's binary log that ffprobe takes for raw H.263 at its "misdetection possible" score;
    # ffmpeg even makes a "video" of it, which was shown as ready before.
    files["guessed"] = camera / "LOG0013.DAT"
    files["guessed"].write_bytes(random.Random(11489).randbytes(16113))
    shas = {k: sha256_file(p) for k, p in files.items()}
    env = write_dock_env(root / "dock.env", service.base_url, world.station_key, root / "spool", wipe="false")
    result = dock("ingest", str(camera.parent), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return {k: (files[k], shas[k]) for k in files}


def wait_processed(shas: list[str], timeout: float = 240) -> dict[str, Recording]:
    deadline = time.monotonic() + timeout
    while True:
        with session_scope() as s:
            recs = {r.sha256: r for r in s.scalars(select(Recording).where(Recording.sha256.in_(shas)))}
        pending = [r for r in recs.values() if r.processing_state not in ("ready", "unplayable", "failed")]
        if len(recs) == len(shas) and not pending:
            return recs
        if time.monotonic() > deadline:
            raise AssertionError(f"still processing: {[(r.original_filename, r.processing_state) for r in pending]}")
        time.sleep(0.5)


def ffprobe(url_or_path: str) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", url_or_path],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_every_kind_ends_ready_or_unplayable_with_its_reason(docked, store):
    recs = wait_processed([sha for _, sha in docked.values()])
    for name, (path, sha) in docked.items():
        rec = recs[sha]
        state, detail = EXPECT[name]
        assert rec.processing_state == state, (name, rec.processing_state, rec.processing_reason, rec.processing_error)
        if state == "ready":
            assert rec.proxy_method == detail, (name, rec.proxy_method)
        else:
            assert detail in rec.processing_reason, (name, rec.processing_reason)
        # Processing never touches the original.
        assert store.hash_original(original_key(sha))[0] == sha


def test_probe_results_are_stored(docked):
    recs = wait_processed([sha for _, sha in docked.values()])
    h265 = recs[docked["h265_odd"][1]]
    assert (h265.video_codec, h265.width, h265.height) == ("hevc", 1298, 730)
    assert h265.duration_seconds == pytest.approx(2, abs=0.2)
    assert h265.ended_at is not None and (h265.ended_at - h265.started_at).total_seconds() == pytest.approx(
        h265.duration_seconds, abs=0.01)
    assert recs[docked["rotated"][1]].rotation in (90, 270)
    assert recs[docked["long"][1]].duration_seconds == pytest.approx(3 * 3600, abs=2)
    assert recs[docked["wav"][1]].audio_codec == "pcm_s16le" and recs[docked["wav"][1]].proxy_kind == "audio"
    assert recs[docked["jpeg"][1]].proxy_kind == "photo" and recs[docked["jpeg"][1]].width == 640


def test_proxies_play_in_browsers_and_seek(docked, world, service):
    recs = wait_processed([sha for _, sha in docked.values()])
    headers = world.headers("officer_a")
    checks = {"h264": None, "h265_odd": (1280, 720), "mjpeg": (320, 240), "short": None, "long": None}
    for name, size in checks.items():
        rec = recs[docked[name][1]]
        r = service.http.post(f"/api/v1/recordings/{rec.id}/playback", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        info = ffprobe(body["proxy_url"])
        video = next(s for s in info["streams"] if s["codec_type"] == "video")
        assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p", name
        assert info["format"]["format_name"].startswith("mov,mp4")
        if size:
            assert (video["width"], video["height"]) == size, name
        ranged = httpx.get(body["proxy_url"], headers={"Range": "bytes=0-1023"})
        assert ranged.status_code == 206 and len(ranged.content) == 1024
        head = httpx.get(body["proxy_url"], headers={"Range": "bytes=0-65535"}).content
        assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat")), \
            f"{name}: moov must come first (faststart)"
        assert httpx.get(body["poster_url"]).headers["content-type"] == "image/jpeg"
        assert body["strip_frames"] >= 1
    long_body = service.http.post(f"/api/v1/recordings/{recs[docked['long'][1]].id}/playback", headers=headers).json()
    assert long_body["strip_frames"] == 10
    audio = service.http.post(f"/api/v1/recordings/{recs[docked['wav'][1]].id}/playback", headers=headers).json()
    a = ffprobe(audio["proxy_url"])
    assert a["streams"][0]["codec_name"] == "aac" and audio["proxy_kind"] == "audio"
    photo = service.http.post(f"/api/v1/recordings/{recs[docked['jpeg'][1]].id}/playback", headers=headers).json()
    assert httpx.get(photo["proxy_url"]).headers["content-type"] == "image/jpeg"


def test_playback_is_role_scoped_and_audited(docked, world, service):
    rec_id = wait_processed([docked["h264"][1]])[docked["h264"][1]].id
    assert service.http.post(f"/api/v1/recordings/{rec_id}/playback", headers=world.headers("officer_c")).status_code == 404
    assert service.http.post(f"/api/v1/recordings/{rec_id}/playback", headers=world.headers("auditor")).status_code == 403
    assert service.http.post(f"/api/v1/recordings/{rec_id}/playback", headers=world.headers("station")).status_code == 403
    with session_scope() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "recording.view", AuditEntry.object_id == str(rec_id)))
    assert service.http.post(f"/api/v1/recordings/{rec_id}/playback", headers=world.headers("supervisor_dd1")).status_code == 200
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "recording.view", AuditEntry.object_id == str(rec_id))) == before + 1


def test_admin_reruns_processing_and_others_cannot(docked, world, service, admin_token):
    rec = wait_processed([docked["truncated"][1]])[docked["truncated"][1]]
    admin = {"Authorization": f"Bearer {admin_token}"}
    assert service.http.post(f"/api/v1/recordings/{rec.id}/reprocess", headers=world.headers("supervisor_dd1")).status_code == 403
    r = service.http.post(f"/api/v1/recordings/{rec.id}/reprocess", headers=admin)
    assert r.status_code == 200 and r.json()["queued"] == [rec.id]
    again = wait_processed([docked["truncated"][1]])[docked["truncated"][1]]
    assert again.processing_state == "unplayable" and again.processed_at > rec.processed_at
    r = service.http.post("/api/v1/recordings/reprocess", headers=admin, json={"state": "unplayable"})
    assert r.status_code == 200 and rec.id in r.json()["queued"]
    wait_processed([docked["truncated"][1]])
