"""HTTP shapes of the evidence library: a page of rows, and bulk actions on a selection."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from evidence.recordings.library import COUNT_LIMIT
from evidence.types import Id


Sort = Literal["started_at", "duration", "camera", "kind", "state", "important", "size", "officer"]
Kind = Literal["video", "audio", "photo", "other"]


class CaseRef(BaseModel):
    id: int
    case_no: str


class LibraryRow(BaseModel):
    id: int
    original_filename: str
    media_kind: str
    started_at: datetime | None
    started_at_corrected: datetime | None
    clock_implausible: bool
    duration_seconds: float | None
    device_serial: str | None
    officer_police_id: str | None = Field(description="警号: the attributed officer, else the one the camera declared")
    officer_name: str | None
    officer_source: str
    unit_id: int | None
    unit_code: str | None
    status: str
    status_reason: str | None
    processing_state: str
    processing_reason: str | None
    important: bool
    legal_hold: bool
    flags: list[str]
    retention_class: str
    event_ids: list[str] = Field(description="Ledger event ids the recording is linked to")
    cases: list[CaseRef] = Field(description="Cases it is attached to")
    poster_url: str | None = Field(description="Short-lived URL of the poster frame (roles that may view footage)")
    size_bytes: int


class LibraryOut(BaseModel):
    items: list[LibraryRow]
    total: int | None = Field(description=f"Matching recordings, counted up to {COUNT_LIMIT}; "
                                          "null when with_total=false asked not to count")
    total_exact: bool = Field(description=f"False when more than {COUNT_LIMIT} match")
    page: int
    page_size: int


class BulkIn(BaseModel):
    action: Literal["important", "hold", "attach"]
    recording_ids: list[Id] = Field(min_length=1, max_length=500)
    on: bool = Field(True, description="important / hold: set (true) or clear (false)")
    case_id: Id | None = Field(None, description="attach: the case")
    reason: str | None = Field(None, max_length=2000)
    note: str | None = Field(None, max_length=2000, description="attach: the note on each attachment")


class BulkResult(BaseModel):
    recording_id: int
    ok: bool
    error: str | None


class BulkOut(BaseModel):
    results: list[BulkResult]
    changed: int
