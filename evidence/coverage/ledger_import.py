"""Importing a ledger file into enforcement events, streamed in batches.

A ledger may hold up to ledger_read.MAX_ROWS rows: they are parsed, stored and their coverage
computed a batch at a time, so memory stays flat and each batch costs a few statements. The
whole import is one transaction (the caller commits): a file refused half-way leaves nothing.
Only the first MAX_ERRORS_LISTED row errors are listed, the rest counted: a file of garbage
must not answer with a 100 MB error list.

A preview (dry_run) walks the very same parsing, validation and reach checks and only swaps the
final write for a look-up of which event ids exist: preview and import cannot disagree about a
row. The preview lists the first MAX_PREVIEW_ROWS good rows with what the import would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.coverage import day_counts
from evidence.coverage.ledger_parse import LedgerError, LedgerRow, iter_ledger
from evidence.coverage.ledger_scope import rows_in_reach
from evidence.coverage.models import EnforcementEvent, EventOfficer
from evidence.coverage.service import recompute
from evidence.identity.models import User
from evidence.timeutil import utcnow

MAX_ERRORS_LISTED = 1000
MAX_PREVIEW_ROWS = 200
BATCH_ROWS = 1000


@dataclass
class LedgerImport:
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)  # the first MAX_ERRORS_LISTED, in file order
    error_count: int = 0
    dry_run: bool = False
    rows: list[dict] = field(default_factory=list)  # preview only: the first MAX_PREVIEW_ROWS good rows


def import_ledger(session: Session, actor: audit.Actor, stream: BinaryIO, filename: str, tz: str,
                  user: User | None = None, dry_run: bool = False) -> LedgerImport:
    """Raises ValueError (ledger_read.LedgerTooLarge past a limit) for a file refused as a whole.

    With `user`, rows outside that user's reach (ledger_scope) are refused by line; without one
    (the operator's CLI) every row is imported. With `dry_run` nothing is written but the audit
    entry (ledger.preview): created/updated then count what the import would do."""
    result = LedgerImport(dry_run=dry_run)
    batch: list[LedgerRow] = []
    for item in iter_ledger(stream, filename, tz):
        if isinstance(item, LedgerError):
            result.error_count += 1
            if len(result.errors) < MAX_ERRORS_LISTED:
                result.errors.append({"line": item.line, "reason": item.reason})
            continue
        batch.append(item)
        if len(batch) >= BATCH_ROWS:
            _store(session, batch, result, user)
            batch = []
    _store(session, batch, result, user)
    result.errors.sort(key=lambda e: e["line"])
    result.rows.sort(key=lambda r: r["line"])
    audit.record(session, actor, "ledger.preview" if dry_run else "ledger.import", "enforcement_event", None,
                 source=filename, created=result.created, updated=result.updated, errors=result.error_count)
    return result


def _store(session: Session, rows: list[LedgerRow], result: LedgerImport, user: User | None) -> None:
    if user is not None:
        rows, refused = rows_in_reach(session, user, rows)
        result.error_count += len(refused)
        room = MAX_ERRORS_LISTED - len(result.errors)
        result.errors.extend({"line": e.line, "reason": e.reason} for e in refused[:max(room, 0)])
    if rows and result.dry_run:
        _preview(session, rows, result)
    elif rows:
        created, updated, ids = upsert_events(session, rows)
        result.created, result.updated = result.created + created, result.updated + updated
        recompute(session, ids)


def _preview(session: Session, rows: list[LedgerRow], result: LedgerImport) -> None:
    """What upsert_events would do with this batch: an event id already stored is updated."""
    existing = set(session.scalars(select(EnforcementEvent.event_id).where(
        EnforcementEvent.event_id.in_([r.event_id for r in rows]))))
    result.updated += sum(r.event_id in existing for r in rows)
    result.created += sum(r.event_id not in existing for r in rows)
    room = MAX_PREVIEW_ROWS - len(result.rows)
    result.rows.extend({"line": r.line, "event_id": r.event_id, "event_type": r.event_type,
                        "police_ids": r.police_ids, "started_at": r.started_at, "ended_at": r.ended_at,
                        "location": r.location, "case_no": r.case_no, "roadside": r.roadside,
                        "action": "update" if r.event_id in existing else "create"} for r in rows[:max(room, 0)])


def upsert_events(session: Session, rows: list[LedgerRow]) -> tuple[int, int, list[int]]:
    """Create or update (same event_id) one batch of rows with distinct event ids; returns
    (created, updated, event row ids). New rows go in as one plain executemany: the ORM's
    multi-row INSERT … RETURNING costs more to build than to run."""
    users = {u.police_id: u for u in session.scalars(
        select(User).where(User.police_id.in_({p for r in rows for p in r.police_ids})))}
    existing = {e.event_id: e for e in session.scalars(
        select(EnforcementEvent).where(EnforcementEvent.event_id.in_([r.event_id for r in rows])))}
    now, new = utcnow(), []
    for row in rows:
        known = [users[p] for p in row.police_ids if p in users]
        values = {"event_type": row.event_type, "started_at": row.started_at, "ended_at": row.ended_at,
                  "location": row.location, "case_no": row.case_no, "roadside": row.roadside,
                  "police_ids": ";".join(row.police_ids)[:400], "unit_id": known[0].unit_id if known else None,
                  "updated_at": now}
        event = existing.get(row.event_id)
        if event is not None:
            day_counts.mark(session, [event.started_at])  # the day it may leave is counted again too
        if event is None:
            new.append({"event_id": row.event_id, "imported_at": now, **values})
        else:
            for name, value in values.items():
                setattr(event, name, value)
    session.flush()
    if new:
        session.execute(insert(EnforcementEvent), new)
    ids = dict(session.execute(select(EnforcementEvent.event_id, EnforcementEvent.id).where(
        EnforcementEvent.event_id.in_([r.event_id for r in rows]))).all())
    if existing:
        session.execute(delete(EventOfficer).where(EventOfficer.event_id.in_([e.id for e in existing.values()])))
    session.execute(insert(EventOfficer), [
        {"event_id": ids[row.event_id], "police_id": p, "user_id": users[p].id if p in users else None}
        for row in rows for p in row.police_ids])
    return len(new), len(existing), [ids[row.event_id] for row in rows]
