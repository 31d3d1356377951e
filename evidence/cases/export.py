"""Court export: a ZIP with the originals (proxies if asked), manifest.json (case, recordings,
metadata, clip marks, SHA-256 and size of every file), the audit entries of those recordings,
an Ed25519 signature over the manifest, the public key (named by its fingerprint in the manifest)
and the offline verifier. Each export also checkpoints the audit chain's head (evidence.audit.anchor).

The ZIP is written as it is produced (stored, not compressed: video does not compress), so a
4 GB case streams without a temporary copy. Each original is hashed as it is copied; one that
no longer matches its recorded hash stops the export.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from evidence.actors import user_actor
from evidence.audit import service as audit, anchor as audit_anchor, signing
from evidence.audit.models import AuditEntry
from evidence.cases import service as cases
from evidence.cases.access import require_work
from evidence.cases.models import STAGE_NAMES, Case, Export
from evidence.config import get_settings
from evidence.errors import Conflict, Forbidden
from evidence.identity.models import Role, User
from evidence.recordings.models import Recording, RecordingStatus
from evidence.timeutil import utcnow
from storage.s3 import ObjectStore, _read_ahead

FORMAT = "bodycam-evidence-export/1"
VIEWER = Path(__file__).with_name("viewer.html")  # package data: shipped in the wheel beside this module
EXPORT_ROLES = {Role.case_handler.value, Role.supervisor.value, Role.admin.value}


class FixityError(Exception):
    pass


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name)[:120] or "file"


def check_may_export(session: Session, user: User, case: Case) -> None:
    """Who may export, and whether the case can be exported now: checked before the first byte
    goes out, so a refused export is an error the user reads, not a download cut off midway."""
    if user.role not in EXPORT_ROLES:
        raise Forbidden(f"role {user.role} may not export evidence")
    require_work(session, user, case)
    ids = [a.recording_id for a in cases.attachments(session, case)]
    unverified = sorted(session.scalars(select(Recording.id).where(
        Recording.id.in_(ids), Recording.status != RecordingStatus.verified.value))) if ids else []
    if unverified:
        raise Conflict(f"case {case.case_no} has attached recordings that are not verified: "
                       f"{', '.join(map(str, unverified))}; only verified recordings can be exported: detach them")


def write_export(session: Session, store: ObjectStore, user: User, case: Case, out: BinaryIO,
                 include_proxies: bool = False, ip: str | None = None) -> Export:
    """Write the package to `out` (a file or a stream) and record + audit the export.

    Everything is read from the database first and that transaction is committed before any
    byte is copied: on SQLite every transaction holds the write lock, and a long copy must not
    block uploads, workers and sweeps. A failure never leaves a complete-looking ZIP behind:
    the central directory is written only when every file was copied and checked.
    """
    at_head = audit_anchor.head(session)  # before this session writes entries of its own
    check_may_export(session, user, case)
    key, key_row = signing.signer(session)  # a retired key refuses here, before any byte is sent
    attached = cases.attachments(session, case)
    if not attached:
        raise Conflict(f"case {case.case_no} has no attached recordings to export")
    recs = {r.id: r for r in session.scalars(select(Recording).where(
        Recording.id.in_([a.recording_id for a in attached])))}
    recordings, sources = [], []
    for a in attached:
        rec = recs[a.recording_id]
        if rec.deleted_at is not None:
            raise Conflict(f"recording {rec.id} was deleted; it cannot be exported")
        path = f"originals/{rec.id}_{_safe(rec.original_filename)}"
        sources.append((rec.id, path, rec.object_key, rec.object_version, rec.sha256, rec.proxy_key))
        recordings.append({"id": rec.id, "sha256": rec.sha256, "size_bytes": rec.size_bytes, "file": path,
                           "original_filename": rec.original_filename, "media_kind": rec.media_kind,
                           "device_serial": rec.device_serial, "officer_id": rec.officer_id,
                           "officer_source": rec.officer_source, "started_at": _iso(rec.started_at),
                           "started_at_device": _iso(rec.started_at_device), "ended_at": _iso(rec.ended_at),
                           "time_source": rec.time_source, "duration_seconds": rec.duration_seconds,
                           "verified_at": _iso(rec.verified_at), "retention_class": rec.retention_class,
                           "mark_in": a.mark_in, "mark_out": a.mark_out, "mark_in_frame": a.mark_in_frame,
                           "mark_out_frame": a.mark_out_frame, "frame_rate": rec.frame_rate, "note": a.note,
                           "attached_by": a.attached_by, "attached_at": _iso(a.attached_at)})
    ids = [str(r) for r in recs]
    entries = session.scalars(select(AuditEntry).where(or_(
        and_(AuditEntry.object_type == "recording", AuditEntry.object_id.in_(ids)),
        and_(AuditEntry.object_type == "case", AuditEntry.object_id == str(case.id)))).order_by(AuditEntry.id)).all()
    audit_bytes = "".join(json.dumps(audit.as_dict(e), ensure_ascii=False) + "\n" for e in entries).encode()
    case_info = {"id": case.id, "case_no": case.case_no, "case_type": case.case_type, "title": case.title,
                 "stage": case.stage, "stage_name": STAGE_NAMES[case.stage], "unit_id": case.unit_id,
                 "legal_hold": case.legal_hold}
    key_id = key_row.fingerprint
    session.commit()  # no transaction (SQLite: no write lock) while the bytes are copied

    files = []
    guarded = _Guarded(out)
    with zipfile.ZipFile(guarded, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        try:
            for (rec_id, path, obj_key, version, sha256, proxy_key), entry in zip(sources, recordings):
                digest, size = _copy(zf, path, store.iter_original(obj_key, version=version))
                if digest != sha256:
                    raise FixityError(f"recording {rec_id}: stored original hashes to {digest}, not {sha256}; "
                                      "export stopped, fixity alert raised")
                files.append({"path": path, "sha256": digest, "size": size, "recording_id": rec_id, "kind": "original"})
                if include_proxies and proxy_key and store.stat_derived(proxy_key):
                    ppath = f"proxies/{rec_id}_{Path(proxy_key).name}"
                    pdigest, psize = _copy(zf, ppath, store.iter_derived(proxy_key))
                    files.append({"path": ppath, "sha256": pdigest, "size": psize, "recording_id": rec_id,
                                  "kind": "proxy"})
                    entry["proxy_file"] = ppath
            zf.writestr("audit.jsonl", audit_bytes)
            files.append({"path": "audit.jsonl", "sha256": hashlib.sha256(audit_bytes).hexdigest(),
                          "size": len(audit_bytes), "kind": "audit"})
            viewer = VIEWER.read_bytes()  # opens the unzipped folder in a browser, checks it, plays it
            zf.writestr("viewer.html", viewer)
            files.append({"path": "viewer.html", "sha256": hashlib.sha256(viewer).hexdigest(), "size": len(viewer),
                          "kind": "viewer"})
            checkpoint = at_head and audit_anchor.write(store, at_head, key, key_id, "export")
            manifest = {
                "format": FORMAT, "generated_at": utcnow().isoformat(), "generated_by": user.police_id,
                "timezone": get_settings().timezone,  # the unit's zone, in which viewer.html shows times
                "case": case_info, "recordings": recordings, "files": files, "audit_entries": len(entries),
                "audit_checkpoint": checkpoint and {k: checkpoint[k] for k in ("entry_id", "entry_hash", "entry_at",
                                                                               "signed_at", "object_key")},
                "signature": {"algorithm": "Ed25519", "signed_file": "manifest.json", "signature_file": "manifest.sig",
                              "public_key_file": "public_key.pem", "key_id": key_id},
            }
            manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            zf.writestr("manifest.json", manifest_bytes)
            zf.writestr("manifest.sig", key.sign(manifest_bytes))
            zf.writestr("public_key.pem", signing.public_pem(key))
            zf.writestr("verify.py", (Path(__file__).parent.parent / "verify_export.py").read_bytes())
            zf.writestr("README.txt", README.encode())
        except BaseException:
            guarded.broken = True  # closing the ZipFile must not finish a ZIP that any tool would open
            raise
    record = Export(case_id=case.id, created_by=user.police_id, object_key="(streamed)",
                    size_bytes=sum(f["size"] for f in files), sha256=hashlib.sha256(manifest_bytes).hexdigest(),
                    manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest())
    session.add(record)
    session.flush()
    actor = user_actor(user, ip)
    audit.record(session, actor, "case.export", "case", case.id, export=record.id, recordings=sorted(recs),
                 manifest_sha256=record.manifest_sha256, proxies=include_proxies, signing_key=key_id,
                 audit_checkpoint=checkpoint["entry_id"] if checkpoint else None)
    for rec_id in recs:
        audit.record(session, actor, "recording.export", "recording", rec_id, case=case.case_no, export=record.id)
    return record


def record_failure(session: Session, user: User, case: Case, reason: str, ip: str | None = None) -> None:
    """Audit an export that did not complete, with the reason, so a cut-off download is on record."""
    audit.record(session, user_actor(user, ip), "case.export_failed", "case", case.id, reason=reason[:2000])


class _Guarded(io.RawIOBase):
    """Passes writes through until the export fails; after that it drops them (the ZIP's end)."""

    def __init__(self, out: BinaryIO):
        self.out, self.broken = out, False

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        if not self.broken:
            self.out.write(b)
        return len(b)

    def flush(self) -> None:
        if not self.broken:
            self.out.flush()


def _copy(zf: zipfile.ZipFile, name: str, blocks: Iterator[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with zf.open(name, "w", force_zip64=True) as dst:
        for block in _read_ahead(blocks):
            digest.update(block)
            dst.write(block)
            size += len(block)
    return digest.hexdigest(), size


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


README = """Body-camera evidence export
===========================
manifest.json   the case, its recordings (with clip marks), and the SHA-256 and size of every file
manifest.sig    Ed25519 signature over manifest.json
public_key.pem  the public key that signed manifest.json: trust it only if its fingerprint is the
                service's (published at /api/v1/signing-key, printed by `evidence signing-key show`)
originals/      the original files, byte for byte as the cameras wrote them
audit.jsonl     the audit-log entries of these recordings and this case (hash-chained)
viewer.html     open it in a browser (no network needed), choose this unzipped folder: it checks the
                signature and every file's SHA-256, shows the case and its clips, and plays each
                file only once its hash matched
verify.py       the verifier: python3 verify.py THIS.zip --fingerprint FP   (needs: pip install cryptography)
                or --public-key keys.json (the key list from /api/v1/signing-key, retired keys included);
                without a pinned key it reports the signature valid but the package UNPINNED (exit code 3)
"""
