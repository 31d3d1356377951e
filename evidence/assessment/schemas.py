"""HTTP shapes of the assessment: the weights and the monthly scores with their components."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from evidence.types import Instant

WEIGHT = Field(ge=0, le=100)


class WeightsIn(BaseModel):
    effective_from: date = Field(description="the first day of the month from which these weights count")
    coverage: float = WEIGHT
    on_time: float = WEIGHT
    event_link: float = WEIGHT
    case_link: float = WEIGHT
    review_pass: float = WEIGHT


class WeightsOut(BaseModel):
    effective_from: date | None = Field(description="None: the defaults, before any weights were saved")
    coverage: float
    on_time: float
    event_link: float
    case_link: float
    review_pass: float
    set_by: str | None = None
    set_at: Instant | None = None


class WeightsHistoryOut(BaseModel):
    current: WeightsOut = Field(description="the weights in effect for this month")
    history: list[WeightsOut] = Field(description="every saved set, newest effective date first")


class ComponentOut(BaseModel):
    rate: float | None = Field(description="done ÷ total; None when there is nothing to count")
    done: int
    total: int


class ScoreRow(BaseModel):
    key: str = Field(description="unit code, or the officer's 警号")
    name: str
    unit_code: str | None = None
    coverage: ComponentOut
    on_time: ComponentOut
    event_link: ComponentOut
    case_link: ComponentOut
    review_pass: ComponentOut
    score: float | None = Field(description="100 × Σ(weight × rate) ÷ Σ(weights of the rates that exist)")


class AssessmentOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    weights: WeightsOut = Field(description="the weights in effect for the month")
    units: list[ScoreRow]
    officers: list[ScoreRow]
