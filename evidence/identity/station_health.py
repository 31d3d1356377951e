"""Whether a docking station is alive, as an admin reads it: a dock that stopped reporting for
longer than station_silent_minutes (crashed agent, PC off, network down) is marked silent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from evidence.identity.models import Station

Health = Literal["ok", "silent", "never_seen", "revoked"]


def last_contact(station: Station) -> datetime | None:
    """The later of the last heartbeat and the last authenticated call (uploads count too)."""
    seen = [t for t in (station.heartbeat_at, station.last_seen_at) if t is not None]
    return max(seen) if seen else None


def health(station: Station, now: datetime, silent_minutes: int) -> Health:
    if station.revoked_at is not None:
        return "revoked"
    contact = last_contact(station)
    if contact is None:
        return "never_seen"
    return "silent" if now - contact > timedelta(minutes=silent_minutes) else "ok"
