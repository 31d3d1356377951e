"""HTTP shapes of cases, attachments, legal holds, retention, access requests and signing keys."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evidence.types import INT32_MAX, Id, Instant, InstantText

# -- requests ------------------------------------------------------------------------------------


class CaseIn(BaseModel):
    case_no: str = Field(min_length=1, max_length=64)
    case_type: str
    title: str = Field("", max_length=300)
    unit_code: str | None = None
    handlers: list[str] = Field(default_factory=list, description="警号 of the case handlers")


class FromLedgerIn(BaseModel):
    case_no: str = Field(min_length=1, max_length=64)


class StageIn(BaseModel):
    stage: str
    note: str | None = Field(None, max_length=2000)


class AttachIn(BaseModel):
    recording_id: Id
    mark_in: float | None = None
    mark_out: float | None = None
    mark_in_frame: int | None = Field(None, ge=0, le=INT32_MAX,
                                      description="Frame shown at mark_in; computed from the frame rate when absent")
    mark_out_frame: int | None = Field(None, ge=0, le=INT32_MAX, description="Frame shown at mark_out; computed when absent")
    note: str | None = Field(None, max_length=2000)


class MarksIn(BaseModel):
    mark_in: float | None = None
    mark_out: float | None = None
    mark_in_frame: int | None = Field(None, ge=0, le=INT32_MAX)
    mark_out_frame: int | None = Field(None, ge=0, le=INT32_MAX)
    note: str | None = Field(None, max_length=2000)


class DecisionIn(BaseModel):
    accept: bool


class HoldIn(BaseModel):
    hold: bool
    reason: str | None = Field(None, max_length=2000)


class FlagsIn(BaseModel):
    flags: list[str]


class AccessIn(BaseModel):
    recording_id: Id | None = None
    case_id: Id | None = None
    reason: str = Field(max_length=2000)


class GrantIn(BaseModel):
    approve: bool
    expires_in_seconds: int = Field(24 * 3600, description="how long the grant lasts (1 s – 30 days)")


class SweepIn(BaseModel):
    dry_run: bool = True


# -- answers -------------------------------------------------------------------------------------


class AttachmentOut(BaseModel):
    attachment_id: int
    recording_id: int
    mark_in: float | None = Field(description="seconds from the recording's start")
    mark_out: float | None
    mark_in_frame: int | None = Field(None, description="the frame shown at mark_in (from the frame rate)")
    mark_out_frame: int | None = None
    note: str | None
    attached_by: str | None
    attached_at: Instant
    detached_at: Instant | None = Field(description="set once detached: the attachment stays, stamped")
    detached_by: str | None


class StageChangeOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str | None = Field(alias="from", description="empty for the stage a case was created in")
    to: str
    at: Instant
    by: str | None
    note: str | None


class CaseBrief(BaseModel):
    id: int
    case_no: str
    case_type: str
    title: str
    stage: str
    legal_hold: bool


class CaseOut(CaseBrief):
    unit_id: int | None
    hold_reason: str | None
    created_at: Instant
    created_by: str | None
    recordings: list[AttachmentOut] = Field(description="attachments, detached ones included")
    stage_history: list[StageChangeOut]
    suggestions: list[int] = Field(description="ids of recordings linked to the case's events, not yet decided "
                                               "(empty for those who may only read the case)")


class AttachmentRef(BaseModel):
    attachment_id: int


class MarksOut(AttachmentRef):
    mark_in: float | None
    mark_out: float | None
    mark_in_frame: int | None
    mark_out_frame: int | None
    note: str | None


class DetachedOut(BaseModel):
    attachment_id: int
    detached_at: Instant


class SuggestionOut(BaseModel):
    accepted: bool
    attachment_id: int | None = Field(description="the new attachment when accepted")


class CaseHoldOut(BaseModel):
    case_id: int
    legal_hold: bool


class FlagsOut(BaseModel):
    recording_id: int
    flags: str | None = Field(description="comma-separated: obstruction, major_incident")
    retention_class: str
    retain_until: Instant | None = Field(description="empty: kept permanently")


class RecordingHoldOut(BaseModel):
    recording_id: int
    legal_hold: bool


class AccessRequestOut(BaseModel):
    id: int
    requester_id: int
    recording_id: int | None
    case_id: int | None
    reason: str
    status: Literal["pending", "approved", "rejected"]
    decided_by: str | None
    decided_at: Instant | None
    expires_at: Instant | None
    created_at: Instant
    requester_police_id: str | None = Field(None, description="警号 of the requester, for the approver")
    requester_name: str | None = Field(None, description="name of the requester")


class AccessRequestsOut(BaseModel):
    mine: list[AccessRequestOut]
    to_decide: list[AccessRequestOut] = Field(description="pending requests this supervisor or admin may decide")


class SweepItem(BaseModel):
    id: int
    sha256: str
    retain_until: InstantText
    size_bytes: int


class KeptItem(SweepItem):
    reason: str = Field(description="why the original could not be deleted (object lock, outage)")


class SweepReport(BaseModel):
    dry_run: bool
    candidates: list[SweepItem]
    deleted: list[SweepItem]
    kept: list[KeptItem]


class RetentionRunOut(BaseModel):
    id: int
    started_at: Instant
    dry_run: bool
    report: SweepReport


class SigningKeyOut(BaseModel):
    fingerprint: str
    algorithm: str
    public_key_pem: str
    valid_from: InstantText
    valid_to: InstantText | None
    status: Literal["current", "retired"]


class SigningKeysOut(BaseModel):
    algorithm: str
    current: str | None = Field(description="fingerprint of the key that signs now")
    fingerprint: str = Field(description="how a fingerprint is computed")
    keys: list[SigningKeyOut]
