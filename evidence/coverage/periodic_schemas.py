"""HTTP shapes of 日清 (daily list), 周评 (weekly ranking) and 月结 (monthly summary)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from evidence.coverage.explanation_schemas import ExplanationOut
from evidence.types import Instant


class Period(BaseModel):
    start: Instant = Field(description="the period's first instant (unit's zone, as UTC)")
    end: Instant = Field(description="the instant after the period")
    unit: str | None = Field(description="the reader's unit as titles print it; None: all units")


class DailyItem(BaseModel):
    id: int = Field(description="the event's id")
    event_id: str = Field(description="the ledger's event number")
    event_type: str
    police_id: str
    officer_name: str | None
    started_at: Instant
    ended_at: Instant | None
    location: str | None
    status: str = Field(description="this officer's share: missing or partial")
    covered_seconds: int
    window_seconds: int
    late_upload: bool
    explanation: ExplanationOut | None = Field(description="the officer's latest explanation")


class DailyOut(Period):
    day: date
    events: int = Field(description="all the day's events in reach")
    items: list[DailyItem]


class Counts(BaseModel):
    events: int
    covered: int
    partial: int
    missing: int
    pending: int
    late_uploads: int
    rate: float | None = Field(description="coverage rate: covered ÷ events no longer pending")


class RankRow(Counts):
    rank: int
    key: str = Field(description="unit code or 警号")
    name: str | None
    trend: list[float | None] = Field(description="the rate of each week, oldest first, this week last")


class WeeklyOut(Period):
    week_start: date
    weeks: list[date] = Field(description="Mondays of the 4 weeks before and this week")
    units: list[RankRow]
    officers: list[RankRow]


class MonthTotals(Counts):
    on_time_imports: int
    imports: int = Field(description="recordings started in the month whose arrival is known")
    on_time_rate: float | None
    camera_hours: float = Field(description="hours of video and audio started in the month")


class MonthRow(MonthTotals):
    key: str
    name: str | None


class MonthlyOut(Period):
    month: str
    units: list[MonthRow]
    officers: list[MonthRow]
    total: MonthTotals
