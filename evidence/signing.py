"""The Ed25519 key that signs court exports and audit checkpoints, and the history of its keys.

The private key is EVIDENCE_SIGNING_KEY or data_dir/secrets/signing_key.pem (made on first use).
Every public key that has signed is kept in `signing_keys` with its validity period, so a package
signed before a rotation still verifies against the published list. A retired key never signs
again: a host still configured with one gets a clear refusal instead of a package nobody trusts.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evidence import audit
from evidence.config import get_settings
from evidence.errors import Conflict
from evidence.models import AuditEntry, SigningKey
from evidence.timeutil import utcnow
from evidence.verify_export import key_fingerprint  # the offline verifier defines the fingerprint


def key_file() -> Path:
    return get_settings().data_dir / "secrets" / "signing_key.pem"


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _write_secret(path: Path, data: bytes) -> None:
    """Write a private key (mode 600) next to its destination, then rename: never half a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _create_secret(path: Path, data: bytes) -> None:
    """Write the first key, unless another request or process got there first: two requests that
    both find no key (an export and GET /signing-key at once) must end with one key, not a failed
    rename or two keys. Each writes its own temporary file; a hard link claims the name once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(6)}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # the other writer's key stands
    finally:
        tmp.unlink(missing_ok=True)


def load_private() -> Ed25519PrivateKey:
    pem = get_settings().signing_key
    if not pem:
        path = key_file()
        if not path.exists():
            _create_secret(path, _private_pem(Ed25519PrivateKey.generate()))
        pem = path.read_text()
    return serialization.load_pem_private_key(pem.encode(), password=None)


def fingerprint_of(key: Ed25519PrivateKey) -> str:
    return key_fingerprint(public_pem(key))


def current_row(session: Session) -> SigningKey | None:
    return session.scalar(select(SigningKey).where(SigningKey.valid_to.is_(None))
                          .order_by(SigningKey.valid_from.desc()))


def _register(session: Session, key: Ed25519PrivateKey, fp: str) -> SigningKey:
    """Record the configured key on first use. Another key already current is not replaced silently
    (a host with a stray key of its own must not take over signing): that takes `rotate`."""
    current = current_row(session)
    if current is not None:
        raise Conflict(f"this host's signing key {fp} is not the service's current key {current.fingerprint}: "
                       "configure the current key (EVIDENCE_SIGNING_KEY or data_dir/secrets/signing_key.pem), "
                       "or replace it with `evidence signing-key rotate`")
    now = utcnow()
    # The first key may have signed exports before keys were recorded: valid since the log began.
    valid_from = min(session.scalar(select(func.min(AuditEntry.at))) or now, now)
    try:
        with session.begin_nested():
            row = SigningKey(fingerprint=fp, algorithm="Ed25519", public_key_pem=public_pem(key).decode(),
                             valid_from=valid_from, valid_to=None)
            session.add(row)
    except IntegrityError:  # another process registered it at the same moment
        return session.get(SigningKey, fp)
    audit.record(session, audit.SYSTEM, "signing_key.register", "signing_key", fp)
    return row


def signer(session: Session) -> tuple[Ed25519PrivateKey, SigningKey]:
    """The key to sign with now, registered in the key list. Refuses a retired key."""
    key = load_private()
    fp = fingerprint_of(key)
    row = session.get(SigningKey, fp) or _register(session, key, fp)
    if row.valid_to is not None:
        raise Conflict(f"signing key {fp} was retired at {row.valid_to.isoformat()} and may not sign; this host "
                       "is still configured with it: set EVIDENCE_SIGNING_KEY (or data_dir/secrets/signing_key.pem) "
                       "to the current key")
    return key, row


def rotate(session: Session, actor: audit.Actor, out: Path | None = None) -> tuple[str, str]:
    """Retire the current key and start a new one: (old fingerprint, new fingerprint).

    With EVIDENCE_SIGNING_KEY set, the new private key is written to `out` and the operator sets it
    on every host; until then those hosts refuse to sign with the retired key.
    """
    if get_settings().signing_key and out is None:
        raise Conflict("the signing key comes from EVIDENCE_SIGNING_KEY: give --out FILE to write the new key, "
                       "then set EVIDENCE_SIGNING_KEY to it on every host")
    current = current_row(session)
    if current is None:  # never used yet: record the configured key first, so its period is kept
        old_key = load_private()
        old_fp = fingerprint_of(old_key)
        current = session.get(SigningKey, old_fp) or _register(session, old_key, old_fp)
    old_fp = current.fingerprint
    new_key = Ed25519PrivateKey.generate()
    new_fp = fingerprint_of(new_key)
    now = utcnow()
    for row in session.scalars(select(SigningKey).where(SigningKey.valid_to.is_(None))):
        row.valid_to = now
    session.add(SigningKey(fingerprint=new_fp, algorithm="Ed25519", public_key_pem=public_pem(new_key).decode(),
                           valid_from=now, valid_to=None))
    audit.record(session, actor, "signing_key.rotate", "signing_key", new_fp, retired=old_fp)
    session.flush()
    # The key file last: should it fail, the transaction rolls back and the old key stays current.
    _write_secret(out or key_file(), _private_pem(new_key))
    return old_fp, new_fp


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def published(session: Session) -> dict:
    """The public key list: the current key and every retired one with its validity period."""
    try:
        signer(session)  # make sure the configured key is listed
    except Conflict:
        pass  # a stale host still lists what the database knows
    rows = session.scalars(select(SigningKey).order_by(SigningKey.valid_from)).all()
    current = next((r.fingerprint for r in rows if r.valid_to is None), None)
    return {"algorithm": "Ed25519", "current": current,
            "fingerprint": "first 16 bytes of SHA-256 over the raw Ed25519 public key, hex",
            "keys": [{"fingerprint": r.fingerprint, "algorithm": r.algorithm, "public_key_pem": r.public_key_pem,
                      "valid_from": _iso(r.valid_from), "valid_to": _iso(r.valid_to),
                      "status": "current" if r.valid_to is None else "retired"} for r in rows]}


def public_keys(session: Session) -> dict[str, SigningKey]:
    """Every key the service has used, by fingerprint (to check checkpoint signatures)."""
    return {r.fingerprint: r for r in session.scalars(select(SigningKey))}
