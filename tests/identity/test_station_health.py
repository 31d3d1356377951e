"""A docking station's health as admins read it: silent (失联) past station_silent_minutes since
its last heartbeat or upload, never_seen before any contact, revoked once revoked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from evidence.identity.models import Station
from evidence.identity.station_health import health

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def _station(heartbeat=None, seen=None, revoked=None) -> Station:
    return Station(name="dock", key_id="k", key_hash="h", heartbeat_at=heartbeat, last_seen_at=seen, revoked_at=revoked)


def test_health_follows_the_last_contact():
    assert health(_station(), NOW, 15) == "never_seen"
    assert health(_station(heartbeat=NOW - timedelta(minutes=14)), NOW, 15) == "ok"
    assert health(_station(heartbeat=NOW - timedelta(minutes=16)), NOW, 15) == "silent"
    # An upload (last_seen_at) after an old heartbeat still counts as contact.
    assert health(_station(heartbeat=NOW - timedelta(hours=2), seen=NOW - timedelta(minutes=1)), NOW, 15) == "ok"
    assert health(_station(heartbeat=NOW - timedelta(minutes=16)), NOW, 30) == "ok"
    assert health(_station(heartbeat=NOW, revoked=NOW), NOW, 15) == "revoked"
