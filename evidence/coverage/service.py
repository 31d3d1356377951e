"""Ledger import, coverage computation (incremental and full), auto-links.

Coverage is recomputed only for the events an change touches: imported events, events of the
officer around a recording that became verified or got its duration, events around recordings
whose officer changed with an assignment. A full recompute exists for rebuilds and benchmarks.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from evidence import audit
from evidence.coverage.engine import Clip, evaluate
from evidence.coverage.models import (EnforcementEvent, EventCoverage, EventOfficer, EventOfficerCoverage,
                                      RecordingEventLink)
from evidence.coverage.rules import Rule, max_reach_seconds, rules
from evidence.devices import officer_at
from evidence.ledger_parse import LedgerRow
from evidence.models import Recording, RecordingStatus, User
from evidence.timeutil import utcnow

BATCH = 5000
COPY_MIN_ROWS = 1000  # below this, plain INSERTs are as quick as COPY


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, timezone.utc)


# -- import ---------------------------------------------------------------------------------------
def import_events(session: Session, actor: audit.Actor, rows: list[LedgerRow], source: str) -> tuple[int, int, list[int]]:
    """Create or update events (same event_id updates); returns (created, updated, event row ids)."""
    users = {u.police_id: u for u in session.scalars(
        select(User).where(User.police_id.in_({p for r in rows for p in r.police_ids})))}
    existing = {e.event_id: e for e in session.scalars(
        select(EnforcementEvent).where(EnforcementEvent.event_id.in_([r.event_id for r in rows])))}
    created = updated = 0
    ids = []
    for row in rows:
        event = existing.get(row.event_id)
        if event is None:
            event = EnforcementEvent(event_id=row.event_id)
            session.add(event)
            created += 1
        else:
            updated += 1
        event.event_type, event.started_at, event.ended_at = row.event_type, row.started_at, row.ended_at
        event.location, event.case_no, event.roadside = row.location, row.case_no, row.roadside
        event.police_ids = ";".join(row.police_ids)[:400]
        known = [users[p] for p in row.police_ids if p in users]
        event.unit_id = known[0].unit_id if known else None
        event.updated_at = utcnow()
        session.flush()
        session.execute(delete(EventOfficer).where(EventOfficer.event_id == event.id))
        session.add_all(EventOfficer(event_id=event.id, police_id=p, user_id=users[p].id if p in users else None)
                        for p in row.police_ids)
        ids.append(event.id)
    session.flush()
    audit.record(session, actor, "ledger.import", "enforcement_event", None, source=source, created=created,
                 updated=updated)
    recompute(session, ids)
    return created, updated, ids


# -- loading what the engine needs ---------------------------------------------------------------
class ClipIndex:
    """Recordings per officer, sorted by start, for quick overlap lookups."""

    def __init__(self, rows):
        self.by_officer: dict[int, tuple[list[float], list[Clip]]] = {}
        self.longest: dict[int, float] = defaultdict(float)
        grouped: dict[int, list[Clip]] = defaultdict(list)
        for r in rows:
            start = r.started_at.timestamp() - (r.clock_offset_seconds or 0)
            end = r.ended_at.timestamp() - (r.clock_offset_seconds or 0)
            clip = Clip(r.id, r.device_serial or f"rec{r.id}", start, end, _ts(r.uploaded_at))
            grouped[r.officer_id].append(clip)
            self.longest[r.officer_id] = max(self.longest[r.officer_id], end - start)
        for officer, clips in grouped.items():
            clips.sort(key=lambda c: c.start)
            self.by_officer[officer] = ([c.start for c in clips], clips)

    def around(self, officer_id: int | None, lo: float, hi: float) -> list[Clip]:
        if officer_id is None or officer_id not in self.by_officer:
            return []
        starts, clips = self.by_officer[officer_id]
        left = bisect_left(starts, lo - self.longest[officer_id])
        right = bisect_right(starts, hi)
        return [c for c in clips[left:right] if c.end > lo]


def _recording_query():
    return select(Recording.id, Recording.officer_id, Recording.device_serial, Recording.started_at,
                  Recording.ended_at, Recording.uploaded_at, Recording.clock_offset_seconds).where(
        Recording.status == RecordingStatus.verified.value, Recording.officer_id.is_not(None),
        Recording.started_at.is_not(None), Recording.ended_at.is_not(None))


# -- computing ---------------------------------------------------------------------------------------
def recompute(session: Session, event_ids: list[int], now: datetime | None = None) -> int:
    """Recompute coverage, officer coverage and auto-links of these events."""
    if not event_ids:
        return 0
    all_rules = rules()
    reach = max_reach_seconds(all_rules)
    done = 0
    for i in range(0, len(event_ids), BATCH):
        events, officers = _load_batch(session, event_ids[i:i + BATCH])
        user_ids = {o.user_id for os_ in officers.values() for o in os_ if o.user_id}
        lo = min(e.started_at for e in events) - timedelta(seconds=reach)
        hi = max(e.ended_at or e.started_at for e in events) + timedelta(seconds=reach)
        rows = session.execute(_recording_query().where(
            Recording.officer_id.in_(user_ids), Recording.started_at < hi, Recording.ended_at > lo)).all() \
            if user_ids else []
        done += _store(session, events, officers, ClipIndex(rows), all_rules, now or utcnow())
    return done


def recompute_all(session: Session, now: datetime | None = None) -> int:
    """Every event at once (rebuilds, benchmarks): one read of each table, plain rows instead of
    ORM objects, and bulk writes (COPY on PostgreSQL)."""
    all_rules, now = rules(), now or utcnow()
    index = ClipIndex(session.execute(_recording_query()).all())
    events = session.execute(select(EnforcementEvent.id, EnforcementEvent.event_type, EnforcementEvent.started_at,
                                    EnforcementEvent.ended_at)).all()
    officers = defaultdict(list)
    for o in session.execute(select(EventOfficer.event_id, EventOfficer.police_id, EventOfficer.user_id)):
        officers[o.event_id].append(o)
    cov_rows, officer_rows, wanted = _compute(events, officers, index, all_rules, now)
    session.execute(delete(EventCoverage))
    session.execute(delete(EventOfficerCoverage))
    _bulk_insert(session, EventCoverage.__table__, cov_rows)
    _bulk_insert(session, EventOfficerCoverage.__table__, officer_rows)
    current = {(l.recording_id, l.event_id): l.id for l in session.execute(
        select(RecordingEventLink.recording_id, RecordingEventLink.event_id, RecordingEventLink.id).where(
            RecordingEventLink.source == "auto", RecordingEventLink.removed_at.is_(None)))}
    _apply_links(session, current, wanted, now)
    return len(events)


def _load_batch(session: Session, event_ids: list[int]):
    """Events and their officers, for one batch of ids."""
    events = session.execute(select(EnforcementEvent.id, EnforcementEvent.event_type, EnforcementEvent.started_at,
                                    EnforcementEvent.ended_at).where(EnforcementEvent.id.in_(event_ids))).all()
    officers = defaultdict(list)
    for o in session.execute(select(EventOfficer.event_id, EventOfficer.police_id, EventOfficer.user_id)
                             .where(EventOfficer.event_id.in_(event_ids))):
        officers[o.event_id].append(o)
    return events, officers


def _compute(events, officers, index: ClipIndex, all_rules: dict[str, Rule], now: datetime):
    """Coverage rows, officer rows and the wanted auto-links of these events."""
    now_ts = now.timestamp()
    cov_rows, officer_rows, wanted_links = [], [], set()
    for e in events:
        rule = all_rules.get(e.event_type, all_rules["other"])
        start, end = e.started_at.timestamp(), _ts(e.ended_at)
        lo = start - rule.pre_roll_seconds - rule.tolerance_seconds
        hi = (end if end is not None else start + rule.default_minutes * 60) + rule.post_roll_seconds + rule.tolerance_seconds
        clips = {o.police_id: index.around(o.user_id, lo, hi) for o in officers[e.id]}
        result = evaluate(start, end, clips, rule, now_ts)
        cov_rows.append({
            "event_id": e.id, "status": result.status, "window_start": _dt(result.window_start),
            "window_end": _dt(result.window_end), "window_seconds": result.window_seconds,
            "covered_seconds": result.covered_seconds, "ratio": result.ratio, "late_upload": result.late_upload,
            "deadline_at": _dt(result.deadline), "recording_ids": json.dumps(result.recording_ids), "computed_at": now})
        for o in officers[e.id]:
            r = result.officers[o.police_id]
            officer_rows.append({"event_id": e.id, "police_id": o.police_id, "user_id": o.user_id,
                                 "covered_seconds": r.covered_seconds, "ratio": r.ratio, "status": r.status,
                                 "recording_ids": json.dumps(r.recording_ids)})
        wanted_links.update((rid, e.id) for rid in result.recording_ids)
    return cov_rows, officer_rows, wanted_links


def _store(session: Session, events, officers, index: ClipIndex, all_rules: dict[str, Rule], now: datetime) -> int:
    cov_rows, officer_rows, wanted = _compute(events, officers, index, all_rules, now)
    ids = [e.id for e in events]
    session.execute(delete(EventCoverage).where(EventCoverage.event_id.in_(ids)))
    session.execute(delete(EventOfficerCoverage).where(EventOfficerCoverage.event_id.in_(ids)))
    _bulk_insert(session, EventCoverage.__table__, cov_rows)
    _bulk_insert(session, EventOfficerCoverage.__table__, officer_rows)
    current = {(l.recording_id, l.event_id): l.id for l in session.execute(
        select(RecordingEventLink.recording_id, RecordingEventLink.event_id, RecordingEventLink.id).where(
            RecordingEventLink.event_id.in_(ids), RecordingEventLink.source == "auto",
            RecordingEventLink.removed_at.is_(None)))}
    _apply_links(session, current, wanted, now)
    return len(events)


def _bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """Many rows at once: COPY on PostgreSQL (several times faster than INSERTs), executemany elsewhere."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql" or len(rows) < COPY_MIN_ROWS:
        session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def _apply_links(session: Session, current: dict[tuple[int, int], int], wanted: set[tuple[int, int]],
                 now: datetime) -> None:
    """Auto-links follow the coverage; a link no longer backed is stamped removed, never deleted."""
    new = [{"recording_id": r, "event_id": e, "source": "auto", "created_at": now, "created_by": "system"}
           for r, e in wanted - current.keys()]
    _bulk_insert(session, RecordingEventLink.__table__, new)
    gone = [current[k] for k in current.keys() - wanted]
    for i in range(0, len(gone), BATCH):
        session.execute(update(RecordingEventLink).where(RecordingEventLink.id.in_(gone[i:i + BATCH]))
                        .values(removed_at=now, removed_by="system"))


# -- what a change touches ------------------------------------------------------------------------
def events_near(session: Session, officer_ids: set[int], lo: datetime, hi: datetime) -> list[int]:
    reach = timedelta(seconds=max_reach_seconds(rules()))
    if not officer_ids:
        return []
    return list(session.scalars(select(EnforcementEvent.id).join(
        EventOfficer, EventOfficer.event_id == EnforcementEvent.id).where(
        EventOfficer.user_id.in_(officer_ids), EnforcementEvent.started_at < hi + reach,
        EnforcementEvent.started_at > lo - reach - timedelta(days=1)).distinct()))


def recompute_for_recordings(session: Session, recording_ids: list[int], extra_officers: set[int] = frozenset()) -> int:
    """After recordings became verified, got their duration, or changed officer."""
    recs = session.scalars(select(Recording).where(Recording.id.in_(recording_ids))).all()
    timed = [r for r in recs if r.started_at is not None]
    if not timed:
        return 0
    officers = {r.officer_id for r in timed if r.officer_id} | set(extra_officers)
    lo = min(r.started_at for r in timed)
    hi = max(r.ended_at or r.started_at for r in timed)
    return recompute(session, events_near(session, officers, lo, hi))


def reattribute_device(session: Session, device_id: int, lo: datetime, hi: datetime | None) -> int:
    """An assignment changed: recordings of that camera in [lo, hi) take the officer the
    assignments now say (the file name's 警号 only where none covers them)."""
    query = select(Recording).where(Recording.device_id == device_id, Recording.started_at >= lo)
    if hi is not None:
        query = query.where(Recording.started_at < hi)
    changed, before = [], set()
    for rec in session.scalars(query):
        officer = officer_at(session, device_id, rec.started_at)
        if officer is None and rec.declared_police_id:
            officer = session.scalar(select(User).where(User.police_id == rec.declared_police_id))
            source = "filename" if officer else "none"
        else:
            source = "assignment" if officer else "none"
        new_id = officer.id if officer else None
        if new_id != rec.officer_id:
            if rec.officer_id:
                before.add(rec.officer_id)
            rec.officer_id, rec.officer_source = new_id, source
            rec.unit_id = officer.unit_id if officer else rec.unit_id
            changed.append(rec.id)
    session.flush()
    return recompute_for_recordings(session, changed, before) if changed else 0


def overdue_pending(session: Session, now: datetime | None = None) -> list[int]:
    """Events still `pending` although their upload deadline has passed: they become missing."""
    return list(session.scalars(select(EventCoverage.event_id).where(
        EventCoverage.status == "pending", EventCoverage.deadline_at < (now or utcnow()))))
