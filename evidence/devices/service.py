"""Cameras and who carried them when (device assignments, importable from CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.devices.models import SERIAL, Device, DeviceAssignment
from evidence.errors import Conflict, Invalid, NotFound
from evidence.identity.models import User
from evidence.identity.service import unit_by_code
from evidence.recordings.models import Recording
from evidence.timeutil import to_utc

ASSIGNMENT_COLUMNS = ("device_id", "police_id", "assigned_from", "assigned_to")


def create_device(session: Session, actor: audit.Actor, serial: str, model: str | None = None,
                  unit_code: str | None = None) -> Device:
    if not SERIAL.match(serial):
        raise Invalid("device serial must be 1-64 letters, digits, '.', '_' or '-'")
    if session.scalar(select(Device).where(Device.serial == serial)):
        raise Conflict(f"device {serial} already exists")
    unit_id = unit_by_code(session, unit_code).id if unit_code else None
    device = Device(serial=serial, model=model, unit_id=unit_id)
    session.add(device)
    session.flush()
    audit.record(session, actor, "device.create", "device", device.id, serial=serial, model=model)
    return device


def by_serial(session: Session, serial: str) -> Device:
    device = session.scalar(select(Device).where(Device.serial == serial))
    if device is None:
        raise NotFound(f"camera {serial} not found")
    return device


def officer_at(session: Session, device_id: int, when: datetime) -> User | None:
    """The officer assigned to the device at that instant, if any assignment covers it."""
    return session.scalar(
        select(User)
        .join(DeviceAssignment, DeviceAssignment.user_id == User.id)
        .where(DeviceAssignment.device_id == device_id, DeviceAssignment.assigned_from <= when,
               or_(DeviceAssignment.assigned_to.is_(None), DeviceAssignment.assigned_to > when))
        .order_by(DeviceAssignment.assigned_from.desc())
        .limit(1)
    )


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)
    # (device id, from, to or None): periods whose recordings may now belong to another officer
    changed: list[tuple[int, datetime, datetime | None]] = field(default_factory=list)


def _parse_time(value: str, tz: str) -> datetime:
    try:
        return to_utc(datetime.fromisoformat(value.strip()), tz)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time") from None


def import_assignments_csv(session: Session, actor: audit.Actor, text: str) -> ImportReport:
    """Import `device_id,police_id,assigned_from,assigned_to` rows.

    Each row is its own savepoint: a bad row is reported with its line number and leaves
    nothing behind, good rows import. Unknown cameras are created in the officer's unit.
    Importing the same (device, officer, from) again updates its end. The report lists the
    periods that changed; evidence.flows.import_assignments_csv re-attributes them.
    """
    tz = get_settings().timezone
    report = ImportReport()
    changed: list[tuple[int, datetime, datetime | None]] = []
    if "\x00" in text:  # PostgreSQL text cannot hold NUL; Excel's "Unicode text" is full of them
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise Invalid(f"the CSV file has a NUL byte at line {line}: it is not CSV text; "
                      "save it as CSV (UTF-8) and import it again")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _import_rows(session, actor, reader, tz, report, changed)
    except csv.Error as exc:  # e.g. a bare carriage return inside an unquoted cell
        raise Invalid(f"the CSV file could not be read at line {reader.line_num}: {exc}; "
                      "save it again as CSV (UTF-8) and import it again") from None


def _import_rows(session: Session, actor: audit.Actor, reader: csv.DictReader, tz: str, report: ImportReport,
                 changed: list) -> ImportReport:
    missing = [c for c in ASSIGNMENT_COLUMNS[:3] if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(f"CSV header must contain {','.join(ASSIGNMENT_COLUMNS)}; missing {', '.join(missing)}")
    for row in reader:
        line = reader.line_num
        try:
            with session.begin_nested():
                serial = (row.get("device_id") or "").strip()
                police_id = (row.get("police_id") or "").strip()
                if not SERIAL.match(serial):
                    raise ValueError(f"device_id {serial!r} is not a valid camera serial")
                user = session.scalar(select(User).where(User.police_id == police_id))
                if user is None:
                    raise ValueError(f"no user with police_id {police_id!r}")
                start = _parse_time(row.get("assigned_from") or "", tz)
                end_text = (row.get("assigned_to") or "").strip()
                end = _parse_time(end_text, tz) if end_text else None
                if end is not None and end <= start:
                    raise ValueError("assigned_to must be after assigned_from")
                device = session.scalar(select(Device).where(Device.serial == serial))
                if device is None:
                    device = Device(serial=serial, unit_id=user.unit_id)
                    session.add(device)
                    session.flush()
                existing = session.scalar(select(DeviceAssignment).where(
                    DeviceAssignment.device_id == device.id, DeviceAssignment.user_id == user.id,
                    DeviceAssignment.assigned_from == start))
                if existing:
                    changed.append((device.id, start, None))  # its end moved: everything after start
                    existing.assigned_to = end
                    report.updated += 1
                else:
                    session.add(DeviceAssignment(device_id=device.id, user_id=user.id,
                                                 assigned_from=start, assigned_to=end))
                    changed.append((device.id, start, end))
                    report.imported += 1
        except ValueError as exc:
            report.errors.append({"line": line, "reason": str(exc)})
    audit.record(session, actor, "device_assignment.import", "device_assignment", None,
                 imported=report.imported, updated=report.updated, errors=len(report.errors))
    # Recordings in the changed periods may now belong to another officer: the caller
    # (evidence.flows.import_assignments_csv) attributes them again and refreshes coverage.
    report.changed = changed
    return report


def officer_for(session: Session, device_id: int | None, when: datetime | None,
                declared_police_id: str | None) -> tuple[User | None, str]:
    """The attribution rule, the only copy: who a recording belongs to, and why.

    The officer the camera's assignment names at the recording's (true-clock) start, else the
    officer whose 警号 the file name declared, else nobody. The second value is the source:
    "assignment", "filename" or "none"."""
    if device_id is not None and when is not None:
        officer = officer_at(session, device_id, when)
        if officer is not None:
            return officer, "assignment"
    if declared_police_id:
        officer = session.scalar(select(User).where(User.police_id == declared_police_id))
        if officer is not None:
            return officer, "filename"
    return None, "none"


def attribute(session: Session, rec: Recording) -> int | None:
    """Give the recording the officer the rule names (and that officer's unit, when they have one).
    Used at upload, after an assignment changes and after a clock correction. Returns the officer
    it had before."""
    before = rec.officer_id
    officer, rec.officer_source = officer_for(session, rec.device_id, rec.started_at_corrected, rec.declared_police_id)
    rec.officer_id = officer.id if officer else None
    if officer is not None and officer.unit_id is not None:
        rec.unit_id = officer.unit_id
    return before


def reattribute(session: Session, device_id: int, lo: datetime, hi: datetime | None) -> tuple[list[int], set[int]]:
    """An assignment changed: recordings of that camera in [lo, hi) take the officer the rule
    (attribute) now names.

    Returns the ids of the recordings whose officer changed and the officers they had before
    (evidence.flows.reattribute_device then recomputes the coverage around them)."""
    query = select(Recording).where(Recording.device_id == device_id, Recording.started_at >= lo)
    if hi is not None:
        query = query.where(Recording.started_at < hi)
    changed, before = [], set()
    for rec in session.scalars(query):
        previous = attribute(session, rec)
        if previous != rec.officer_id:
            if previous:
                before.add(previous)
            changed.append(rec.id)
    session.flush()
    return changed, before
