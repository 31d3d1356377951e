"""Cameras whose clock is wrong (reset to 2000 after the battery ran out, or far ahead).

Such files are accepted, never refused: a refusal would keep them on the camera for ever. The
device time is kept as the camera wrote it, the recording is flagged, an estimate from the
dock time is kept apart from it, and it covers no enforcement event until an admin states the
camera's offset (evidence.flows.set_device_offset), which then re-attributes its recordings and
recomputes the events they touch.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.config import get_settings
from evidence.devices.models import Device
from evidence.errors import Invalid
from evidence.recordings.models import Recording
from evidence.timeutil import to_utc, utcnow

IMPLAUSIBLE = "device clock implausible"


def implausible_reason(start_utc: datetime | None, now: datetime | None = None) -> str | None:
    """Why a device-clock time cannot be right (before the earliest year, or beyond now plus the
    allowed skew), or None when it may be."""
    if start_utc is None:
        return None
    s = get_settings()
    if start_utc.year < s.earliest_recording_year:
        return f"{IMPLAUSIBLE}: {start_utc:%Y-%m-%d %H:%M} UTC is before {s.earliest_recording_year}"
    if start_utc > (now or utcnow()) + timedelta(hours=s.max_clock_skew_hours):
        return f"{IMPLAUSIBLE}: {start_utc:%Y-%m-%d %H:%M} UTC is more than {s.max_clock_skew_hours} h in the future"
    return None


def flag(rec: Recording, now: datetime | None = None) -> None:
    """At upload: flag an implausible start and estimate it as no later than the dock time."""
    note = implausible_reason(rec.started_at, now)
    rec.clock_implausible, rec.clock_note = note is not None, note
    rec.started_at_estimated = (rec.docked_at or now or utcnow()) if note else None


def estimate(rec: Recording) -> None:
    """Once the duration is known: the clip ended at the latest when the camera was docked."""
    arrival = rec.docked_at or rec.uploaded_at or rec.verified_at
    if rec.clock_implausible and rec.duration_seconds and arrival is not None:
        rec.started_at_estimated = arrival - timedelta(seconds=rec.duration_seconds)


def offset_from(device_time: datetime, actual_time: datetime) -> int:
    """What the camera showed at a moment, and the true time then (no zone: the unit's)."""
    tz = get_settings().timezone
    return round((to_utc(device_time, tz) - to_utc(actual_time, tz)).total_seconds())


def check_offset(offset_seconds: int) -> None:
    if abs(offset_seconds) > 200 * 365 * 86400:
        raise Invalid("the clock offset is more than 200 years: check device_time and actual_time")


def flagged(session: Session, device_id: int, only_uncorrected: bool = True) -> list[Recording]:
    """The camera's recordings with an implausible clock (only those not corrected yet, unless asked)."""
    query = select(Recording).where(Recording.device_id == device_id, Recording.clock_implausible.is_(True))
    if only_uncorrected:
        query = query.where(Recording.clock_corrected_at.is_(None))
    return list(session.scalars(query))


def apply_offset(device: Device, recs: list[Recording], offset_seconds: int, now: datetime) -> None:
    """The camera's offset (device minus true time), on the camera and on its flagged recordings."""
    device.clock_offset_seconds, device.clock_offset_set_at = offset_seconds, now
    for rec in recs:
        rec.clock_offset_seconds, rec.clock_corrected_at = offset_seconds, now
