#!/usr/bin/env python3
"""Verify an evidence export offline: `python verify.py EXPORT.zip` (or `evidence-verify-export`).

Needs Python 3.9+ and the `cryptography` package; neither the server nor its database. Checks
the Ed25519 signature over manifest.json, the SHA-256 and size of every file the manifest
lists, that no file was added, and that each audit entry still hashes to its recorded hash
and links to the entry before it. Names each file or entry that fails; exit code 1 if any.

This file is also the definition of an audit entry's hash: the server imports `entry_hash`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile

SIGNED = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
UNLISTED_OK = {SIGNED, SIGNATURE, PUBLIC_KEY, "verify.py", "README.txt"}
CHUNK = 4 * 1024 * 1024


def entry_hash(entry_id, at_iso, actor_type, actor_id, actor_label, action, object_type, object_id, detail, ip,
               prev_hash) -> str:
    """SHA-256 of an audit entry's fields, in this order, as compact JSON."""
    fields = [entry_id, at_iso, actor_type, actor_id, actor_label, action, object_type, object_id, detail, ip,
              prev_hash]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


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


def verify(path: str, expected_public_key: bytes | None = None) -> tuple[list[str], dict]:
    """Return (problems, manifest). No problems: the package is what the service signed."""
    problems: list[str] = []
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable ZIP ({exc})"], {}
    with zf:
        names = set(zf.namelist())
        for required in (SIGNED, SIGNATURE, PUBLIC_KEY):
            if required not in names:
                problems.append(f"{required}: missing from the package")
        if problems:
            return problems, {}
        manifest_bytes = zf.read(SIGNED)
        public_pem = zf.read(PUBLIC_KEY)
        if expected_public_key is not None and expected_public_key.strip() != public_pem.strip():
            problems.append(f"{PUBLIC_KEY}: not the key you expected (compare with the service's published key)")
        if (bad := check_signature(manifest_bytes, zf.read(SIGNATURE), public_pem)):
            problems.append(bad)
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError as exc:
            return problems + [f"manifest.json: not JSON ({exc})"], {}
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
    return problems, manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Verify a body-camera evidence export offline.")
    ap.add_argument("package", help="the export ZIP")
    ap.add_argument("--public-key", help="PEM file of the service's published key, to compare with the package's")
    args = ap.parse_args(argv)
    expected = open(args.public_key, "rb").read() if args.public_key else None
    problems, manifest = verify(args.package, expected)
    case = manifest.get("case", {}).get("case_no", "?") if manifest else "?"
    if problems:
        print(f"FAILED: {len(problems)} problem(s) in export of case {case}")
        for p in problems:
            print(f"  - {p}")
        return 1
    files = len(manifest.get("files", []))
    print(f"OK: signature valid; {files} files match their SHA-256; audit entries intact (case {case})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
