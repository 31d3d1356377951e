"""Signed checkpoints of the audit chain's head, kept in the object-locked bucket, let
`evidence audit verify` see what the chain alone cannot: its newest entries cut off, or its tail
rewritten and re-hashed by someone with full database access."""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import subprocess
import sys
import time
import zipfile

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.audit.models import AuditEntry
from evidence.db import make_engine
from evidence.migrate import upgrade
from tests import media
from tests.conftest import ROOT, create_pg_database, drop_pg_database, unique
from tests.helpers import upload_as
from tests.audit.test_audit_chain import tamper

PREFIX = "audit-checkpoints/"


@pytest.fixture(params=["postgresql", "sqlite"])
def anchored(request, tmp_path, seaweed):
    """A database with 10 audit entries, its own buckets, and a CLI environment pointing at both."""
    url = create_pg_database() if request.param == "postgresql" else f"sqlite:///{tmp_path / 'audit.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        for i in range(10):
            audit.record(s, audit.Actor("user", i, f"P{i:04d}", "10.0.0.1"), "recording.read", "recording", i)
            s.commit()
    tag = secrets.token_hex(4)
    env = dict(os.environ, EVIDENCE_DATABASE_URL=url, EVIDENCE_DATA_DIR=str(tmp_path / "data"), COLUMNS="200",
               EVIDENCE_S3_ENDPOINT=seaweed.endpoint, EVIDENCE_S3_ACCESS_KEY=seaweed.access_key,
               EVIDENCE_S3_SECRET_KEY=seaweed.secret_key, EVIDENCE_BUCKET_ORIGINALS=f"cp-orig-{tag}",
               EVIDENCE_BUCKET_DERIVED=f"cp-der-{tag}", EVIDENCE_LOG_LEVEL="WARNING")
    yield engine, env
    engine.dispose()
    if request.param == "postgresql":
        drop_pg_database(url)


def cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def checkpoint(env) -> None:
    r = cli(env, "audit", "checkpoint")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "entry 10" in r.stdout


def rehash_from(engine, first_id: int, actor_label: str) -> None:
    """Change entries from `first_id` on and re-hash them and every link after: the chain stays consistent."""
    with Session(engine) as s:
        entries = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        s.expunge_all()
    statements, prev = [], None
    for e in entries:
        if e.id >= first_id:
            e.actor_label, e.prev_hash = actor_label, prev
            e.entry_hash = audit.entry_hash_of(e)
            statements.append(f"UPDATE audit_entries SET actor_label = '{actor_label}', prev_hash = '{e.prev_hash}', "
                              f"entry_hash = '{e.entry_hash}' WHERE id = {e.id}")
        prev = e.entry_hash
    # The unique index on prev_hash would collide mid-way; free the old values first.
    tamper(engine, *[f"UPDATE audit_entries SET prev_hash = 'tmp{e.id}' WHERE id = {e.id}"
                     for e in entries if e.id >= first_id], *statements)


def test_an_anchored_intact_chain_verifies(anchored):
    engine, env = anchored
    checkpoint(env)
    with Session(engine) as s:
        audit.record(s, audit.SYSTEM, "recording.read", "recording", 99)
        s.commit()
        newest = s.scalar(sa.select(sa.func.max(AuditEntry.id)))
    r = cli(env, "audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{newest} entries" in r.stdout and "checkpoint at entry 10" in r.stdout
    after = newest - 10
    assert f"{after} {'entry' if after == 1 else 'entries'} after the last checkpoint" in r.stdout


def test_newest_entries_cut_off_are_reported(anchored):
    engine, env = anchored
    checkpoint(env)
    tamper(engine, "DELETE FROM audit_entries WHERE id >= 9")
    chain_only = cli(env, "audit", "verify", "--chain-only")
    assert chain_only.returncode == 0  # the chain alone cannot tell
    r = cli(env, "audit", "verify")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "TRUNCATED" in r.stdout and "entry 10" in r.stdout and "ends at entry 8" in r.stdout


def test_a_rewritten_tail_is_reported(anchored):
    engine, env = anchored
    checkpoint(env)
    rehash_from(engine, 8, "P9999")
    assert cli(env, "audit", "verify", "--chain-only").returncode == 0  # re-hashed: the chain is consistent
    r = cli(env, "audit", "verify")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "REWRITTEN" in r.stdout and "entry 10" in r.stdout


def test_a_truncated_and_regrown_tail_is_reported(anchored):
    engine, env = anchored
    checkpoint(env)
    tamper(engine, "DELETE FROM audit_entries WHERE id >= 9")
    with Session(engine) as s:
        for i in range(2):
            audit.record(s, audit.SYSTEM, "recording.read", "recording", 100 + i)
            s.commit()
    r = cli(env, "audit", "verify")
    assert r.returncode == 1 and "REWRITTEN" in r.stdout, r.stdout + r.stderr


def test_a_checkpoint_signed_by_another_key_is_reported(anchored):
    from minio import Minio

    engine, env = anchored
    checkpoint(env)
    key = Ed25519PrivateKey.generate()
    payload = {"format": "bodycam-audit-checkpoint/1", "entry_id": 11, "entry_hash": "f" * 64,
               "entry_at": "2026-01-01T00:00:00+00:00", "signed_at": "2026-01-01T00:00:00+00:00",
               "reason": "periodic", "key_id": "0" * 32}
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    doc = json.dumps({"checkpoint": payload, "signature": base64.b64encode(key.sign(body)).decode()}).encode()
    client = Minio(env["EVIDENCE_S3_ENDPOINT"], env["EVIDENCE_S3_ACCESS_KEY"], env["EVIDENCE_S3_SECRET_KEY"],
                   secure=False)
    client.put_object(env["EVIDENCE_BUCKET_ORIGINALS"], f"{PREFIX}000000000011.json", io.BytesIO(doc), len(doc))
    r = cli(env, "audit", "verify")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "000000000011" in r.stdout and "not signed by a key of this service" in r.stdout


def test_checkpoints_are_object_locked(anchored):
    from minio import Minio
    from minio.error import S3Error

    _, env = anchored
    checkpoint(env)
    client = Minio(env["EVIDENCE_S3_ENDPOINT"], env["EVIDENCE_S3_ACCESS_KEY"], env["EVIDENCE_S3_SECRET_KEY"],
                   secure=False)
    bucket = env["EVIDENCE_BUCKET_ORIGINALS"]
    versions = [o for o in client.list_objects(bucket, prefix=PREFIX, recursive=True, include_version=True)]
    assert [o.object_name for o in versions] == [f"{PREFIX}000000000010.json"]
    with pytest.raises(S3Error) as err:
        client.remove_object(bucket, versions[0].object_name, version_id=versions[0].version_id)
    assert err.value.code == "AccessDenied"


# -- with the running service: the periodic task and the export ---------------------------------------------

def _checkpoints(store) -> dict[int, dict]:
    found = {}
    for obj in store.client.list_objects(store.originals, prefix=PREFIX, recursive=True):
        doc = json.loads(store.client.get_object(store.originals, obj.object_name).read())
        found[doc["checkpoint"]["entry_id"]] = doc["checkpoint"]
    return found


def _head() -> tuple[int, str]:
    from evidence.db import session_scope
    from evidence.audit.models import AuditEntry

    with session_scope() as s:
        row = s.execute(sa.select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).one()
    return row.id, row.entry_hash


def test_the_scheduler_checkpoints_the_head(service, store, admin_token):  # the admin login is audited
    from workers.celery_app import celery_app
    from workers.tasks import audit_checkpoint

    assert "workers.tasks.audit_checkpoint" in {e["task"] for e in celery_app.conf.beat_schedule.values()}
    head_id, head_hash = _head()
    audit_checkpoint.delay()
    deadline = time.monotonic() + 60
    while head_id not in _checkpoints(store) and time.monotonic() < deadline:
        time.sleep(0.5)
    cp = _checkpoints(store).get(head_id)
    assert cp is not None and cp["entry_hash"] == head_hash and cp["reason"] == "periodic"
    r = subprocess.run([sys.executable, "-m", "entrypoints.cli", "audit", "verify"], env=dict(service.env, COLUMNS="200"),
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and f"checkpoint at entry {head_id}" in r.stdout, r.stdout + r.stderr
    api = service.http.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {admin_token}"}).json()
    assert api["ok"] and api["checkpoint_problems"] == [] and api["anchored_entry"] >= head_id, api


def test_every_export_checkpoints_the_head(world, service, store, tmp_path):
    clip = media.h264_mp4(tmp_path / "c.mp4", seed=902, seconds=1)
    rec_id = upload_as(world, clip, world.users["officer_a"][0], serial=unique("CAMC").upper())
    handler = world.headers("case_handler")
    r = service.http.post("/api/v1/cases", headers=handler, json={
        "case_no": unique("CP").upper(), "case_type": "accident", "unit_code": world.units["dd1"]["code"],
        "handlers": [world.users["case_handler"][0]]})
    case_id = r.json()["id"]
    assert service.http.post(f"/api/v1/cases/{case_id}/recordings", headers=handler,
                             json={"recording_id": rec_id}).status_code == 201
    head_id, head_hash = _head()
    r = service.http.get(f"/api/v1/cases/{case_id}/export", headers=handler)
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    anchor = manifest["audit_checkpoint"]
    assert (anchor["entry_id"], anchor["entry_hash"]) == (head_id, head_hash)
    stored = _checkpoints(store)[head_id]
    assert stored["entry_hash"] == head_hash and anchor["object_key"] == f"{PREFIX}{head_id:012d}.json"
