"""Time helpers: everything is stored in UTC; device clocks are local to the unit's zone."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_utc(value: datetime, tz_name: str) -> datetime:
    """A naive time is read in the unit's zone; an aware one is converted."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz_name))
    return value.astimezone(timezone.utc)
