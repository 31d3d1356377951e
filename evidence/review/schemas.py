"""HTTP shapes of review sampling: draws, their items, verdicts and watched ranges."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from evidence.review.watched import MAX_RANGES
from evidence.types import Id, Instant

# The issue tags a reviewer may give, in the one place they are listed.
ISSUE_TAGS = ("not_whole_process", "view_blocked", "not_announced", "improper_language", "other")
IssueTag = Literal["not_whole_process", "view_blocked", "not_announced", "improper_language", "other"]
Verdict = Literal["compliant", "non_compliant"]


class DrawIn(BaseModel):
    unit_id: Id | None = Field(None, description="the unit whose subtree is sampled; default the caller's unit")
    date_from: date = Field(description="first day (unit's zone)")
    date_to: date = Field(description="last day, included")
    per_officer: int = Field(ge=1, le=50, description="recordings drawn per officer")
    seed: int | None = Field(None, ge=0, le=2**53 - 1, description="the same seed over the same data draws the "
                                                                     "same sample; empty: a new random seed")


class WatchedRange(BaseModel):
    start: float = Field(ge=0, le=10**7, description="seconds from the recording's start")
    end: float = Field(ge=0, le=10**7)
    rate: float = Field(gt=0, le=16, description="playback speed")


class WatchedIn(BaseModel):
    ranges: list[WatchedRange] = Field(max_length=MAX_RANGES)


class VerdictIn(BaseModel):
    verdict: Verdict
    tags: list[IssueTag] = Field(default_factory=list, max_length=len(ISSUE_TAGS))
    points: float = Field(0, ge=0, le=100, description="points deducted")
    comment: str | None = Field(None, max_length=2000)
    ranges: list[WatchedRange] = Field(default_factory=list, max_length=MAX_RANGES,
                                       description="what the player saw since the last send")


class VerdictOut(BaseModel):
    verdict: Verdict
    tags: list[IssueTag]
    points: float
    comment: str | None
    watched_seconds: float = Field(description="seconds watched when the verdict was given")
    reviewer: str
    decided_at: Instant


class ItemOut(BaseModel):
    id: int
    draw_id: int
    position: int
    recording_id: int
    original_filename: str
    started_at: Instant | None
    duration_seconds: float | None
    officer_police_id: str | None
    officer_name: str | None
    watched_seconds: float = Field(description="seconds of the recording seen in the review player so far")
    verdict: VerdictOut | None


class ItemDetailOut(ItemOut):
    ranges: list[WatchedRange] = Field(description="the ranges seen so far, merged")
    issue_tags: list[IssueTag] = Field(description="the tags a verdict may carry")


class DrawOut(BaseModel):
    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    date_from: date
    date_to: date
    per_officer: int
    seed: int
    candidates: int
    drawn_by: str
    drawn_at: Instant
    items: int
    reviewed: int
    compliant: int


class DrawDetailOut(DrawOut):
    entries: list[ItemOut]
