"""Steps that cross domains: each one calls the domains it joins, so the domains need not
import each other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.coverage.service import recompute_for_recordings
from evidence.devices import service as devices


def reattribute_device(session: Session, device_id: int, lo: datetime, hi: datetime | None) -> int:
    """An assignment changed: give the camera's recordings in [lo, hi) the officer the
    assignments now say, then recompute the coverage of the events around those that moved."""
    changed, before = devices.reattribute(session, device_id, lo, hi)
    return recompute_for_recordings(session, changed, before) if changed else 0


def import_assignments_csv(session: Session, actor: audit.Actor, text: str) -> devices.ImportReport:
    """Import camera assignments (devices.import_assignments_csv), then re-attribute the
    recordings in every period that changed and refresh their coverage."""
    report = devices.import_assignments_csv(session, actor, text)
    for device_id, start, end in report.changed:
        reattribute_device(session, device_id, start, end)
    return report
