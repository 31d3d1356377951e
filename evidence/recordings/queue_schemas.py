"""HTTP shapes of the processing queue an admin watches."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evidence.types import Instant


class QueueItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    original_filename: str
    device_serial: str | None
    declared_police_id: str | None
    media_kind: str
    size_bytes: int
    started_at: Instant | None
    created_at: Instant
    processing_state: Literal["failed", "unplayable"]
    processing_reason: str | None = Field(description="why it is unplayable, in plain words")
    processing_error: str | None = Field(description="what broke, for a failed run")
    processing_attempts: int


class QueueCounts(BaseModel):
    queued: int
    processing: int
    failed: int
    unplayable: int


class QueuePage(BaseModel):
    counts: QueueCounts = Field(description="verified recordings per state that is not yet ready")
    items: list[QueueItemOut]
    total: int
    page: int
    page_size: int
