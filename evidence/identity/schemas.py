"""HTTP shapes of identity: login, units, users, passwords and docking stations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evidence.types import Bytes, Count


class LoginIn(BaseModel):
    police_id: str = Field(max_length=32)
    password: str = Field(max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UnitIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200)
    level: str = Field("unit", max_length=32, description="detachment (支队), brigade (大队), squadron (中队)…")
    parent_code: str | None = None


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


class UserIn(BaseModel):
    police_id: str
    name: str = Field(min_length=1, max_length=200)
    role: str
    password: str = Field(min_length=8, max_length=256)
    unit_code: str | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    police_id: str
    name: str
    role: str
    unit_id: int | None
    active: bool
    failed_logins: int = Field(0, description="Failed logins in the current throttle window (admins only).")
    login_blocked_until: datetime | None = Field(None, description="Login refused (429) until then: a growing delay or a lock.")
    locked_until: datetime | None = Field(None, description="Set while the account is locked after too many failed logins.")


class UserChangeIn(BaseModel):
    """Only the fields sent are changed; unit_code null (sent) takes the user out of any unit."""

    role: Literal["officer", "case_handler", "supervisor", "admin", "auditor"] | None = None
    unit_code: str | None = Field(None, max_length=64)


class PasswordIn(BaseModel):
    password: str = Field(min_length=8, max_length=256)


class LoginLockOut(BaseModel):
    """An account (police ID as typed, lower case) or client address that must wait or is locked."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    scope: str
    key: str
    failures: int
    last_failure_at: datetime
    next_attempt_at: datetime | None
    locked_until: datetime | None


class StationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    unit_code: str | None = None


class StationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    unit_id: int | None
    key_id: str
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    heartbeat_at: datetime | None = None
    agent_version: str | None = None
    spool_used_bytes: int | None = None
    spool_free_bytes: int | None = None
    queue_length: int | None = None
    last_error: str | None = None
    health: Literal["ok", "silent", "never_seen", "revoked"] | None = Field(
        None, description="ok; silent: no contact for longer than station_silent_minutes (失联); never_seen; revoked")


class HeartbeatIn(BaseModel):
    version: str = Field(max_length=64)
    spool_used_bytes: Bytes
    spool_free_bytes: Bytes
    queue_length: Count
    last_error: str | None = Field(None, max_length=2000)


class StationCreated(StationOut):
    api_key: str = Field(description="Shown once. Put it in the dock agent's configuration.")
