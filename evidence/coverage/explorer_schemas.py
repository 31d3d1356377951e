"""HTTP shapes of the coverage explorer: counts per unit and officer, a page of events, an event's gap chart."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from evidence.coverage.schemas import EventRow, Status
from evidence.types import Instant

GapReason = Literal["no_account", "no_camera", "not_recorded", "awaiting_upload", "not_docked"]


class Counts(BaseModel):
    events: int
    covered: int
    partial: int
    missing: int
    pending: int
    rate: float | None = Field(description="covered ÷ events no longer pending; empty when none is")


class UnitCounts(Counts):
    unit_id: int
    code: str
    name: str
    level: str
    own: bool = Field(description="only the events recorded on this unit itself, not on the units below it")
    has_children: bool


class UnitsOut(BaseModel):
    start: date = Field(description="first day of the period (unit's zone)")
    end: date = Field(description="last day of the period, included")
    parent: UnitCounts | None = Field(description="the unit asked for, with its whole subtree; empty at the top")
    rows: list[UnitCounts]


class OfficerCounts(Counts):
    police_id: str
    name: str | None = Field(description="empty when the ledger's 警号 is no user here")


class OfficersOut(BaseModel):
    start: date
    end: date
    rows: list[OfficerCounts]


class ExplorerEventPage(BaseModel):
    start: date
    end: date
    total: int
    page: int
    page_size: int
    items: list[EventRow]


class Span(BaseModel):
    start: Instant
    end: Instant
    seconds: float


class Gap(Span):
    reason: GapReason


class ChartRecording(Span):
    recording_id: int
    shift_seconds: float = Field(description="camera clock correction applied (within the tolerance), seconds")


class OfficerGaps(BaseModel):
    police_id: str
    user_id: int | None
    name: str | None
    status: Status
    covered_seconds: int
    recordings: list[ChartRecording] = Field(description="clipped to the window, as placed after the clock shift")
    covered: list[Span]
    gaps: list[Gap]


class EventGapsOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    started_at: Instant
    ended_at: Instant | None
    location: str | None
    window_start: Instant
    window_end: Instant
    window_seconds: int
    deadline_at: Instant
    status: Status
    covered_seconds: int = Field(description="seconds of the window any officer's footage covers")
    ratio: float
    tolerance_seconds: int
    stored_status: Status | None = Field(description="event_coverage as last computed")
    stored_covered_seconds: int | None
    covered: list[Span]
    gaps: list[Span]
    officers: list[OfficerGaps]
