"""Cases, evidence, retention, approvals and the court export, against the real services."""

from __future__ import annotations

import json
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from minio.error import S3Error
from sqlalchemy import select

from docking_station.client import StationClient, sha256_file
from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from evidence.recordings.models import Recording
from storage.keys import original_key
from tests import media
from tests.conftest import unique
from tests.helpers import meta_for, verify_offline
from tests.stored import arrived_long_ago
from tests.workers.test_media import wait_processed


def upload(world, path: Path, police_id: str, started_at: str) -> int:
    client = StationClient(world.service.base_url, world.station_key)
    try:
        result = client.upload(path, meta_for(path, police_id=police_id, serial=unique("CAMX").upper(),
                                              started_at=started_at))
    finally:
        client.close()
    assert result.status in ("verified", "already_verified"), result
    return result.recording_id


@pytest.fixture(scope="module")
def built_case(world, service, admin_token, tmp_path_factory):
    """A ledger event with a case number, two clips of officer A covering it, and a case built from it."""
    d = tmp_path_factory.mktemp("case-media")
    A = world.users["officer_a"][0]
    case_no, tag = unique("AJ").upper(), unique("EV")
    clips = [media.h264_mp4(d / f"clip{i}.mp4", seed=400 + i, seconds=3) for i in range(2)]
    ids = [upload(world, clips[0], A, "2026-11-18T10:00:00"), upload(world, clips[1], A, "2026-11-18T10:00:03")]
    wait_processed([sha256_file(c) for c in clips])
    ledger = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
              f"{tag},accident,{A},2026-11-18T10:00:00,2026-11-18T10:00:06,{case_no}\n")
    admin = {"Authorization": f"Bearer {admin_token}"}
    r = service.http.post("/api/v1/ledger/import", headers=admin, files={"file": ("l.csv", ledger.encode(), "text/csv")})
    assert r.json()["created"] == 1, r.text
    handler = world.headers("case_handler")
    r = service.http.post("/api/v1/cases/from-ledger", headers=handler, json={"case_no": case_no})
    assert r.status_code == 201, r.text
    case = r.json()
    return {"case": case, "recordings": ids, "clips": clips, "case_no": case_no}


def test_a_case_from_the_ledger_suggests_its_footage(built_case, service, world):
    case = built_case["case"]
    assert case["stage"] == "accepted" and case["case_type"] == "accident"
    assert sorted(case["suggestions"]) == sorted(built_case["recordings"])
    http, handler = service.http, world.headers("case_handler")
    first, second = built_case["recordings"]
    assert http.post(f"/api/v1/cases/{case['id']}/suggestions/{first}", headers=handler,
                     json={"accept": True}).status_code == 200
    assert http.post(f"/api/v1/cases/{case['id']}/suggestions/{second}", headers=handler,
                     json={"accept": False}).status_code == 200
    body = http.get(f"/api/v1/cases/{case['id']}", headers=handler).json()
    assert [a["recording_id"] for a in body["recordings"]] == [first] and body["suggestions"] == []
    # The rejected one can still be attached by hand, with marks.
    r = http.post(f"/api/v1/cases/{case['id']}/recordings", headers=handler,
                  json={"recording_id": second, "mark_in": 0.5, "mark_out": 2.5, "note": "driver leaves the car"})
    assert r.status_code == 201, r.text
    r = http.post(f"/api/v1/cases/{case['id']}/recordings", headers=handler,
                  json={"recording_id": first, "mark_in": 2, "mark_out": 1})
    assert r.status_code == 409 or r.status_code == 422
    rec = http.get(f"/api/v1/recordings/{first}", headers=world.headers("admin2")).json()
    assert rec["retention_class"] == "case" and rec["retain_until"] is None  # evidence: kept permanently


def test_stages_follow_the_workflow_and_keep_history(built_case, service, world):
    http, handler, case_id = service.http, world.headers("case_handler"), built_case["case"]["id"]
    for stage in ("investigation", "determination"):
        assert http.post(f"/api/v1/cases/{case_id}/stage", headers=handler, json={"stage": stage}).status_code == 200
    r = http.post(f"/api/v1/cases/{case_id}/stage", headers=handler, json={"stage": "archived"})
    assert r.status_code == 409 and "can move to: served" in r.json()["detail"]
    history = http.get(f"/api/v1/cases/{case_id}", headers=handler).json()["stage_history"]
    assert [(h["from"], h["to"]) for h in history] == [(None, "accepted"), ("accepted", "investigation"),
                                                        ("investigation", "determination")]


def test_an_officer_cannot_attach_or_export(built_case, service, world):
    http, case_id = service.http, built_case["case"]["id"]
    officer = world.headers("officer_a")
    assert http.post("/api/v1/cases", headers=officer, json={"case_no": "X1", "case_type": "other"}).status_code == 403
    r = http.post(f"/api/v1/cases/{case_id}/recordings", headers=officer,
                  json={"recording_id": built_case["recordings"][0]})
    assert r.status_code in (403, 404)
    assert http.get(f"/api/v1/cases/{case_id}/export", headers=officer).status_code in (403, 404)
    assert http.get(f"/api/v1/cases/{case_id}/export", headers=world.headers("auditor")).status_code == 403


def _export(built_case, service, world, tmp_path) -> Path:
    r = service.http.get(f"/api/v1/cases/{built_case['case']['id']}/export", headers=world.headers("case_handler"))
    assert r.status_code == 200, r.text
    path = tmp_path / "export.zip"
    path.write_bytes(r.content)
    return path


def _rewrite(package: Path, out: Path, change) -> Path:
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            data = change(item.filename, src.read(item.filename))
            if data is not None:
                dst.writestr(item.filename, data)
    return out


def test_export_verifies_offline_and_catches_tampering(built_case, service, world, tmp_path):
    package = _export(built_case, service, world, tmp_path)
    service_key = service.http.get("/api/v1/signing-key").json()["current"]  # what a court pins
    ok = verify_offline(package, tmp_path, "--fingerprint", service_key)
    assert ok.returncode == 0 and ok.stdout.startswith("TRUSTED"), ok.stdout + ok.stderr
    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = zf.namelist()
    assert manifest["case"]["case_no"] == built_case["case_no"]
    marked = next(r for r in manifest["recordings"] if r["id"] == built_case["recordings"][1])
    assert (marked["mark_in"], marked["mark_out"], marked["note"]) == (0.5, 2.5, "driver leaves the car")
    originals = [n for n in names if n.startswith("originals/")]
    assert len(originals) == 2
    for f in manifest["files"]:
        if f["kind"] == "original":
            rec_sha = next(r["sha256"] for r in manifest["recordings"] if r["file"] == f["path"])
            assert f["sha256"] == rec_sha
    # The service publishes the same key.
    published = service.http.get("/api/v1/signing-key").json()
    with zipfile.ZipFile(package) as zf:
        current = next(k for k in published["keys"] if k["fingerprint"] == published["current"])
        assert zf.read("public_key.pem").decode() == current["public_key_pem"]

    victim = originals[0]
    flipped = _rewrite(package, tmp_path / "flipped.zip",
                       lambda n, d: (d[:100] + bytes([d[100] ^ 1]) + d[101:]) if n == victim else d)
    r = verify_offline(flipped, tmp_path)
    assert r.returncode == 1 and f"{victim}: altered" in r.stdout

    removed = _rewrite(package, tmp_path / "removed.zip", lambda n, d: None if n == victim else d)
    r = verify_offline(removed, tmp_path)
    assert r.returncode == 1 and f"{victim}: missing" in r.stdout

    def edit_manifest(n, d):
        if n != "manifest.json":
            return d
        m = json.loads(d)
        m["case"]["title"] = "something else"
        return json.dumps(m, ensure_ascii=False, indent=2).encode()

    r = verify_offline(_rewrite(package, tmp_path / "manifest.zip", edit_manifest), tmp_path)
    assert r.returncode == 1 and "signature does not match" in r.stdout

    def edit_audit(n, d):
        if n != "audit.jsonl":
            return d
        lines = d.decode().splitlines()
        entry = json.loads(lines[0])
        entry["actor_label"] = "SOMEONE-ELSE"
        lines[0] = json.dumps(entry, ensure_ascii=False)
        return ("\n".join(lines) + "\n").encode()

    r = verify_offline(_rewrite(package, tmp_path / "audit.zip", edit_audit), tmp_path)
    assert r.returncode == 1
    assert "audit.jsonl: altered" in r.stdout and "was edited" in r.stdout
    with session_scope() as s:
        exported = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.export",
                                                      AuditEntry.object_id == str(built_case["case"]["id"]))).all()
    assert exported, "the export is audited"


def test_object_lock_refuses_an_early_delete(built_case, store):
    with session_scope() as s:
        rec = s.get(Recording, built_case["recordings"][0])
        key = rec.object_key
    versions = [o.version_id for o in store.client.list_objects(store.originals, prefix=key, include_version=True)]
    assert versions
    for v in versions:
        with pytest.raises(S3Error) as err:
            store.client.remove_object(store.originals, key, version_id=v)
        assert err.value.code == "AccessDenied"
    assert store.stat_original(key) is not None


def test_the_sweep_deletes_only_expired_unheld_unlinked_originals(built_case, world, service, admin_token, store, tmp_path):
    A = world.users["officer_a"][0]
    old = {name: media.h264_mp4(tmp_path / f"{name}.mp4", seed=500 + i, seconds=1)
           for i, name in enumerate(("expired", "held", "on_case"))}
    # Recorded and stored more than 6 months ago (retention counts from arrival; their lock has run out).
    recorded, arrived = datetime(2025, 1, 5, 1, tzinfo=timezone.utc), datetime(2025, 1, 6, 3, tzinfo=timezone.utc)
    ids = {name: arrived_long_ago(store, p, A, recorded, arrived) for name, p in old.items()}
    fresh = built_case["recordings"][0]
    admin = {"Authorization": f"Bearer {admin_token}"}
    http = service.http
    assert http.post(f"/api/v1/recordings/{ids['held']}/hold", headers=world.headers("supervisor_dd1"),
                     json={"hold": True, "reason": "complaint pending"}).status_code == 200
    r = http.post(f"/api/v1/cases/{built_case['case']['id']}/recordings", headers=world.headers("case_handler"),
                  json={"recording_id": ids["on_case"]})
    assert r.status_code == 201, r.text
    dry = http.post("/api/v1/retention/sweep", headers=admin, json={"dry_run": True}).json()
    candidates = {c["id"] for c in dry["candidates"]}
    assert ids["expired"] in candidates
    assert not candidates & {ids["held"], ids["on_case"], fresh}
    assert store.stat_original(original_key(sha256_file(old["expired"]))) is not None  # a dry run deletes nothing
    done = http.post("/api/v1/retention/sweep", headers=admin, json={"dry_run": False}).json()
    assert ids["expired"] in {d["id"] for d in done["deleted"]}
    assert store.stat_original(original_key(sha256_file(old["expired"]))) is None
    for name in ("held", "on_case"):
        assert store.stat_original(original_key(sha256_file(old[name]))) is not None
    gone = http.get(f"/api/v1/recordings/{ids['expired']}", headers=admin).json()
    assert gone["status"] == "verified" and gone.get("deleted_at") is not None  # the record stays, marked
    assert http.post(f"/api/v1/recordings/{ids['expired']}/download", headers=admin).status_code == 403
    with session_scope() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "retention.delete",
                                                    AuditEntry.object_id == str(ids["expired"])))
    runs = http.get("/api/v1/retention/runs", headers=admin).json()
    assert [r["dry_run"] for r in runs[:2]] == [False, True]


def test_an_access_grant_expires_on_time(built_case, world, service):
    http, rec_id = service.http, built_case["recordings"][0]  # officer A's, unit 中队 1 under 大队 1
    outsider = world.headers("officer_c")  # 大队 2
    assert http.get(f"/api/v1/recordings/{rec_id}", headers=outsider).status_code == 404
    r = http.post("/api/v1/access-requests", headers=outsider,
                  json={"recording_id": rec_id, "reason": "same vehicle in my accident case"})
    assert r.status_code == 201, r.text
    req_id = r.json()["id"]
    r = http.post(f"/api/v1/access-requests/{req_id}/decision", headers=world.headers("supervisor_dd2"),
                  json={"approve": True, "expires_in_seconds": 3})
    assert r.status_code == 403, "only the owning unit's supervisor decides"
    r = http.post(f"/api/v1/access-requests/{req_id}/decision", headers=world.headers("supervisor_dd1"),
                  json={"approve": True, "expires_in_seconds": 3})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert http.get(f"/api/v1/recordings/{rec_id}", headers=outsider).status_code == 200
    time.sleep(3.5)
    assert http.get(f"/api/v1/recordings/{rec_id}", headers=outsider).status_code == 404
    # Auditors see it: the access report and the outside-unit report.
    auditor = world.headers("auditor")
    outside = http.get("/api/v1/audit/report/outside-unit", headers=auditor).json()
    assert any(o["recording_id"] == rec_id and o["user"] == world.users["officer_c"][0] for o in outside)
    entries = http.get("/api/v1/audit/entries", headers=auditor,
                       params={"action": "access.*", "object_id": str(rec_id)}).json()
    assert [e["action"] for e in entries] == ["access.request", "access.approve"]
