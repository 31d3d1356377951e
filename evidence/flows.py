"""Steps that cross domains: each one calls the domains it joins, so the domains need not
import each other.

- an assignment changed (one row or a CSV import): attribute the camera's recordings again, then
  recompute the coverage of the events around those that moved;
- a camera's clock offset is stated: correct its flagged recordings, attribute them at their true
  time, recompute the coverage they leave and the coverage they reach;
- a recording's time span became known (probed): recompute the coverage of its officer's events
  around it (cases see it then as a suggestion through the events' links).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.coverage import service as coverage
from evidence.devices import service as devices
from evidence.recordings import clock
from evidence.timeutil import utcnow


def reattribute_device(session: Session, device_id: int, lo: datetime, hi: datetime | None) -> int:
    """An assignment changed: give the camera's recordings in [lo, hi) the officer the
    assignments now say, then recompute the coverage of the events around those that moved."""
    changed, before = devices.reattribute(session, device_id, lo, hi)
    return coverage.recompute_for_recordings(session, changed, before) if changed else 0


def import_assignments_csv(session: Session, actor: audit.Actor, text: str) -> devices.ImportReport:
    """Import camera assignments (devices.import_assignments_csv), then re-attribute the
    recordings in every period that changed and refresh their coverage."""
    report = devices.import_assignments_csv(session, actor, text)
    for device_id, start, end in report.changed:
        reattribute_device(session, device_id, start, end)
    return report


def set_device_offset(session: Session, actor: audit.Actor, serial: str, offset_seconds: int,
                      only_uncorrected: bool = True) -> dict:
    """Apply the camera's offset (device minus true time) to its flagged recordings — only those not
    corrected yet, unless asked — then attribute them at their true time and recompute coverage."""
    device = devices.by_serial(session, serial)
    clock.check_offset(offset_seconds)
    recs = clock.flagged(session, device.id, only_uncorrected)
    # Events the recordings covered before (an earlier offset) are recomputed too.
    corrected_before = [r for r in recs if r.clock_corrected_at is not None and r.officer_id]
    old_events = coverage.events_near(session, {r.officer_id for r in corrected_before},
                                      min(r.started_at_corrected for r in corrected_before),
                                      max(r.started_at_corrected for r in corrected_before)) if corrected_before else []
    before = {r.officer_id for r in recs if r.officer_id}
    clock.apply_offset(device, recs, offset_seconds, utcnow())
    for rec in recs:
        devices.attribute(session, rec)
    session.flush()
    events = coverage.recompute(session, old_events) + coverage.recompute_for_recordings(session, [r.id for r in recs],
                                                                                         before)
    audit.record(session, actor, "device.clock_offset", "device", device.id, serial=serial,
                 offset_seconds=offset_seconds, recordings=[r.id for r in recs])
    return {"serial": serial, "clock_offset_seconds": offset_seconds, "recordings_corrected": len(recs),
            "events_recomputed": events}


def recording_timed(session: Session, recording_id: int) -> int:
    """A recording's span is known (probe found its duration): the coverage of its officer's
    events around it changes."""
    return coverage.recompute_for_recordings(session, [recording_id])
