"""Devices: body cameras and who carried them when."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from evidence.db import Base, UTCDateTime
from evidence.timeutil import utcnow

SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a camera serial, wherever one is accepted


class Device(Base):
    """A body camera (执法记录仪), known by its serial."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by an admin for a camera whose clock was wrong: device time minus true time, in seconds.
    clock_offset_seconds: Mapped[int | None] = mapped_column(Integer)
    clock_offset_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceAssignment(Base):
    """Who carried a camera when: [assigned_from, assigned_to), open-ended when to is null."""

    __tablename__ = "device_assignments"
    __table_args__ = (Index("ix_assignment_device_from", "device_id", "assigned_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_from: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
