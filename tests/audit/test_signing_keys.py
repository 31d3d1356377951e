"""Court packages name the key that signed them: a package re-signed by another key fails once
the service's key is pinned (by fingerprint or by the published key list), says plainly that it
is unpinned otherwise, and a package signed before a key rotation still verifies after it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests import media
from tests.conftest import ROOT, unique
from tests.helpers import upload_as, verify_offline

UNPINNED = 3  # verify.py: signature valid, but by a key nobody pinned


@pytest.fixture(scope="module")
def case_with_clip(world, service, tmp_path_factory):
    d = tmp_path_factory.mktemp("keys-media")
    clip = media.h264_mp4(d / "clip.mp4", seed=901, seconds=1)
    rec_id = upload_as(world, clip, world.users["officer_a"][0], serial=unique("CAMK").upper())
    handler = world.headers("case_handler")
    r = service.http.post("/api/v1/cases", headers=handler, json={
        "case_no": unique("KEY").upper(), "case_type": "accident", "unit_code": world.units["dd1"]["code"],
        "handlers": [world.users["case_handler"][0]]})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = service.http.post(f"/api/v1/cases/{case_id}/recordings", headers=handler, json={"recording_id": rec_id})
    assert r.status_code == 201, r.text
    return case_id


def export(service, world, case_id, path: Path) -> Path:
    r = service.http.get(f"/api/v1/cases/{case_id}/export", headers=world.headers("case_handler"))
    assert r.status_code == 200, r.text
    path.write_bytes(r.content)
    return path


def cli(service, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=dict(service.env, COLUMNS="200"),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def fingerprint_of(pem: bytes) -> str:
    raw = serialization.load_pem_public_key(pem).public_bytes(serialization.Encoding.Raw,
                                                              serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def forge(package: Path, out: Path) -> str:
    """Replace one original, fix its hash in the manifest, re-sign with a new key shipped as public_key.pem."""
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with zipfile.ZipFile(package) as src:
        manifest = json.loads(src.read("manifest.json"))
        victim = next(f for f in manifest["files"] if f["kind"] == "original")
        fake = b"not what the camera recorded " * 100
        victim["sha256"], victim["size"] = hashlib.sha256(fake).hexdigest(), len(fake)
        for rec in manifest["recordings"]:
            if rec["file"] == victim["path"]:
                rec["sha256"], rec["size_bytes"] = victim["sha256"], len(fake)
        manifest.get("signature", {}).pop("key_id", None)
        body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        replaced = {victim["path"]: fake, "manifest.json": body, "manifest.sig": key.sign(body), "public_key.pem": pem}
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
            for item in src.infolist():
                dst.writestr(item.filename, replaced.get(item.filename, src.read(item.filename)))
    return fingerprint_of(pem)


def published(service) -> dict:
    r = service.http.get("/api/v1/signing-key")
    assert r.status_code == 200, r.text
    return r.json()


def test_the_service_publishes_its_key_fingerprint(case_with_clip, service, world, tmp_path):
    package = export(service, world, case_with_clip, tmp_path / "p.zip")
    with zipfile.ZipFile(package) as zf:
        in_package = fingerprint_of(zf.read("public_key.pem"))
        manifest = json.loads(zf.read("manifest.json"))
    keys = published(service)
    assert keys["current"] == in_package == manifest["signature"]["key_id"]
    current = next(k for k in keys["keys"] if k["fingerprint"] == in_package)
    assert current["valid_to"] is None and current["valid_from"]
    shown = cli(service, "signing-key", "show")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert in_package in shown.stdout


def test_a_forged_package_fails_once_the_key_is_pinned(case_with_clip, service, world, tmp_path):
    package = export(service, world, case_with_clip, tmp_path / "genuine.zip")
    service_fp = published(service)["current"]
    forged = tmp_path / "forged.zip"
    forger_fp = forge(package, forged)

    unpinned = verify_offline(forged, tmp_path)
    assert unpinned.returncode == UNPINNED, unpinned.stdout + unpinned.stderr
    assert not unpinned.stdout.startswith("OK")
    assert forger_fp in unpinned.stdout and "/api/v1/signing-key" in unpinned.stdout
    assert "only trusted if" in unpinned.stdout

    pinned = verify_offline(forged, tmp_path, "--fingerprint", service_fp)
    assert pinned.returncode == 1 and pinned.stdout.startswith("FAILED"), pinned.stdout
    assert forger_fp in pinned.stdout and "not the key you pinned" in pinned.stdout

    key_list = tmp_path / "keys.json"
    key_list.write_text(json.dumps(published(service)))
    listed = verify_offline(forged, tmp_path, "--public-key", str(key_list))
    assert listed.returncode == 1 and "not the key you pinned" in listed.stdout, listed.stdout

    # The genuine package: trusted when pinned either way, and the unpinned run still warns.
    ok = verify_offline(package, tmp_path, "--fingerprint", service_fp.upper())
    assert ok.returncode == 0 and ok.stdout.startswith("TRUSTED"), ok.stdout + ok.stderr
    assert verify_offline(package, tmp_path, "--public-key", str(key_list)).returncode == 0
    assert verify_offline(package, tmp_path).returncode == UNPINNED


def test_a_package_signed_before_a_rotation_verifies_against_the_published_list(case_with_clip, service, world,
                                                                                 tmp_path):
    from evidence.audit import signing
    from evidence.db import session_scope
    from evidence.errors import Conflict

    before = export(service, world, case_with_clip, tmp_path / "before.zip")
    old_fp = published(service)["current"]
    old_pem = (service.data_dir / "secrets" / "signing_key.pem").read_text()
    rotated = cli(service, "signing-key", "rotate")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    keys = published(service)
    new_fp = keys["current"]
    assert new_fp != old_fp and new_fp in rotated.stdout and old_fp in rotated.stdout
    old = next(k for k in keys["keys"] if k["fingerprint"] == old_fp)
    assert old["valid_to"] is not None and old["status"] == "retired"

    after = export(service, world, case_with_clip, tmp_path / "after.zip")
    with zipfile.ZipFile(after) as zf:
        assert fingerprint_of(zf.read("public_key.pem")) == new_fp
    key_list = tmp_path / "keys.json"
    key_list.write_text(json.dumps(keys))
    for package in (before, after):
        r = verify_offline(package, tmp_path, "--public-key", str(key_list))
        assert r.returncode == 0 and r.stdout.startswith("TRUSTED"), r.stdout + r.stderr
    r = verify_offline(before, tmp_path, "--public-key", str(key_list))
    assert "retired" in r.stdout
    # Pinned to the new key alone, the old package is not accepted.
    assert verify_offline(before, tmp_path, "--fingerprint", new_fp).returncode == 1

    # A host still configured with the retired key refuses to sign with it.
    key_file = service.data_dir / "secrets" / "signing_key.pem"
    new_pem = key_file.read_text()
    key_file.write_text(old_pem)
    try:
        with session_scope() as s, pytest.raises(Conflict, match="retired"):
            signing.signer(s)
    finally:
        key_file.write_text(new_pem)
