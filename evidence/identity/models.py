"""Identity: the unit tree, users (officers, handlers, supervisors, admins, auditors), docking
stations and the failed-login counters."""

from __future__ import annotations

import enum
import re
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.db import Base, UTCDateTime
from evidence.timeutil import utcnow

POLICE_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")  # 警号, wherever one is accepted


class Role(str, enum.Enum):
    officer = "officer"
    case_handler = "case_handler"
    supervisor = "supervisor"
    admin = "admin"
    auditor = "auditor"


class Unit(Base):
    """A node of the unit tree: 支队 (detachment) → 大队 (brigade) → 中队 (squadron)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(32), default="unit")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    police_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when an admin resets the password or disables the account: older tokens stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unit: Mapped[Unit | None] = relationship()


class LoginThrottle(Base):
    """Failed logins of one account (police ID as typed) or one client address, in the database
    so every API process sees the same count; see evidence/identity/login_throttle.py."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_login_throttle_scope_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # account, address
    key: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Station(Base):
    """A docking station (dock PC). It authenticates with an API key stored only as a hash."""

    __tablename__ = "stations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last heartbeat from the dock agent: what an admin needs to see a dock in trouble.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agent_version: Mapped[str | None] = mapped_column(String(64))
    spool_used_bytes: Mapped[int | None] = mapped_column(BigInteger)
    spool_free_bytes: Mapped[int | None] = mapped_column(BigInteger)
    queue_length: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
