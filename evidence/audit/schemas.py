"""HTTP shapes of the audit log, its reports and the service's health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from evidence.types import Instant


class ChainOut(BaseModel):
    ok: bool
    entries: int
    first_bad_id: int | None
    reason: str | None
    anchored_entry: int | None = None  # the newest signed checkpoint the log still matches
    unanchored_entries: int | None = None  # entries after it
    checkpoint_problems: list[str] = []  # cut-off end, rewritten tail, forged checkpoint
    checkpoints: int = Field(0, description="signed checkpoints found in the object-locked store")
    anchored_signed_at: Instant | None = Field(None, description="when the newest matching checkpoint was signed")
    anchored_key_id: str | None = Field(None, description="fingerprint of the key that signed it")

class AuditEntryOut(BaseModel):
    id: int
    at: Instant
    actor_type: str = Field(description="user, station or system")
    actor: str | None = Field(description="the actor's label: 警号, station name, task")
    action: str
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any] = Field(description="what the action recorded about itself")
    ip: str | None


class AccessByUser(BaseModel):
    """One user's accesses: per action (recording.read, recording.download, case.export …), the
    objects it touched as "type:id", sorted."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, list[str]] = Field(init=False)
    user: str | None = Field(description="the user's label (警号)")


class OutsideUnitView(BaseModel):
    at: Instant
    user: str = Field(description="警号 of the viewer")
    user_unit_id: int | None
    user_unit_code: str | None = Field(None, description="code of the viewer's unit")
    action: str
    recording_id: int
    recording_unit_id: int | None
    recording_unit_code: str | None = Field(None, description="code of the unit that owns the recording")
    entry_id: int = Field(description="the audit entry that records the access")


class PartHealth(BaseModel):
    ok: bool
    error: str | None = Field(None, description="present when the check failed")


class DatabaseHealth(PartHealth):
    backend: str | None = Field(None, description="sqlite or postgresql")


class BrokerHealth(PartHealth):
    transport: str | None = Field(None, description="the Celery broker's transport")


class StorageHealth(PartHealth):
    object_lock: bool | None = Field(None, description="whether the object store enforces object lock")


class HealthOut(BaseModel):
    """Keys a check did not reach are left out (no `error` on a passing check, no detail on a failed one)."""

    status: Literal["ok", "degraded"]
    database: DatabaseHealth
    broker: BrokerHealth
    storage: StorageHealth
