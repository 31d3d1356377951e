"""HTTP shapes of explanations (an officer's reason for missing or partial footage) and decisions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evidence.types import Instant

Reason = Literal["device_fault", "battery_flat", "not_worn", "other"]
State = Literal["submitted", "accepted", "rejected"]


class ExplanationIn(BaseModel):
    reason: Reason = Field(description="device_fault 设备故障, battery_flat 电量耗尽, not_worn 未佩戴, other 其他")
    text: str | None = Field(None, max_length=500, description="what happened; required for 'other'")


class DecisionIn(BaseModel):
    accept: bool = Field(description="true accepts, false rejects (the officer may then explain again)")
    comment: str | None = Field(None, max_length=500)


class ExplanationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int = Field(description="the event's id (not the ledger number)")
    police_id: str
    reason: Reason
    text: str | None
    state: State
    submitted_at: Instant
    decided_by: str | None = Field(description="警号 of who decided")
    decided_at: Instant | None
    comment: str | None
