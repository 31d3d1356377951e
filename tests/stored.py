"""Footage as an earlier server left it: stored long ago, its object lock run out."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from docking_station.client import sha256_file
from evidence.db import session_scope
from evidence.identity.models import User
from evidence.recordings.models import Recording
from storage.keys import original_key

CST = timezone(timedelta(hours=8))


def arrived_long_ago(store, path, police_id: str, started: datetime, arrived: datetime,
                     retention_days: int = 183) -> int:
    """A verified original as a server left it `arrived` long ago (stored then; its object lock has run
    out): the bytes put into storage unlocked and the recording row written as verification wrote it."""
    sha = sha256_file(path)
    key = original_key(sha)
    data = path.read_bytes()
    version = store.put_original(key, io.BytesIO(data), len(data))
    with session_scope() as s:
        officer = s.scalar(select(User).where(User.police_id == police_id))
        rec = Recording(sha256=sha, size_bytes=len(data), media_kind="video", original_filename=path.name,
                        object_key=key, object_version=version, officer_id=officer.id, officer_source="filename",
                        unit_id=officer.unit_id, started_at=started, started_at_device=started.astimezone(CST)
                        .replace(tzinfo=None), status="verified", docked_at=arrived, uploaded_at=arrived,
                        verified_at=arrived, retain_until=max(started, arrived) + timedelta(days=retention_days),
                        processing_state="ready", time_source="filename")
        s.add(rec)
        s.flush()
        return rec.id
