"""Server side of the station upload protocol and the server's own verification.

open → (parts PUT straight to S3 with presigned URLs) → progress/resume → complete →
verify (a worker re-reads the stored object and hashes it). Only a matching hash marks
a recording verified; the station may wipe the camera only after that.
"""

from __future__ import annotations

import hashlib
import io
import math
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from minio.error import S3Error
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors import station_actor
from evidence.audit import service as audit
from evidence.cases import retention
from evidence.config import MiB, get_settings
from evidence.devices import service as devices
from evidence.devices.models import Device
from evidence.errors import Conflict, NotFound
from evidence.identity.models import Station
from evidence.identity.service import unit_within
from evidence.recordings import clock
from evidence.recordings.models import Recording, RecordingStatus
from evidence.timeutil import to_utc, utcnow
from ingest.models import SessionStatus, UploadSession
from ingest.schemas import PartUrl, UploadRequest, UploadSessionOut, UploadStatus, media_kind
from storage.keys import original_key
from storage.s3 import ObjectStore

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def plan_parts(size: int) -> tuple[int, int]:
    """(part_size, part_count): at least the configured size, growing so parts ≤ max_parts."""
    s = get_settings()
    part_size = max(s.part_size_min, math.ceil(size / s.max_parts / MiB) * MiB)
    return part_size, max(1, math.ceil(size / part_size))


def _attribute(session: Session, rec: Recording, station: Station, req: UploadRequest) -> None:
    """The camera (created on first sight), then the officer by the one attribution rule; a
    recording nobody claims stays in the camera's unit, else the station's."""
    rec.officer_id, rec.officer_source, rec.unit_id = None, "none", None
    device = None
    if req.device_serial:
        device = session.scalar(select(Device).where(Device.serial == req.device_serial))
        if device is None:
            device = Device(serial=req.device_serial, unit_id=station.unit_id)
            session.add(device)
            session.flush()
    rec.device_id = device.id if device else None
    devices.attribute(session, rec)
    if rec.unit_id is None:
        rec.unit_id = (device.unit_id if device and device.unit_id else None) or station.unit_id


def _fill_recording(session: Session, rec: Recording, station: Station, req: UploadRequest) -> None:
    tz = get_settings().timezone
    rec.size_bytes = req.size_bytes
    rec.original_filename = req.filename
    rec.original_filename_hex = req.filename_raw_hex
    rec.media_kind = media_kind(req.filename)
    rec.device_serial = req.device_serial
    rec.declared_police_id = req.police_id
    rec.started_at = to_utc(req.started_at, tz) if req.started_at else None
    if req.started_at is not None:
        local = rec.started_at.astimezone(ZoneInfo(tz))
        rec.started_at_device = req.started_at.replace(tzinfo=None) if req.started_at.tzinfo is None else local.replace(tzinfo=None)
    rec.time_source = req.time_source
    rec.important = req.important
    rec.station_id = station.id
    rec.docked_at = to_utc(req.docked_at, tz) if req.docked_at else None
    rec.serial_source = req.serial_source if req.device_serial else None
    clock.flag(rec)
    _attribute(session, rec, station, req)


def expected_part_size(up: UploadSession, part_number: int) -> int:
    if part_number < up.part_count:
        return up.part_size
    return up.size_bytes - up.part_size * (up.part_count - 1)


def _part_urls(store: ObjectStore, up: UploadSession, numbers: list[int]) -> list[PartUrl]:
    expires = timedelta(seconds=get_settings().part_url_seconds)
    return [PartUrl(part_number=n, url=store.presign_part(up.object_key, up.s3_upload_id, n, expires))
            for n in numbers]


def _session_out(store: ObjectStore, up: UploadSession, with_urls: bool) -> UploadSessionOut:
    out = UploadSessionOut(status=up.status, recording_id=up.recording_id, session_id=up.id,
                           part_size=up.part_size, part_count=up.part_count, reason=up.failure_reason)
    if up.status == SessionStatus.open.value:
        try:
            parts = store.landed_parts(up.object_key, up.s3_upload_id)
        except S3Error as exc:
            if exc.code != "NoSuchUpload":
                raise
            # Storage no longer knows the upload while our record says open: it assembled it and the
            # database went away before the record followed (or the upload expired). Nothing is left
            # to send; `complete` settles it (verifies what storage holds, or fails it to be sent anew).
            out.reason = "object storage has no open upload for this session any more: complete it to settle"
            if with_urls:
                out.parts, out.url_expires_in = [], get_settings().part_url_seconds
            return out
        # Only a part of its planned size counts as landed: a short one must be sent again.
        landed = {p.part_number for p in parts if p.size == expected_part_size(up, p.part_number)}
        out.landed = sorted(landed)
        if with_urls:
            out.parts = _part_urls(store, up, [n for n in range(1, up.part_count + 1) if n not in landed])
            out.url_expires_in = get_settings().part_url_seconds
    return out


def _may_know(session: Session, station: Station, rec: Recording) -> bool:
    """A station is told a recording's id only when it sent the file or the recording is of its unit
    (or below): a hash alone must not tell another unit's station which recordings exist."""
    return rec.station_id == station.id or unit_within(session, rec.unit_id, station.unit_id)


def open_upload(session: Session, store: ObjectStore, station: Station, req: UploadRequest,
                ip: str | None = None) -> UploadSessionOut:
    """Dedupe by hash, resume this station's open session, or start a new multipart upload."""
    actor = station_actor(station, ip)
    rec = session.scalar(select(Recording).where(Recording.sha256 == req.sha256).with_for_update())
    if rec is not None and rec.status == RecordingStatus.verified.value:
        known = _may_know(session, station, rec)
        audit.record(session, actor, "upload.dedupe", "recording", rec.id, sha256=req.sha256, told_id=known)
        return UploadSessionOut(status="already_verified", recording_id=rec.id if known else None)
    if rec is not None:
        current = session.scalar(select(UploadSession).where(
            UploadSession.recording_id == rec.id,
            UploadSession.status.in_([SessionStatus.open.value, SessionStatus.verifying.value])))
        if current is not None:
            if current.station_id != station.id:
                raise Conflict("another docking station is sending this file right now; try again later",
                               **({"recording_id": rec.id} if _may_know(session, station, rec) else {}))
            if current.size_bytes != req.size_bytes:
                raise Conflict("an open upload of this sha256 declared a different size", session_id=current.id)
            return _session_out(store, current, with_urls=True)
    key = original_key(req.sha256)
    if rec is None:
        rec = Recording(sha256=req.sha256, object_key=key)
        session.add(rec)
    _fill_recording(session, rec, station, req)
    rec.status, rec.status_reason = RecordingStatus.uploading.value, None
    session.flush()

    if req.size_bytes == 0:
        return _accept_empty(session, store, station, rec, actor)

    part_size, part_count = plan_parts(req.size_bytes)
    up = UploadSession(id=str(uuid.uuid4()), recording_id=rec.id, station_id=station.id,
                       s3_upload_id=store.create_multipart(key), object_key=key, sha256=req.sha256,
                       size_bytes=req.size_bytes, part_size=part_size, part_count=part_count)
    session.add(up)
    session.flush()
    audit.record(session, actor, "upload.open", "recording", rec.id, session=up.id, sha256=req.sha256,
                 size=req.size_bytes, filename=req.filename, parts=part_count)
    out = UploadSessionOut(status=up.status, recording_id=rec.id, session_id=up.id, part_size=part_size,
                           part_count=part_count, parts=_part_urls(store, up, list(range(1, part_count + 1))),
                           url_expires_in=get_settings().part_url_seconds)
    return out


def _accept_empty(session: Session, store: ObjectStore, station: Station, rec: Recording,
                  actor: audit.Actor) -> UploadSessionOut:
    """A zero-byte file is kept and flagged, never dropped; the server stores it itself."""
    if rec.sha256 != EMPTY_SHA256:
        raise Conflict("size_bytes is 0 but sha256 is not the hash of empty content")
    rec.object_version = store.put_original(rec.object_key, io.BytesIO(b""), 0)
    now = utcnow()
    up = UploadSession(id=str(uuid.uuid4()), recording_id=rec.id, station_id=station.id, s3_upload_id=None,
                       object_key=rec.object_key, sha256=rec.sha256, size_bytes=0, part_size=0, part_count=0,
                       status=SessionStatus.verified.value, completed_at=now, verified_at=now)
    session.add(up)
    _mark_verified(session, store, rec, up, actor)
    rec.status_reason = "zero-length file"
    # Nothing to play: settled here, no worker needed.
    rec.processing_state, rec.processing_reason, rec.processed_at = "unplayable", "zero length", now
    return UploadSessionOut(status="verified", recording_id=rec.id, session_id=up.id, reason=rec.status_reason)


def _own_session(session: Session, station: Station, session_id: str) -> UploadSession:
    up = session.get(UploadSession, session_id)
    if up is None or up.station_id != station.id:
        raise NotFound(f"upload session {session_id} not found for this station")
    return up


def progress(session: Session, store: ObjectStore, station: Station, session_id: str) -> UploadSessionOut:
    """Which parts landed, with fresh URLs for the rest: how a station resumes after a crash."""
    return _session_out(store, _own_session(session, station, session_id), with_urls=True)


def statuses(session: Session, station: Station, session_ids: list[str]) -> list[UploadStatus]:
    """Many sessions in one answer: a dock waiting on hundreds of verifications asks once per round,
    not once per file. Sessions of other stations, and unknown ids, are left out."""
    rows = session.execute(select(UploadSession.id, UploadSession.status, UploadSession.recording_id,
                                  UploadSession.failure_reason).where(
        UploadSession.id.in_(set(session_ids)), UploadSession.station_id == station.id)).all()
    return [UploadStatus(session_id=r.id, status=r.status, recording_id=r.recording_id, reason=r.failure_reason)
            for r in rows]


def part_urls(session: Session, store: ObjectStore, station: Station, session_id: str,
              numbers: list[int]) -> list[PartUrl]:
    up = _own_session(session, station, session_id)
    if up.status != SessionStatus.open.value:
        raise Conflict(f"upload session is {up.status}, not open")
    bad = [n for n in numbers if not 1 <= n <= up.part_count]
    if bad:
        raise Conflict(f"part numbers out of range 1..{up.part_count}: {bad[:10]}")
    return _part_urls(store, up, numbers)


def complete(session: Session, store: ObjectStore, station: Station, session_id: str,
             ip: str | None = None) -> UploadSessionOut:
    """Assemble the parts once all landed with the planned sizes; verification follows."""
    up = _own_session(session, station, session_id)
    if up.status != SessionStatus.open.value:
        return _session_out(store, up, with_urls=False)  # repeated complete: answer, change nothing
    try:
        landed = store.landed_parts(up.object_key, up.s3_upload_id)
    except S3Error as exc:
        if exc.code != "NoSuchUpload":
            raise
        return _recover_completed(session, store, station, up, ip)
    missing = sorted({n for n in range(1, up.part_count + 1)} - {p.part_number for p in landed})
    if missing:
        raise Conflict(f"{len(missing)} part(s) have not landed yet", missing=missing[:100])
    by_number = {}
    for n in range(1, up.part_count + 1):
        want = expected_part_size(up, n)
        # A part sent twice may be listed twice (SeaweedFS keeps both): take one of the planned size.
        candidates = [p for p in landed if p.part_number == n]
        fitting = [p for p in candidates if p.size == want]
        if not fitting:
            raise Conflict(f"part {n} is {candidates[0].size} bytes; {want} expected. Send it again",
                           bad_part=n)
        by_number[n] = fitting[0]
    up.object_version = store.complete_multipart(up.object_key, up.s3_upload_id,
                                                 [by_number[n] for n in range(1, up.part_count + 1)])
    return _mark_completed(session, store, station, up, ip)


def _recover_completed(session, store, station, up, ip) -> UploadSessionOut:
    """S3 finished the upload but our record did not follow (crash between the two)."""
    stat = store.stat_original(up.object_key)
    if stat is not None and stat.size == up.size_bytes:
        up.object_version = stat.version_id
        return _mark_completed(session, store, station, up, ip)
    up.status, up.failure_reason = SessionStatus.failed.value, "the upload expired on the storage server; open a new session"
    up.recording.status, up.recording.status_reason = RecordingStatus.failed.value, up.failure_reason
    audit.record(session, station_actor(station, ip), "upload.expired", "recording", up.recording_id, session=up.id)
    return _session_out(store, up, with_urls=False)


def _mark_completed(session, store, station, up, ip) -> UploadSessionOut:
    up.status, up.completed_at = SessionStatus.verifying.value, utcnow()
    up.recording.status, up.recording.uploaded_at = RecordingStatus.verifying.value, up.completed_at
    audit.record(session, station_actor(station, ip), "upload.complete", "recording", up.recording_id,
                 session=up.id, size=up.size_bytes)
    return _session_out(store, up, with_urls=False)


def status(session: Session, store: ObjectStore, station: Station, session_id: str) -> UploadSessionOut:
    return _session_out(store, _own_session(session, station, session_id), with_urls=False)


def _mark_verified(session: Session, store: ObjectStore, rec: Recording, up: UploadSession,
                   actor: audit.Actor) -> None:
    now = utcnow()
    rec.status, rec.status_reason, rec.verified_at = RecordingStatus.verified.value, None, now
    rec.uploaded_at = rec.uploaded_at or now
    rec.retain_until = retention.counted_from(rec, now) + timedelta(days=get_settings().retention_days)
    locked = store.lock_original(rec.object_key, rec.retain_until) if rec.retain_until > now else False
    up.status, up.verified_at = SessionStatus.verified.value, now
    audit.record(session, actor, "recording.verified", "recording", rec.id, session=up.id, sha256=rec.sha256,
                 size=rec.size_bytes, object_lock_until=rec.retain_until.isoformat() if locked else None)


def verify(session_factory: Callable[[], AbstractContextManager[Session]], store: ObjectStore, session_id: str,
           keep_copy: Path | None = None) -> str:
    """Re-read the stored object and hash it. Idempotent: a settled session is left alone.

    The read happens outside any database transaction (a long read must not hold locks that
    API requests wait on); the result is then settled in a short transaction that checks the
    session is still waiting. With `keep_copy`, the bytes read are also written there, so media
    processing can work on them without a second download.
    """
    with session_factory() as session:
        up = session.get(UploadSession, session_id)
        if up is None:
            raise NotFound(f"upload session {session_id} does not exist")
        if up.status != SessionStatus.verifying.value:
            return up.status
        key, version = up.object_key, up.object_version
        up.verify_attempts += 1
    if store.stat_original(key, version) is None:
        digest, size = None, 0
    elif keep_copy is not None:
        digest, size = store.download_original(key, keep_copy, version=version)
    else:
        digest, size = store.hash_original(key, version)
    with session_factory() as session:
        return settle_verification(session, store, session_id, digest, size)


def settle_verification(session: Session, store: ObjectStore, session_id: str, digest: str | None, size: int) -> str:
    """Record what the server's own read found: verified only when hash and size match."""
    up = session.get(UploadSession, session_id, with_for_update=True)
    if up.status != SessionStatus.verifying.value:
        return up.status  # settled meanwhile by a twin task
    rec = up.recording
    if digest == up.sha256 and size == up.size_bytes:
        rec.object_version = up.object_version
        _mark_verified(session, store, rec, up, audit.SYSTEM)
        return up.status
    reason = ("stored object is missing" if digest is None else
              f"sha256 mismatch: declared {up.sha256}, stored bytes hash to {digest} ({size} bytes)")
    up.status, up.failure_reason = SessionStatus.failed.value, reason
    rec.status, rec.status_reason = RecordingStatus.failed.value, f"{reason}; the station must send it again"
    # The bytes at this key are not the declared content: remove them (never locked: unverified).
    store.delete_original_versions(up.object_key)
    audit.record(session, audit.SYSTEM, "recording.verify_failed", "recording", rec.id, session=up.id,
                 reason=reason)
    return up.status


def stale_verifications(session: Session, older_than: timedelta) -> list[str]:
    """Completed uploads still waiting for verification (their task message was lost)."""
    cutoff = utcnow() - older_than
    return list(session.scalars(select(UploadSession.id).where(
        UploadSession.status == SessionStatus.verifying.value, UploadSession.completed_at < cutoff)))
