"""Anchors for the audit chain: signed checkpoints of its head, kept under S3 object lock.

The hash chain shows an entry edited or removed in its middle, but not its newest entries cut
off, nor a tail changed and re-hashed by someone with full database access. A checkpoint (entry
id, hash and time of the head, signed with the service key) stored in the object-locked bucket
can be neither removed nor overwritten, so the chain can be compared with it later. Written
periodically by the scheduler and at every export; checked by `evidence audit verify`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.audit import signing
from evidence.audit.models import AuditEntry
from evidence.config import get_settings
from evidence.timeutil import utcnow
from storage.s3 import ObjectStore

FORMAT = "bodycam-audit-checkpoint/1"
PREFIX = "audit-checkpoints/"
_NAME = re.compile(r"^audit-checkpoints/(\d{12})\.json$")
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Head:
    id: int
    hash: str
    at: datetime


def head(session: Session) -> Head | None:
    """The newest entry this session sees. Call it before the session writes entries of its own,
    so a checkpoint never names an entry a rollback could take back."""
    row = session.execute(select(AuditEntry.id, AuditEntry.entry_hash, AuditEntry.at)
                          .order_by(AuditEntry.id.desc()).limit(1)).first()
    return Head(row.id, row.entry_hash, row.at) if row else None


def object_key(entry_id: int) -> str:
    return f"{PREFIX}{entry_id:012d}.json"


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def write(store: ObjectStore, at_head: Head, key: Ed25519PrivateKey, key_id: str, reason: str) -> dict:
    """Sign and store the checkpoint of `at_head`; one per entry id (an existing one is kept)."""
    name = object_key(at_head.id)
    if store.stat_original(name) is not None:
        payload = json.loads(store.read_record(name))["checkpoint"]
        return dict(payload, object_key=name)
    payload = {"format": FORMAT, "entry_id": at_head.id, "entry_hash": at_head.hash,
               "entry_at": at_head.at.isoformat(timespec="microseconds"), "signed_at": utcnow().isoformat(),
               "reason": reason, "key_id": key_id}
    doc = {"checkpoint": payload, "signature": base64.b64encode(key.sign(_canonical(payload))).decode()}
    until = utcnow() + timedelta(days=366 * get_settings().permanent_lock_years)
    store.put_locked_record(name, json.dumps(doc, ensure_ascii=False, indent=1).encode(), until)
    return dict(payload, object_key=name)


def take(session: Session, store: ObjectStore, reason: str) -> dict | None:
    """Checkpoint the head as this session sees it now; None while the log is empty."""
    at_head = head(session)
    if at_head is None:
        return None
    key, row = signing.signer(session)
    return write(store, at_head, key, row.fingerprint, reason)


@dataclass
class AnchorReport:
    ok: bool
    checkpoints: int
    last: dict | None = None  # the newest checkpoint the log still matches
    unanchored: int = 0  # entries after it
    problems: list[str] = field(default_factory=list)


def _load(store: ObjectStore, name: str, version: str | None, keys: dict) -> tuple[dict | None, str | None]:
    """(checkpoint, None) when genuine, else (None, what is wrong with it)."""
    where = f"checkpoint {name}" + (f" (version {version})" if version else "")
    try:
        doc = json.loads(store.read_record(name, version))
        payload, signature = doc["checkpoint"], base64.b64decode(doc["signature"])
        entry_id, key_id = int(payload["entry_id"]), payload.get("key_id")
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"{where}: unreadable ({exc})"
    if object_key(entry_id) != name:
        return None, f"{where}: holds entry {entry_id}, not the one its name says"
    row = keys.get(key_id)
    try:
        if row is None:
            raise InvalidSignature
        load_pem_public_key(row.public_key_pem.encode()).verify(signature, _canonical(payload))
    except InvalidSignature:
        return None, f"{where}: not signed by a key of this service (claims key {key_id}): forged or damaged"
    signed_at = datetime.fromisoformat(payload["signed_at"])
    if signed_at < row.valid_from or (row.valid_to is not None and signed_at >= row.valid_to):
        return None, f"{where}: signed at {payload['signed_at']} by key {key_id}, outside that key's validity"
    return payload, None


def _compare(session: Session, cp: dict, now_head: Head | None) -> str | None:
    n, when = cp["entry_id"], cp["signed_at"]
    if now_head is None or n > now_head.id:
        ends = f"ends at entry {now_head.id}" if now_head else "is empty"
        return (f"TRUNCATED: the checkpoint signed {when} saw entry {n} (hash {cp['entry_hash'][:16]}...), "
                f"but the log now {ends}: its newest entries were cut off")
    entry = session.get(AuditEntry, n)
    if entry is None:
        return f"TRUNCATED: entry {n}, seen by the checkpoint signed {when}, is missing"
    if entry.entry_hash != cp["entry_hash"]:
        return (f"REWRITTEN: entry {n} no longer has the hash the checkpoint signed {when} recorded "
                f"({cp['entry_hash'][:16]}..., now {entry.entry_hash[:16]}...): entries up to {n} were changed "
                "and re-hashed, or cut off and written again")
    return None


def verify(session: Session, store: ObjectStore) -> AnchorReport:
    """Compare the log with its checkpoints, newest first, down to the newest one it still matches
    (the chain's own links vouch for everything before that one)."""
    by_id: dict[int, list[tuple[str, str | None]]] = {}
    problems: list[str] = []
    versions = store.record_versions(PREFIX)
    for name, version in versions:
        if (m := _NAME.match(name)) is None:
            problems.append(f"{name}: not a checkpoint name (put there by hand?)")
            continue
        by_id.setdefault(int(m.group(1)), []).append((name, version))
    keys, now_head, last = signing.public_keys(session), head(session), None
    for entry_id in sorted(by_id, reverse=True):
        found = []
        for name, version in by_id[entry_id]:
            cp, bad = _load(store, name, version, keys)
            bad = bad or _compare(session, cp, now_head)
            if bad:
                problems.append(bad)
            else:
                found.append(cp)
        if found and len(found) == len(by_id[entry_id]):
            last = found[0]
            break
        if len(problems) >= MAX_PROBLEMS:
            problems.append("... (more checkpoints disagree; stopped here)")
            break
    if problems and last is not None:
        problems.append(f"the log still matches the checkpoint at entry {last['entry_id']} (signed "
                        f"{last['signed_at']}): what changed lies after it")
    unanchored = (now_head.id if now_head else 0) - (last["entry_id"] if last else 0)
    return AnchorReport(not problems, len(versions), last, max(unanchored, 0), problems)
