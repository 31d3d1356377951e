"""HTTP shapes of the enforcement ledger, coverage reports, stored summaries and event links."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from evidence.coverage.ledger_import import MAX_ERRORS_LISTED, MAX_PREVIEW_ROWS
from evidence.types import Id, Instant, InstantText

Status = Literal["covered", "partial", "missing", "pending"]
GroupBy = Literal["unit", "officer", "type", "day", "week", "month"]


class LedgerLineError(BaseModel):
    line: int = Field(description="line in the file (the header is line 1); XLSX: sheet row")
    reason: str


class LedgerPreviewRow(BaseModel):
    line: int
    event_id: str
    event_type: str
    police_ids: list[str]
    started_at: Instant
    ended_at: Instant | None
    location: str | None
    case_no: str | None
    roadside: bool
    action: Literal["create", "update"] = Field(description="what the import would do with this row")


class LedgerImportOut(BaseModel):
    created: int = Field(description="events created (a preview: that the import would create)")
    updated: int = Field(description="events updated (a preview: that the import would update)")
    errors: list[LedgerLineError] = Field(description=f"the first {MAX_ERRORS_LISTED} bad rows: line and reason")
    error_count: int = Field(description="all bad rows, listed or not")
    dry_run: bool = Field(False, description="a preview: nothing was written")
    rows: list[LedgerPreviewRow] = Field([], description=f"preview only: the first {MAX_PREVIEW_ROWS} good rows")


class LinkIn(BaseModel):
    recording_id: Id


class OfficerCoverageOut(BaseModel):
    police_id: str
    status: Status
    covered_seconds: int
    ratio: float
    recording_ids: list[int]


class EventRow(BaseModel):
    id: int
    event_id: str = Field(description="the ledger's event number")
    event_type: str
    police_ids: str = Field(description="警号 as imported, ';'-joined")
    started_at: Instant
    ended_at: Instant | None
    location: str | None
    case_no: str | None
    roadside: bool
    unit_id: int | None
    status: Status
    window_start: Instant
    window_end: Instant
    window_seconds: int
    covered_seconds: int
    ratio: float
    late_upload: bool
    deadline_at: Instant
    recording_ids: list[int]
    officers: list[OfficerCoverageOut]
    clock_unplaced: list[int] = Field(description="recordings with an implausible clock that may belong here")


class EventPage(BaseModel):
    items: list[EventRow]
    page: int
    page_size: int


class EventList(BaseModel):
    """One page of a flagged list, with how many there are in all."""

    items: list[EventRow]
    total: int = Field(description="how many the whole list holds")
    limit: int
    offset: int


class SummaryRow(BaseModel):
    group: str = Field(description="unit code, 警号, event type, or the period (2026-11-28, 2026-W48, 2026-11)")
    events: int
    covered: int
    partial: int
    missing: int
    pending: int
    late_uploads: int
    activation_rate: float | None = Field(description="covered ÷ events no longer pending; empty when none is")


class SummaryOut(BaseModel):
    group_by: GroupBy
    rows: list[SummaryRow]


class AccidentCaseOut(BaseModel):
    case_no: str
    events: list[str] = Field(description="event numbers of the case")
    statuses: list[Status]


class AccidentCasesOut(BaseModel):
    """One page of cases, by case number, with how many there are in all."""

    items: list[AccidentCaseOut]
    total: int = Field(description="how many cases the whole list holds")
    limit: int
    offset: int


class StoredSummaryBrief(BaseModel):
    id: int
    period: Literal["day", "week", "month"]
    period_start: date
    generated_at: Instant


class StoredSummaryData(BaseModel):
    """A stored summary, as far as the reader may see it: the whole detachment for admins and
    auditors, the reader's unit and the units below it for everyone else."""

    period: Literal["day", "week", "month"]
    start: date
    from_: InstantText = Field(alias="from")
    to: InstantText
    by_unit: list[SummaryRow]
    by_type: list[SummaryRow]
    by_officer: list[SummaryRow]
    roadside_missing: list[str] = Field(description="event numbers")
    accident_cases_without_recording: list[AccidentCaseOut]


class StoredSummaryOut(StoredSummaryBrief):
    data: StoredSummaryData


class LinkCreated(BaseModel):
    link_id: int


class LinkRemoved(BaseModel):
    link_id: int
    removed_at: Instant


class LinkOut(BaseModel):
    link_id: int
    recording_id: int
    source: Literal["auto", "manual"]
    created_at: Instant
    created_by: str | None
    removed_at: Instant | None
    removed_by: str | None
