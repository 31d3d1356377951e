"""The case pages of the web application: the case list by stage with counts, and one case's
workspace in a single read. Changes go through the routes in api/routes/cases.py.

Who: the list — any user (each sees the cases they may read; officers only cases they handle);
the workspace — readers of the case. Both are audited like GET /api/v1/cases and /cases/{id}.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import DB, IP, AnyUser
from evidence.types import INT32_MAX, Id
from evidence.audit import service as audit
from evidence.actors import user_actor
from evidence.cases import workspace
from evidence.cases.access import can_read_case
from evidence.cases.models import STAGES, Case
from evidence.errors import Invalid, NotFound

router = APIRouter(prefix="/api/v1", tags=["cases"])


class CaseRow(BaseModel):
    id: int
    case_no: str
    case_type: str
    title: str
    stage: str
    legal_hold: bool
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


class SuggestionOut(BaseModel):
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
    suggestions: list[SuggestionOut]
    export_expected_bytes: int | None = Field(
        description="about how many bytes GET /cases/{id}/export will send (for a progress bar); "
                    "empty when nothing is attached")


@router.get("/case-list", response_model=CaseListOut,
            summary="Cases one may read, by stage, with the count in each stage (who: any user; officers see only cases they handle)")
def case_list(db: DB, user: AnyUser, ip: IP,
              stage: Annotated[str | None, Query(description="one of the stages; all when empty")] = None,
              q: Annotated[str | None, Query(max_length=100, description="part of the case number or title")] = None,
              page: Annotated[int, Query(ge=1, le=INT32_MAX)] = 1,
              page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> CaseListOut:
    if stage and stage not in STAGES:
        raise Invalid(f"stage must be one of {', '.join(STAGES)}")
    out = workspace.case_list(db, user, stage or None, q, page, page_size)
    audit.record(db, user_actor(user, ip), "case.list", "case", None, returned=[c["id"] for c in out["items"]],
                 stage=stage, q=q)
    db.commit()
    return CaseListOut.model_validate(out)


@router.get("/cases/{case_id}/workspace", response_model=WorkspaceOut,
            summary="A case as its workspace shows it: stage history, handlers, clips, suggestions, what the caller may do (who: readers of the case)")
def case_workspace(case_id: Id, db: DB, user: AnyUser, ip: IP) -> WorkspaceOut:
    case = db.get(Case, case_id)
    if case is None or not can_read_case(db, user, case):
        raise NotFound(f"case {case_id} not found")
    out = workspace.workspace(db, user, case)
    audit.record(db, user_actor(user, ip), "case.read", "case", case.id)
    db.commit()
    return WorkspaceOut.model_validate(out)
