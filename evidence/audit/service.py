"""The hash-chained audit log: append entries and verify the chain.

Each entry's hash covers its id, time, actor, action, object, detail and the previous
entry's hash. `record` notes an entry in the caller's transaction; the entries are chained onto the
tail just before it commits, serialised by a PostgreSQL advisory lock (SQLite: BEGIN IMMEDIATE)
taken last of all its locks (evidence.commit_hooks), so the chain never forks and no deadlock forms
around the lock; `prev_hash` is unique as a last guard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from evidence import commit_hooks
from evidence.audit.models import AuditEntry
from evidence.timeutil import utcnow
from evidence.verify_export import entry_hash  # the offline verifier defines the hash

GENESIS = "0" * 64
_LOCK_KEY = 0x65766964  # "evid": advisory lock id for the audit tail
PENDING = "audit_entries_to_append"  # session.info: entries noted, appended at commit


@dataclass(frozen=True)
class Actor:
    """Who did something: a user, a docking station or the system itself."""

    type: str
    id: str | None = None
    label: str | None = None
    ip: str | None = None


SYSTEM = Actor("system", None, "system")


def entry_hash_of(entry: AuditEntry) -> str:
    return entry_hash(entry.id, entry.at.isoformat(timespec="microseconds"), entry.actor_type, entry.actor_id,
                      entry.actor_label, entry.action, entry.object_type, entry.object_id, entry.detail, entry.ip,
                      entry.prev_hash)


def as_dict(entry: AuditEntry) -> dict:
    """An entry as exported: every field its hash covers, plus the hash."""
    return {"id": entry.id, "at": entry.at.isoformat(timespec="microseconds"), "actor_type": entry.actor_type,
            "actor_id": entry.actor_id, "actor_label": entry.actor_label, "action": entry.action,
            "object_type": entry.object_type, "object_id": entry.object_id, "detail": entry.detail, "ip": entry.ip,
            "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash}


def record(session: Session, actor: Actor, action: str, object_type: str | None = None,
           object_id: Any = None, /, **detail: Any) -> AuditEntry:
    """Note one entry in the caller's transaction; it is appended when that transaction commits
    (it commits with the action it records, or is dropped with it on a rollback)."""
    entry = AuditEntry(actor_type=actor.type, actor_id=str(actor.id) if actor.id is not None else None,
                       actor_label=actor.label, action=action, object_type=object_type,
                       object_id=str(object_id) if object_id is not None else None,
                       detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str), ip=actor.ip)
    session.info.setdefault(PENDING, []).append(entry)
    return entry


@commit_hooks.before_commit(commit_hooks.AUDIT)
def append_pending(session: Session) -> None:
    """Chain the noted entries onto the log's tail. Runs last before the commit (commit_hooks): the
    tail's lock is held from here to the commit and nothing else is waited for meanwhile."""
    entries = session.info.pop(PENDING, None)
    if not entries:
        return
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = session.execute(
        select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    last_id, prev = (last.id, last.entry_hash) if last else (0, GENESIS)
    now = utcnow()
    for entry in entries:
        last_id += 1
        entry.id, entry.at, entry.prev_hash = last_id, now, prev
        entry.entry_hash = prev = entry_hash_of(entry)
    session.add_all(entries)
    session.flush()


@commit_hooks.after_rollback
def _forget_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


@dataclass
class ChainReport:
    entries: int
    ok: bool
    first_bad_id: int | None = None
    reason: str | None = None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the log in id order; name the first entry whose content or link is wrong."""
    expected_prev, expected_id, count = GENESIS, 1, 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            return ChainReport(count, True)
        for entry in rows:
            if entry.id != expected_id:
                return ChainReport(count, False, entry.id,
                                   f"entry {expected_id} is missing (next present is {entry.id})")
            if entry.prev_hash != expected_prev:
                return ChainReport(count, False, entry.id,
                                   "prev_hash does not match the entry before it (rows removed or reordered)")
            if entry_hash_of(entry) != entry.entry_hash:
                return ChainReport(count, False, entry.id, "content does not match its hash (entry edited)")
            expected_prev, expected_id = entry.entry_hash, entry.id + 1
            count += 1
            last_id = entry.id
        session.expunge_all()
