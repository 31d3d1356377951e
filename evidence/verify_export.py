#!/usr/bin/env python3
"""Verify an evidence export offline: `python verify.py EXPORT.zip` (or `evidence-verify-export`).

Needs Python 3.9+ and the `cryptography` package; neither the server nor its database. Checks
the Ed25519 signature over manifest.json, the SHA-256 and size of every file the manifest
lists, that no file was added, and that each audit entry still hashes to its recorded hash
and links to the entry before it. Names each file or entry that fails; exit code 1 if any.

A valid signature only proves that *some* key signed the package: anyone can re-sign a forged
package and ship their own public_key.pem. So the key is pinned with `--fingerprint FP` or
`--public-key FILE` (a PEM file, or the key list the service publishes at /api/v1/signing-key,
retired keys and their validity periods included); any other key is then refused. Exit codes:
0 trusted (valid, by a pinned key), 1 failed, 2 usage error, 3 valid but unpinned.

This file is also the definition of an audit entry's hash and of a key's fingerprint: the
server imports `entry_hash` and `key_fingerprint`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from datetime import datetime

SIGNED = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
UNLISTED_OK = {SIGNED, SIGNATURE, PUBLIC_KEY, "verify.py", "README.txt"}
CHUNK = 4 * 1024 * 1024
TRUSTED, FAILED, UNPINNED = 0, 1, 3
WHERE_PUBLISHED = ("the service publishes its keys at /api/v1/signing-key and prints them with "
                   "`evidence signing-key show`")


def entry_hash(entry_id, at_iso, actor_type, actor_id, actor_label, action, object_type, object_id, detail, ip,
               prev_hash) -> str:
    """SHA-256 of an audit entry's fields, in this order, as compact JSON."""
    fields = [entry_id, at_iso, actor_type, actor_id, actor_label, action, object_type, object_id, detail, ip,
              prev_hash]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def key_fingerprint(public_pem: bytes) -> str:
    """First 16 bytes of SHA-256 over the raw Ed25519 public key, in hex (how the service names its keys)."""
    from cryptography.hazmat.primitives import serialization

    raw = serialization.load_pem_public_key(public_pem).public_bytes(serialization.Encoding.Raw,
                                                                     serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def _plain(fingerprint: str) -> str:
    return "".join(c for c in fingerprint.strip().lower() if c not in ": -")


def load_pins(fingerprints=(), key_files=()) -> dict:
    """{fingerprint: (valid_from, valid_to) or None} from --fingerprint values and PEM / key-list files."""
    pins: dict = {_plain(fp): None for fp in fingerprints}
    for path in key_files:
        with open(path, "rb") as fh:
            data = fh.read()
        if not data.lstrip().startswith(b"{"):
            pins[key_fingerprint(data)] = None
            continue
        for key in json.loads(data).get("keys", []):
            fp = key_fingerprint(key["public_key_pem"].encode())
            if key.get("fingerprint") and _plain(key["fingerprint"]) != fp:
                raise ValueError(f"{path}: key listed as {key['fingerprint']} really has fingerprint {fp}")
            pins[fp] = (key.get("valid_from"), key.get("valid_to"))
    return pins


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_key(fingerprint: str, manifest: dict, pins: dict) -> str | None:
    """None when the signing key is pinned and was valid when the package was signed."""
    if fingerprint not in pins:
        shown = ", ".join(sorted(pins)[:5]) + (" ..." if len(pins) > 5 else "")
        return f"{PUBLIC_KEY}: signed by key {fingerprint}, which is not the key you pinned ({shown})"
    period = pins[fingerprint]
    if not period:
        return None
    signed = manifest.get("generated_at")
    try:
        at = _when(signed)
        too_early = period[0] is not None and at < _when(period[0])
        too_late = period[1] is not None and at >= _when(period[1])
    except (TypeError, ValueError, AttributeError):
        return f"manifest.json: signing time {signed!r} cannot be read, so the key's validity cannot be checked"
    if too_early or too_late:
        return (f"manifest.json: signed at {signed} by key {fingerprint}, outside its validity "
                f"(from {period[0]} to {period[1] or 'now'})")
    return None


def _hash_member(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with zf.open(name) as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def check_signature(manifest: bytes, signature: bytes, public_pem: bytes) -> str | None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        load_pem_public_key(public_pem).verify(signature, manifest)
    except InvalidSignature:
        return "manifest.json: signature does not match (the manifest was changed, or signed by another key)"
    except (ValueError, TypeError) as exc:
        return f"{PUBLIC_KEY}: not a usable Ed25519 public key ({exc})"
    return None


def check_audit(lines: list[str]) -> list[str]:
    problems, previous = [], None
    for n, line in enumerate(lines, 1):
        try:
            e = json.loads(line)
            expected = entry_hash(e["id"], e["at"], e["actor_type"], e["actor_id"], e["actor_label"], e["action"],
                                  e["object_type"], e["object_id"], e["detail"], e["ip"], e["prev_hash"])
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"audit.jsonl line {n}: unreadable entry ({exc})")
            previous = None
            continue
        if expected != e["entry_hash"]:
            problems.append(f"audit.jsonl line {n}: audit entry {e['id']} was edited (its content no longer matches its hash)")
        if previous is not None and e["id"] == previous["id"] + 1 and e["prev_hash"] != previous["entry_hash"]:
            problems.append(f"audit.jsonl line {n}: audit entry {e['id']} does not follow entry {previous['id']}")
        previous = e
    return problems


def verify(path: str, pins: dict | None = None) -> tuple[list[str], dict]:
    """Return (problems, manifest). No problems: the package is what the key in it signed, and that
    key is one of `pins` (when given)."""
    problems, manifest, _ = check_package(path, pins)
    return problems, manifest


def check_package(path: str, pins: dict | None = None) -> tuple[list[str], dict, str | None]:
    """(problems, manifest, fingerprint of the key that signed it)."""
    problems: list[str] = []
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable ZIP ({exc})"], {}, None
    with zf:
        names = set(zf.namelist())
        for required in (SIGNED, SIGNATURE, PUBLIC_KEY):
            if required not in names:
                problems.append(f"{required}: missing from the package")
        if problems:
            return problems, {}, None
        manifest_bytes = zf.read(SIGNED)
        public_pem = zf.read(PUBLIC_KEY)
        if (bad := check_signature(manifest_bytes, zf.read(SIGNATURE), public_pem)):
            problems.append(bad)
        try:
            fingerprint = key_fingerprint(public_pem)
        except (ValueError, TypeError):
            fingerprint = None
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError as exc:
            return problems + [f"manifest.json: not JSON ({exc})"], {}, fingerprint
        declared = (manifest.get("signature") or {}).get("key_id")
        if fingerprint and declared and declared != fingerprint:
            problems.append(f"manifest.json: names signing key {declared}, but {PUBLIC_KEY} is key {fingerprint}")
        if fingerprint and pins is not None and (bad := check_key(fingerprint, manifest, pins)):
            problems.append(bad)
        listed = {f["path"]: f for f in manifest.get("files", [])}
        for name, meta in sorted(listed.items()):
            if name not in names:
                problems.append(f"{name}: missing from the package")
                continue
            digest, size = _hash_member(zf, name)
            if size != meta["size"] or digest != meta["sha256"]:
                problems.append(f"{name}: altered (sha256 {digest}, {size} bytes; manifest says "
                                f"{meta['sha256']}, {meta['size']} bytes)")
        for name in sorted(names - set(listed) - UNLISTED_OK):
            problems.append(f"{name}: in the package but not in the manifest")
        if "audit.jsonl" in names:
            problems += check_audit(zf.read("audit.jsonl").decode("utf-8").splitlines())
    return problems, manifest, fingerprint


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Verify a body-camera evidence export offline. Exit 0: trusted "
                                             "(pinned key); 1: failed; 3: signature valid but the key is not pinned.")
    ap.add_argument("package", help="the export ZIP")
    ap.add_argument("--fingerprint", action="append", default=[],
                    help="the service's key fingerprint; any other key is refused (repeatable)")
    ap.add_argument("--public-key", action="append", default=[],
                    help="the service's public key (PEM) or its published key list (JSON from /api/v1/signing-key); "
                         "any other key is refused (repeatable)")
    args = ap.parse_args(argv)
    pins = None
    if args.fingerprint or args.public_key:
        try:
            pins = load_pins(args.fingerprint, args.public_key)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            print(f"error: cannot read the pinned key: {exc}")
            return 2
    problems, manifest, fingerprint = check_package(args.package, pins)
    case = manifest.get("case", {}).get("case_no", "?") if manifest else "?"
    if problems:
        print(f"FAILED: {len(problems)} problem(s) in export of case {case}"
              + (f" (signed by key {fingerprint})" if fingerprint else ""))
        for p in problems:
            print(f"  - {p}")
        return FAILED
    summary = f"{len(manifest.get('files', []))} files match their SHA-256; audit entries intact (case {case})"
    if pins is not None:
        period = pins[fingerprint]
        note = f" (retired {period[1]}; it signed this package while valid)" if period and period[1] else ""
        print(f"TRUSTED: signature valid by pinned key {fingerprint}{note}; {summary}")
        return TRUSTED
    print(f"UNPINNED: signature valid by key {fingerprint}; {summary}")
    print(f"WARNING: this package is only trusted if {fingerprint} is the fingerprint of the service's signing key: "
          f"{WHERE_PUBLISHED}. Anyone can re-sign a package with a key of their own. Run again with "
          "--fingerprint FP or --public-key KEYS.json to pin the service's key; any other key is then refused.")
    return UNPINNED


if __name__ == "__main__":
    sys.exit(main())
