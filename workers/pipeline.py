"""Processing one recording: probe, thumbnails, proxy, from one local copy of the original.

The media queue (probe, thumbnails, remux) works on the copy verification left behind;
a transcode goes to its own queue, so neither ever delays verification. Every derived
object has a deterministic key and carries the settings it was made with: a repeated task
skips what is already there.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from evidence import flows
from evidence.config import get_settings
from evidence.db import session_scope
from evidence.recordings import clock, processing
from evidence.recordings.models import ProcessingState, Recording
from storage.keys import derived_key
from storage.s3 import ObjectStore
from workers.media import thumbs
from workers.media.probe import MediaInfo, Unplayable, probe
from workers.media.proxy import ProxyError, ProxySettings, make_proxy, plan

log = logging.getLogger(__name__)
CONTENT_TYPES = {"video": "video/mp4", "audio": "audio/mp4", "photo": "image/jpeg"}
PROXY_NAMES = {"video": "proxy.mp4", "audio": "proxy.m4a", "photo": "preview.jpg"}
SCRATCH_MAX_AGE = timedelta(days=2)  # a local copy older than this was left behind


class FixityError(Exception):
    """The stored original no longer hashes to its recorded SHA-256."""


@dataclass
class Outcome:
    state: str  # ready, unplayable, failed, transcode (handed to the transcode queue), skipped
    detail: str | None = None


def proxy_settings() -> ProxySettings:
    s = get_settings()
    return ProxySettings(s.proxy_max_height, s.proxy_crf, s.proxy_preset, s.proxy_audio_bitrate)


def scratch_path(sha256: str) -> Path:
    return get_settings().resolved_scratch_dir() / sha256[:2] / sha256


def ensure_local(store: ObjectStore, key: str, sha256: str, version: str | None = None) -> Path:
    """The one local copy of an original (downloaded and hashed once, if not already here)."""
    path = scratch_path(sha256)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".dl-")
    os.close(fd)
    try:
        digest, _ = store.download_original(key, tmp, version=version)
        if digest != sha256:
            raise FixityError(f"stored original hashes to {digest}, not {sha256}")
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def drop_local(sha256: str) -> None:
    scratch_path(sha256).unlink(missing_ok=True)


def prune_scratch(max_age: timedelta = SCRATCH_MAX_AGE) -> int:
    """Remove local copies nobody came back for (their media task ran on another machine, or the
    recording was re-queued elsewhere); copies of recordings being processed stay. The original
    is safe in object storage: a later task downloads it again."""
    root = get_settings().resolved_scratch_dir()
    cutoff = time.time() - max_age.total_seconds()
    old = {p.name: p for p in root.glob("??/*") if len(p.name) == 64 and p.stat().st_mtime < cutoff}
    if not old:
        return 0
    with session_scope() as s:
        busy = set(s.scalars(select(Recording.sha256).where(
            Recording.sha256.in_(old), Recording.processing_state == ProcessingState.processing.value)))
    for sha in old.keys() - busy:
        old[sha].unlink(missing_ok=True)
    return len(old.keys() - busy)


@contextmanager
def heartbeat(recording_id: int, owner: str):
    """Report liveness while the body runs, so a dead worker's claim goes stale and is retaken."""
    stop = threading.Event()
    lost = threading.Event()
    interval = get_settings().processing_heartbeat_seconds

    def beat():
        while not stop.wait(interval):
            try:
                with session_scope() as s:
                    if not processing.heartbeat(s, recording_id, owner):
                        lost.set()
                        return
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried next interval
                log.warning("heartbeat for recording %s failed: %s", recording_id, exc)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        stop.set()
        thread.join()


def _save_probe(recording_id: int, info: MediaInfo) -> None:
    with session_scope() as s:
        rec = s.get(Recording, recording_id)
        rec.container, rec.video_codec, rec.audio_codec = info.container, info.video_codec, info.audio_codec
        rec.width, rec.height, rec.duration_seconds = info.width, info.height, info.duration
        rec.frame_rate, rec.bitrate, rec.rotation = info.frame_rate, info.bitrate, info.rotation
        rec.creation_time, rec.location, rec.media_info = info.creation_time, info.location, info.summary_json()
        rec.media_kind = info.kind  # what the streams are, not the extension (an audio-only .mp4 is audio)
        if rec.started_at and info.duration:
            rec.ended_at = rec.started_at + timedelta(seconds=info.duration)
        clock.estimate(rec)
    if info.duration:
        _refresh_coverage(recording_id)


def _refresh_coverage(recording_id: int, attempts: int = 6) -> None:
    """The recording now has a time span: the coverage of its officer's events around it changes.
    A clash with another transaction (PostgreSQL broke a deadlock, a key written at the same moment)
    or a database restart is tried again; nothing else would recompute these events until the
    next change near them, and until then the report would call covered events missing."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope() as s:
                flows.recording_timed(s, recording_id)
            return
        except (OperationalError, IntegrityError) as exc:
            if attempt == attempts:
                log.exception("coverage refresh after recording %s failed %d times", recording_id, attempts)
                return
            log.warning("coverage refresh after recording %s clashed, trying again: %s", recording_id,
                        str(getattr(exc, "orig", exc)).splitlines()[0][:200])
            time.sleep(min(0.2 * 2 ** attempt, 5))
        except Exception:  # noqa: BLE001 - the recording itself is kept and processed either way
            log.exception("coverage refresh after recording %s failed", recording_id)
            return


def _load(recording_id: int) -> tuple[str, str, str | None]:
    with session_scope() as s:
        rec = s.get(Recording, recording_id)
        return rec.sha256, rec.object_key, rec.object_version


def _upload_if_changed(store: ObjectStore, key: str, path: Path, content_type: str, profile: str) -> None:
    stat = store.stat_derived(key)
    if stat is not None and (stat.metadata or {}).get("x-amz-meta-profile") == profile:
        return
    store.put_derived(key, path, content_type, {"profile": profile})


def _existing(store: ObjectStore, key: str, profile: str) -> bool:
    stat = store.stat_derived(key)
    return stat is not None and (stat.metadata or {}).get("x-amz-meta-profile") == profile


def _thumbnails(store: ObjectStore, sha: str, local: Path, info: MediaInfo, work: Path) -> dict:
    s = get_settings()
    profile = f"t{s.thumbnail_count}-w{s.thumbnail_width}-p{s.poster_width}-m{s.photo_preview_max}-v1"
    poster_key = derived_key(sha, "poster.jpg")
    if info.kind == "photo":
        preview_key = derived_key(sha, "preview.jpg")
        if not (_existing(store, poster_key, profile) and _existing(store, preview_key, profile)):
            thumbs.photo_preview(local, work / "preview.jpg", work / "poster.jpg", s.photo_preview_max, s.poster_width)
            store.put_derived(preview_key, work / "preview.jpg", "image/jpeg", {"profile": profile})
            store.put_derived(poster_key, work / "poster.jpg", "image/jpeg", {"profile": profile})
        return {"poster_key": poster_key, "proxy_key": preview_key, "proxy_kind": "photo", "proxy_method": "resize"}
    if info.kind != "video":
        return {}
    strip_key = derived_key(sha, "strip.jpg")
    if _existing(store, poster_key, profile) and _existing(store, strip_key, profile):
        frames = int((store.stat_derived(strip_key).metadata or {}).get("x-amz-meta-frames", 0))
        return {"poster_key": poster_key, "strip_key": strip_key, "strip_frames": frames}
    frames = thumbs.video_thumbnails(local, info.duration, work / "poster.jpg", work / "strip.jpg",
                                     s.thumbnail_count, s.poster_width, s.thumbnail_width)
    if not frames:
        return {}
    store.put_derived(strip_key, work / "strip.jpg", "image/jpeg", {"profile": profile, "frames": str(frames)})
    store.put_derived(poster_key, work / "poster.jpg", "image/jpeg", {"profile": profile})
    return {"poster_key": poster_key, "strip_key": strip_key, "strip_frames": frames}


def _proxy(store: ObjectStore, sha: str, local: Path, info: MediaInfo, work: Path) -> dict:
    settings = proxy_settings()
    kind, method = plan(info)
    key = derived_key(sha, PROXY_NAMES[kind])
    profile = f"{method}-{settings.fingerprint()}"
    if not _existing(store, key, profile):
        out = work / PROXY_NAMES[kind]
        make_proxy(local, out, info, settings)
        store.put_derived(key, out, CONTENT_TYPES[kind], {"profile": profile})
    return {"proxy_key": key, "proxy_kind": kind, "proxy_method": method}


def _set(recording_id: int, fields: dict) -> None:
    with session_scope() as s:
        rec = s.get(Recording, recording_id)
        for k, v in fields.items():
            setattr(rec, k, v)


def process(store: ObjectStore, recording_id: int, owner: str, *, allow_transcode: bool) -> Outcome:
    """Claim the recording and take it as far as this queue may: ready, unplayable, or (media
    queue, codecs need re-encoding) handed over to the transcode queue."""
    with session_scope() as s:
        if not processing.claim(s, recording_id, owner):
            return Outcome("skipped", "already done or held by another worker")
    sha, key, version = _load(recording_id)
    handed_over = False
    try:
        with heartbeat(recording_id, owner), tempfile.TemporaryDirectory(
                dir=_ensure(get_settings().resolved_scratch_dir())) as tmp:
            work = Path(tmp)
            local = ensure_local(store, key, sha, version)
            try:
                info = probe(local)
            except Unplayable as exc:
                with session_scope() as s:
                    processing.finish(s, recording_id, owner, ProcessingState.unplayable, str(exc))
                return Outcome("unplayable", str(exc))
            _save_probe(recording_id, info)
            fields = _thumbnails(store, sha, local, info, work)
            if info.kind == "photo":
                _set(recording_id, fields)
                with session_scope() as s:
                    processing.finish(s, recording_id, owner, ProcessingState.ready)
                return Outcome("ready", "photo preview")
            _, method = plan(info)
            if method == "transcode" and not allow_transcode:
                _set(recording_id, fields)
                with session_scope() as s:
                    processing.hand_over(s, recording_id, owner, "waiting for transcode")
                handed_over = True
                return Outcome("transcode")
            fields.update(_proxy(store, sha, local, info, work))
            _set(recording_id, fields)
            with session_scope() as s:
                processing.finish(s, recording_id, owner, ProcessingState.ready)
            return Outcome("ready", method)
    except ProxyError as exc:
        with session_scope() as s:
            processing.finish(s, recording_id, owner, ProcessingState.unplayable, f"cannot be converted: {exc}"[:500])
        return Outcome("unplayable", str(exc))
    except Exception as exc:
        log.exception("processing recording %s failed", recording_id)
        with session_scope() as s:
            processing.fail(s, recording_id, owner, f"{type(exc).__name__}: {exc}"[:1000])
        return Outcome("failed", str(exc))
    finally:
        if not handed_over:
            drop_local(sha)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def adopt_verified_copy(tmp: Path, sha256: str) -> Path:
    """Keep the copy the verification just hashed as the scratch copy (no second download)."""
    dest = scratch_path(sha256)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(tmp), dest)
    return dest
