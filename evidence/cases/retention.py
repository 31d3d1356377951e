"""Retention classes, legal holds and the deletion sweep.

standard: kept `retention_days` (6 months by default) from the later of recording and arrival
(the law's six months are of storage: footage docked months late, or from a camera whose clock
is wrong, still gets them); case: attached to a case, kept permanently; flagged (obstruction,
major incident): `flagged_retention_days`, 0 = permanent. Nothing is deleted sooner than
`retention_min_days_after_arrival` after it arrived. A legal hold on the recording or on a case
it belongs to stops any deletion. Object-lock retention on the original follows the class:
extended, never shortened.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.cases.models import Case, CaseRecording, RetentionRun
from evidence.config import get_settings
from evidence.errors import Invalid
from evidence.recordings.models import Recording, RecordingStatus
from evidence.timeutil import utcnow
from storage.keys import derived_key
from storage.s3 import ObjectStore

FLAGS = ("obstruction", "major_incident")


def _on_a_case(session: Session, recording_id: int) -> bool:
    return session.scalar(select(CaseRecording.id).where(CaseRecording.recording_id == recording_id,
                                                         CaseRecording.detached_at.is_(None)).limit(1)) is not None


def _held_by_case(session: Session, recording_id: int) -> bool:
    return session.scalar(select(CaseRecording.id).join(Case, Case.id == CaseRecording.case_id).where(
        CaseRecording.recording_id == recording_id, CaseRecording.detached_at.is_(None), Case.legal_hold.is_(True))
        .limit(1)) is not None


def counted_from(rec: Recording, now: datetime | None = None) -> datetime:
    """Retention runs from the later of the recording's start and its arrival (verification)."""
    arrived = rec.verified_at or now or utcnow()
    return max(rec.started_at, arrived) if rec.started_at is not None else arrived


def apply(session: Session, store: ObjectStore, rec: Recording, actor: audit.Actor) -> None:
    """Set the class and keep-until date from what the recording is now; extend the object lock."""
    s = get_settings()
    flags = set(filter(None, (rec.flags or "").split(",")))
    if _on_a_case(session, rec.id):
        rec.retention_class, rec.retain_until = "case", None
    elif flags:
        rec.retention_class = "flagged"
        rec.retain_until = None if s.flagged_retention_days == 0 else \
            counted_from(rec) + timedelta(days=s.flagged_retention_days)
    else:
        rec.retention_class = "standard"
        rec.retain_until = counted_from(rec) + timedelta(days=s.retention_days)
    if rec.status == RecordingStatus.verified.value and rec.deleted_at is None:
        lock_until = rec.retain_until or utcnow() + timedelta(days=365 * s.permanent_lock_years)
        if lock_until > utcnow():
            store.lock_original(rec.object_key, lock_until)
        store.set_legal_hold(rec.object_key, rec.legal_hold or _held_by_case(session, rec.id))
    audit.record(session, actor, "retention.apply", "recording", rec.id, retention_class=rec.retention_class,
                 retain_until=rec.retain_until.isoformat() if rec.retain_until else "permanent",
                 legal_hold=rec.legal_hold)


def set_flags(session: Session, store: ObjectStore, rec: Recording, flags: list[str], actor: audit.Actor) -> None:
    bad = [f for f in flags if f not in FLAGS]
    if bad:
        raise Invalid(f"unknown flag(s) {bad}; allowed: {', '.join(FLAGS)}")
    rec.flags = ",".join(sorted(set(flags))) or None
    audit.record(session, actor, "recording.flag", "recording", rec.id, flags=rec.flags)
    apply(session, store, rec, actor)


def set_hold(session: Session, store: ObjectStore, rec: Recording, hold: bool, reason: str | None,
             actor: audit.Actor) -> None:
    rec.legal_hold, rec.hold_reason = hold, reason if hold else None
    audit.record(session, actor, "recording.legal_hold" if hold else "recording.legal_hold_released", "recording",
                 rec.id, reason=reason)
    apply(session, store, rec, actor)


def deletable(session: Session, now=None):
    """Originals the sweep may delete: expired, not held, on no case (ever attached counts while attached),
    and arrived at least `retention_min_days_after_arrival` ago (a keep-until date computed by an older
    rule, or a wrong clock, never deletes fresh footage)."""
    now = now or utcnow()
    arrived_before = now - timedelta(days=get_settings().retention_min_days_after_arrival)
    attached = exists().where(CaseRecording.recording_id == Recording.id, CaseRecording.detached_at.is_(None))
    return select(Recording).where(
        Recording.status == RecordingStatus.verified.value, Recording.deleted_at.is_(None),
        Recording.retain_until.is_not(None), Recording.retain_until < now, Recording.legal_hold.is_(False),
        func.coalesce(Recording.verified_at, Recording.created_at) < arrived_before,
        ~attached).order_by(Recording.retain_until)


def sweep(session: Session, store: ObjectStore, dry_run: bool, actor: audit.Actor = audit.SYSTEM) -> dict:
    """Delete expired originals and their derived files. A dry run only writes the report.

    Every run's report is kept; every deletion is audited. An original whose object lock
    still holds (extended earlier, never shortened) is left and reported.
    """
    report = {"dry_run": dry_run, "candidates": [], "deleted": [], "kept": []}
    for rec in session.scalars(deletable(session)).all():
        item = {"id": rec.id, "sha256": rec.sha256, "retain_until": rec.retain_until.isoformat(),
                "size_bytes": rec.size_bytes}
        report["candidates"].append(item)
        if dry_run:
            continue
        try:
            store.delete_original_versions(rec.object_key)
        except Exception as exc:  # noqa: BLE001 - object lock (or outage): keep it, say why
            report["kept"].append({**item, "reason": str(exc)[:200]})
            continue
        for name in ("proxy.mp4", "proxy.m4a", "preview.jpg", "poster.jpg", "strip.jpg"):
            store.remove_derived(derived_key(rec.sha256, name))
        rec.deleted_at = utcnow()
        rec.proxy_key = rec.poster_key = rec.strip_key = None
        audit.record(session, actor, "retention.delete", "recording", rec.id, sha256=rec.sha256,
                     retain_until=item["retain_until"])
        report["deleted"].append(item)
    session.add(RetentionRun(dry_run=dry_run, report=json.dumps(report)))
    audit.record(session, actor, "retention.sweep", None, None, dry_run=dry_run,
                 candidates=len(report["candidates"]), deleted=len(report["deleted"]), kept=len(report["kept"]))
    return report
