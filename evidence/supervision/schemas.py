"""HTTP shape of the supervisor home page (GET /api/v1/supervision/overview)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from evidence.types import Count, Instant

Period = Literal["day", "week", "month"]


class UnitBrief(BaseModel):
    id: int
    code: str
    name: str


class UnitChoice(UnitBrief):
    parent_id: int | None


class Counts(BaseModel):
    events: Count
    covered: Count
    partial: Count
    missing: Count
    pending: Count
    late_uploads: Count
    activation_rate: float | None = Field(description="covered ÷ events no longer pending, as in /coverage/summary")


class TypeCounts(Counts):
    event_type: str = Field(description="ledger event type code (ticket, check, accident …)")


class OnTimeOut(BaseModel):
    on_time: Count = Field(description="verified recordings docked within `hours` of their end")
    total: Count = Field(description="verified recordings started in the period whose dock time is known")
    rate: float | None = Field(description="on_time ÷ total; empty when there is none")
    hours: int = Field(description="the on-time rule: docked within this many hours of the recording's end")


class TodoOut(BaseModel):
    missing_or_partial: Count = Field(description="events of the period with no or only partial footage")
    late_uploads: Count = Field(description="events whose footage reached the server after the deadline")
    unlinked_recordings: Count = Field(description="recordings started in the period, linked to no event and on no case")
    accident_cases_without_recording: Count = Field(description="accident cases none of whose events has footage")
    access_requests_to_decide: Count | None = Field(
        description="access requests waiting that the caller may decide (any date); empty for auditors")


class OverviewOut(BaseModel):
    period: Period
    start: date = Field(description="first day of the period, in the unit's time zone")
    end: date = Field(description="last day of the period (inclusive)")
    from_: Instant = Field(alias="from", description="the period's start as an instant")
    to: Instant = Field(description="the period's end (exclusive)")
    timezone: str
    unit: UnitBrief | None = Field(description="the unit read, with the units under it; empty: every unit")
    units: list[UnitChoice] = Field(description="units the caller may pick")
    types: list[TypeCounts] = Field(description="the enforcement types, always in the same order, then any other type")
    totals: Counts
    on_time: OnTimeOut
    recordings: Count = Field(description="verified recordings started in the period")
    recorded_seconds: float = Field(description="sum of their durations (camera hours × 3600)")
    todo: TodoOut
