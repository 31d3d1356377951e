"""HTTP shapes of the review player's side panel: integrity, attribution, events, cases, trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from evidence.recordings.schemas import RecordingOut


class PersonOut(BaseModel):
    police_id: str
    name: str


class RecordingUnitOut(BaseModel):
    code: str
    name: str


class IntegrityOut(BaseModel):
    sha256: str
    size_bytes: int
    status: str
    verified_at: datetime | None
    object_version: str | None  # the S3 version the original is pinned to
    fixity_checked_at: datetime | None
    fixity_ok: bool | None
    proxy_kind: str | None
    proxy_method: str | None  # remux, transcode, resize
    proxy_profile: str | None  # the settings the proxy was made with, e.g. remux-h720-crf23-veryfast-a128k-v1


class LinkedEventOut(BaseModel):
    event_id: str
    event_type: str
    started_at: datetime
    ended_at: datetime | None
    location: str | None
    case_no: str | None
    link_source: str  # auto, manual
    coverage_status: str | None  # covered, partial, missing, pending
    coverage_ratio: float | None


class RecordingCaseOut(BaseModel):
    case_id: int
    case_no: str
    title: str
    stage: str
    attachment_id: int
    mark_in: float | None
    mark_out: float | None
    mark_in_frame: int | None
    mark_out_frame: int | None
    note: str | None
    attached_by: str | None
    attached_at: datetime


class TrailEntryOut(BaseModel):
    id: int
    at: datetime
    actor_id: str | None
    actor_label: str | None
    action: str
    detail: dict


class RecordingDetailOut(BaseModel):
    recording_id: int
    recording: RecordingOut  # as GET /recordings/{id} gives it: one call (and one audit write) fewer
    officer: PersonOut | None
    officer_source: str  # assignment, filename, device_info, none
    unit: RecordingUnitOut | None
    integrity: IntegrityOut
    may_view: bool  # the caller's role may watch footage
    may_download: bool  # … and fetch the original
    events: list[LinkedEventOut]
    cases: list[RecordingCaseOut]
    trail: list[TrailEntryOut] | None  # None: the caller's role does not read audit trails
