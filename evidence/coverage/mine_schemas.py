"""HTTP shapes of an officer's own events (My work)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


Status = Literal["covered", "partial", "missing", "pending"]


class MyEventOut(BaseModel):
    id: int
    event_id: str = Field(description="the ledger's event number")
    event_type: str
    police_ids: str = Field(description="the officers as the ledger named them, ';'-joined")
    started_at: datetime
    ended_at: datetime | None
    location: str | None
    case_no: str | None
    roadside: bool
    status: Status = Field(description="the event's coverage, all its officers together")
    window_start: datetime = Field(description="start of the span that should be recorded")
    window_end: datetime
    window_seconds: int
    covered_seconds: int
    recording_ids: list[int] = Field(description="recordings that cover the event")
    late_upload: bool
    my_status: Status | None = Field(description="the caller's own share of the event (None: not computed yet)")
    my_covered_seconds: int | None
    my_recording_ids: list[int] | None = Field(description="the caller's own recordings that cover the event")


class MyEventsOut(BaseModel):
    items: list[MyEventOut]
    counts: dict[str, int] = Field(description="all the caller's events per status (the caller's own share)")
