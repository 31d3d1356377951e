"""The recording catalog: who may see which recordings, search, and audited reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.cases.access import granted_recording_ids
from evidence.config import get_settings
from evidence.errors import Forbidden, NotFound
from evidence.identity.models import Role, User
from evidence.identity.service import subtree_unit_ids
from evidence.recordings.models import Recording
from storage.s3 import ObjectStore

# Who may fetch the bytes of an original. Auditors read metadata and the log, not footage.
DOWNLOAD_ROLES = {Role.officer.value, Role.case_handler.value, Role.supervisor.value, Role.admin.value}


def visible(session: Session, user: User, query: Select) -> Select:
    """Restrict a recordings query to what the user's role allows.

    officer: own recordings; supervisor and case_handler: their unit and the units under
    it; admin and auditor: all; anyone: what an approved, unexpired access grant opens.
    """
    if user.role in (Role.admin.value, Role.auditor.value):
        return query
    granted = granted_recording_ids(session, user)
    extra = [Recording.id.in_(granted)] if granted else []
    if user.role == Role.officer.value:
        return query.where(or_(Recording.officer_id == user.id, *extra))
    if user.role in (Role.supervisor.value, Role.case_handler.value) and user.unit_id is not None:
        return query.where(or_(Recording.unit_id.in_(subtree_unit_ids(session, user.unit_id)), *extra))
    return query.where(or_(false(), *extra))


@dataclass
class RecordingFilter:
    officer: str | None = None  # police ID
    device: str | None = None  # camera serial
    start_from: datetime | None = None
    start_to: datetime | None = None
    status: str | None = None
    important: bool | None = None
    clock_implausible: bool | None = None  # flagged "device clock implausible"


def search(session: Session, user: User, f: RecordingFilter, page: int, page_size: int,
           ip: str | None = None) -> tuple[list[Recording], int]:
    query = visible(session, user, select(Recording))
    if f.officer:
        query = query.join(User, User.id == Recording.officer_id).where(User.police_id == f.officer)
    if f.device:
        query = query.where(Recording.device_serial == f.device)
    if f.start_from:
        query = query.where(Recording.started_at >= f.start_from)
    if f.start_to:
        query = query.where(Recording.started_at < f.start_to)
    if f.status:
        query = query.where(Recording.status == f.status)
    if f.important is not None:
        query = query.where(Recording.important == f.important)
    if f.clock_implausible is not None:
        query = query.where(Recording.clock_implausible == f.clock_implausible)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Recording.started_at.desc().nulls_last(), Recording.id.desc())
                           .offset((page - 1) * page_size).limit(page_size)).all()
    audit.record(session, user_actor(user, ip), "recording.search", "recording", None,
                 filter={k: v for k, v in vars(f).items() if v is not None}, page=page, returned=len(rows),
                 ids=[r.id for r in rows])
    return list(rows), total


def get_visible(session: Session, user: User, recording_id: int) -> Recording:
    """One recording the user may see; others are answered as not found (no existence leak)."""
    rec = session.scalar(visible(session, user, select(Recording).where(Recording.id == recording_id)))
    if rec is None:
        raise NotFound(f"recording {recording_id} not found")
    return rec


def read(session: Session, user: User, recording_id: int, ip: str | None = None) -> Recording:
    rec = get_visible(session, user, recording_id)
    audit.record(session, user_actor(user, ip), "recording.read", "recording", rec.id)
    return rec


def download_url(session: Session, store: ObjectStore, user: User, recording_id: int,
                 ip: str | None = None) -> tuple[str, int]:
    """A short-lived presigned GET for the original; every hand-out is audited."""
    rec = get_visible(session, user, recording_id)
    if user.role not in DOWNLOAD_ROLES:
        raise Forbidden(f"role {user.role} may not download originals")
    if rec.status != "verified":
        raise Forbidden(f"recording {rec.id} is {rec.status}: only verified originals can be downloaded")
    if rec.deleted_at is not None:
        raise Forbidden(f"recording {rec.id} was deleted by the retention sweep on {rec.deleted_at:%Y-%m-%d}")
    seconds = get_settings().download_url_seconds
    url = store.presign_get_original(rec.object_key, timedelta(seconds=seconds), rec.original_filename,
                                     version=rec.object_version)
    audit.record(session, user_actor(user, ip), "recording.download", "recording", rec.id,
                 sha256=rec.sha256, expires_in=seconds)
    return url, seconds


def playback(session: Session, store: ObjectStore, user: User, recording_id: int, ip: str | None = None) -> dict:
    """Short-lived URLs of the proxy (HTTP range requests work for seeking), poster and strip.

    Every hand-out is audited. Not ready yet: the state and reason say why.
    """
    rec = get_visible(session, user, recording_id)
    if user.role not in DOWNLOAD_ROLES:
        raise Forbidden(f"role {user.role} may not view footage")
    seconds = get_settings().download_url_seconds
    expires = timedelta(seconds=seconds)
    out = {"recording_id": rec.id, "processing_state": rec.processing_state,
           "processing_reason": rec.processing_reason, "proxy_kind": rec.proxy_kind, "expires_in": seconds,
           "proxy_url": None, "poster_url": None, "strip_url": None, "strip_frames": rec.strip_frames}
    if rec.processing_state == "ready" and rec.proxy_key:
        out["proxy_url"] = store.presign_get_derived(rec.proxy_key, expires)
    if rec.poster_key:
        out["poster_url"] = store.presign_get_derived(rec.poster_key, expires)
    if rec.strip_key:
        out["strip_url"] = store.presign_get_derived(rec.strip_key, expires)
    audit.record(session, user_actor(user, ip), "recording.view", "recording", rec.id,
                 proxy=bool(out["proxy_url"]), expires_in=seconds)
    return out
