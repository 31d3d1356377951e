"""HTTP shapes of the case pages: the case list by stage and one case's workspace."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from evidence.cases.schemas import CaseBrief


class CaseRow(CaseBrief):
    created_at: datetime
    created_by: str | None
    unit_name: str | None
    recordings: int = Field(description="recordings attached now (detached ones not counted)")


class CaseListOut(BaseModel):
    items: list[CaseRow]
    total: int = Field(description="cases in the chosen stage (all stages when none is chosen)")
    page: int
    page_size: int
    counts: dict[str, int] = Field(description="cases the caller may read, per stage (every stage listed)")


class Person(BaseModel):
    police_id: str
    name: str


class StageStep(BaseModel):
    from_stage: str | None
    to_stage: str
    at: datetime
    by: str | None
    by_name: str | None
    note: str | None


class RecordingBrief(BaseModel):
    id: int
    original_filename: str
    media_kind: str
    officer_police_id: str | None
    officer_name: str | None
    device_serial: str | None
    started_at: datetime | None
    duration_seconds: float | None
    frame_rate: float | None
    size_bytes: int
    sha256: str
    processing_state: str
    legal_hold: bool


class ClipOut(BaseModel):
    attachment_id: int
    recording_id: int
    mark_in: float | None
    mark_out: float | None
    mark_in_frame: int | None = Field(
        description="the frame the in-mark falls on (0-based), when the frame rate is known")
    mark_out_frame: int | None
    note: str | None
    attached_by: str | None
    attached_by_name: str | None
    attached_at: datetime
    detached_at: datetime | None = Field(description="set when detached: the attachment stays, stamped")
    detached_by: str | None
    detached_by_name: str | None
    recording: RecordingBrief | None = Field(description="empty when the recording is outside the reader's reach")


class EventBrief(BaseModel):
    event_id: str
    event_type: str
    started_at: datetime


class WorkspaceSuggestionOut(BaseModel):
    recording_id: int
    recording: RecordingBrief | None
    events: list[EventBrief] = Field(description="the case's ledger events the recording is linked to")


class WorkspaceOut(BaseModel):
    id: int
    case_no: str
    case_type: str
    title: str
    unit_id: int | None
    unit_name: str | None
    stage: str
    legal_hold: bool
    hold_reason: str | None
    created_at: datetime
    created_by: str | None
    created_by_name: str | None
    handlers: list[Person]
    stage_history: list[StageStep]
    next_stages: list[str] = Field(description="stages the caller may move the case to now")
    may_work: bool
    may_hold: bool
    may_export: bool
    clips: list[ClipOut] = Field(description="every attachment, detached ones included (stamped)")
    suggestions: list[WorkspaceSuggestionOut]
    export_expected_bytes: int | None = Field(
        description="about how many bytes GET /cases/{id}/export will send (for a progress bar); "
                    "empty when nothing is attached")
