"""HTTP shapes of devices: cameras, their clock offset and assignment imports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DeviceIn(BaseModel):
    serial: str
    model: str | None = Field(None, max_length=200)
    unit_code: str | None = None


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    serial: str
    model: str | None
    unit_id: int | None
    clock_offset_seconds: int | None = None
    clock_offset_set_at: datetime | None = None


class ClockOffsetIn(BaseModel):
    """The camera's clock error: what it showed at a moment and the true time then (no offset: the
    unit's time zone), or the offset itself (device minus true time, seconds)."""

    device_time: datetime | None = None
    actual_time: datetime | None = None
    offset_seconds: int | None = None
    only_uncorrected: bool = Field(True, description="Leave recordings an earlier offset already corrected.")


class ClockOffsetOut(BaseModel):
    serial: str
    clock_offset_seconds: int
    recordings_corrected: int
    events_recomputed: int


class ImportOut(BaseModel):
    imported: int
    updated: int
    errors: list[dict]
