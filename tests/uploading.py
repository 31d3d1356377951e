"""Uploading one file with chosen metadata, for the retention and clock tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from docking_station.client import StationClient
from tests.helpers import meta_for

CST = timezone(timedelta(hours=8))


def upload(world, path, police_id: str, serial: str, started_at: str, **extra) -> int:
    """Send the file as the station does; its verified recording id."""
    client = StationClient(world.service.base_url, world.station_key)
    try:
        result = client.upload(path, meta_for(path, police_id=police_id, serial=serial, started_at=started_at,
                                              **extra))
    finally:
        client.close()
    assert result.status in ("verified", "already_verified"), result
    return result.recording_id


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
