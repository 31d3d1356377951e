"""Retention counts from the later of recording and arrival, and nothing is deleted within a
minimum after arrival (issue 10, item 16)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from docking_station.client import sha256_file
from evidence.db import session_scope
from evidence.recordings.models import Recording
from storage.keys import original_key
from tests import media
from tests.conftest import unique
from tests.stored import arrived_long_ago
from tests.uploading import iso, upload


def test_footage_docked_months_late_is_kept_six_months_from_arrival(world, service, admin_token, tmp_path):
    A = world.users["officer_a"][0]
    clip = media.h264_mp4(tmp_path / "january.mp4", seed=1601, seconds=1)
    rec_id = upload(world, clip, A, unique("CAMR").upper(), "2025-01-05T09:00:00")  # docked ~23 months later
    admin = {"Authorization": f"Bearer {admin_token}"}
    rec = service.http.get(f"/api/v1/recordings/{rec_id}", headers=admin).json()
    assert iso(rec["retain_until"]) >= iso(rec["verified_at"]) + timedelta(days=183)
    dry = service.http.post("/api/v1/retention/sweep", headers=admin, json={"dry_run": True}).json()
    assert rec_id not in {c["id"] for c in dry["candidates"]}


def test_nothing_is_deleted_within_the_minimum_after_arrival(world, service, admin_token, store, tmp_path):
    """A keep-until date already past (counted from recording time before this rule existed) does not
    let the sweep delete an original that arrived ten days ago."""
    A = world.users["officer_a"][0]
    clip = media.h264_mp4(tmp_path / "legacy.mp4", seed=1602, seconds=1)
    now = datetime.now(timezone.utc)
    rec_id = arrived_long_ago(store, clip, A, started=now - timedelta(days=400), arrived=now - timedelta(days=10))
    with session_scope() as s:
        s.get(Recording, rec_id).retain_until = now - timedelta(days=217)  # as the old rule computed it
    admin = {"Authorization": f"Bearer {admin_token}"}
    dry = service.http.post("/api/v1/retention/sweep", headers=admin, json={"dry_run": True}).json()
    assert rec_id not in {c["id"] for c in dry["candidates"]}
    assert store.stat_original(original_key(sha256_file(clip))) is not None
