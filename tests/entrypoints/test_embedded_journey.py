"""The CI lane for the embedded default: the whole journey on `evidence serve` exactly as
`scripts/serve` starts it (SQLite, embedded broker, local SeaweedFS), driven over HTTP with the
real dock agent and checked with the offline verifier. Select it alone with `-m embedded`."""

from __future__ import annotations

import zipfile

import httpx
import pytest

from tests import media
from tests.dock import dock, write_dock_env
from tests.helpers import poll, verify_offline
from tests.serve import start_serve

pytestmark = pytest.mark.embedded



def test_dock_process_ledger_case_export_verify_on_the_single_box(tmp_path):
    box = start_serve(tmp_path)
    try:
        health = box.wait_healthy()
        assert (health["database"]["backend"], health["broker"]["transport"]) == ("sqlite", "sqlite-broker")
        http = httpx.Client(base_url=box.base_url, timeout=120)
        _journey(http, box.admin_password(), tmp_path)
        http.close()
    finally:
        code = box.stop()
    assert code == 0, box.output()[-3000:]
    assert "database is locked" not in box.output(), box.output()[-3000:]


def _journey(http: httpx.Client, admin_password: str, tmp_path) -> None:
    def login(police_id: str, password: str) -> dict:
        r = http.post("/api/v1/auth/login", json={"police_id": police_id, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    admin = login("admin", admin_password)
    for code, level, parent in (("ZD01", "detachment", None), ("DD01", "brigade", "ZD01")):
        r = http.post("/api/v1/units", headers=admin, json={"code": code, "name": code, "level": level,
                                                            "parent_code": parent})
        assert r.status_code == 201, r.text
    for police_id, role in (("010203", "officer"), ("020304", "case_handler")):
        r = http.post("/api/v1/users", headers=admin, json={"police_id": police_id, "name": role, "role": role,
                                                            "password": "Dock-Shift-7q" + police_id[::-1], "unit_code": "DD01"})
        assert r.status_code == 201, r.text
    r = http.post("/api/v1/stations", headers=admin, json={"name": "一大队 dock 1", "unit_code": "DD01"})
    assert r.status_code == 201, r.text
    station_key = r.json()["api_key"]

    # A camera docked through the real agent: two 4-second clips, 10:00:00 and 10:00:04 by its clock.
    camera = tmp_path / "camera" / "DCIM"
    camera.mkdir(parents=True)
    for i, s in enumerate(("000", "004")):
        media.h264_mp4(camera / f"CAME2E_010203_20261120100{s}_000{i + 1}.mp4", seed=500 + i, seconds=4)
    env = write_dock_env(tmp_path / "dock.env", str(http.base_url).rstrip("/"), station_key, tmp_path / "spool")
    result = dock("ingest", str(camera.parent), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any(camera.iterdir()), "the camera is wiped once the server verified every file"

    def processed():
        items = http.get("/api/v1/recordings", headers=admin).json()["items"]
        done = [i for i in items if i["processing_state"] in ("ready", "unplayable", "failed")]
        return items if len(items) == 2 and len(done) == 2 else None

    recordings = poll("processing", processed)
    assert {i["processing_state"] for i in recordings} == {"ready"}, recordings
    ids = sorted(i["id"] for i in recordings)

    ledger = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
              "E2E-1,accident,010203,2026-11-20T10:00:00,2026-11-20T10:00:08,AJ-E2E-1\n")
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("ledger.csv", ledger.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 1, r.text

    def covered():
        day = {"start_from": "2026-11-20T00:00:00", "start_to": "2026-11-21T00:00:00"}
        items = http.get("/api/v1/coverage/events", headers=admin, params=day).json()["items"]
        event = next((e for e in items if e["event_id"] == "E2E-1"), None)
        return event if event and event["status"] == "covered" else None

    event = poll("coverage", covered)
    assert (event["window_seconds"], event["covered_seconds"]) == (8, 8), event

    handler = login("020304", "Dock-Shift-7q" + "020304"[::-1])
    r = http.post("/api/v1/cases/from-ledger", headers=handler, json={"case_no": "AJ-E2E-1"})
    assert r.status_code == 201, r.text
    case = r.json()
    assert sorted(case["suggestions"]) == ids, case
    r = http.post(f"/api/v1/cases/{case['id']}/suggestions/{ids[0]}", headers=handler, json={"accept": True})
    assert r.status_code == 200, r.text
    r = http.post(f"/api/v1/cases/{case['id']}/recordings", headers=handler,
                  json={"recording_id": ids[1], "mark_in": 0.5, "mark_out": 3.5, "note": "driver leaves the car"})
    assert r.status_code == 201, r.text

    r = http.get(f"/api/v1/cases/{case['id']}/export", headers=handler)
    assert r.status_code == 200, r.text
    package = tmp_path / "case.zip"
    package.write_bytes(r.content)
    assert zipfile.is_zipfile(package), f"the export is not a ZIP ({len(r.content)} bytes)"
    with zipfile.ZipFile(package) as zf:
        originals = sorted(n for n in zf.namelist() if n.startswith("originals/"))
        assert len(originals) == 2
    fingerprint = http.get("/api/v1/signing-key").json()["current"]  # what the court pins, published by the service
    verified = verify_offline(package, tmp_path, "--fingerprint", fingerprint)
    assert verified.returncode == 0 and verified.stdout.startswith("TRUSTED"), verified.stdout + verified.stderr
    entries = http.get("/api/v1/audit/entries", headers=admin, params={"action": "case.export"}).json()
    assert any(e["object_id"] == str(case["id"]) for e in entries), entries
    assert http.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True
