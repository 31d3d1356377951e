"""The case pages' reads (the list by stage with counts, one case's workspace) and viewer.html in
the court export, against the real services."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import select

from evidence.db import session_scope
from evidence.audit.models import AuditEntry
from tests.helpers import verify_offline
from tests.cases import test_cases
from tests.cases.test_cases import _rewrite

built_case = test_cases.built_case  # the same module-scoped fixture: a case built from the ledger
VIEWER = Path(__file__).resolve().parents[2] / "evidence" / "cases" / "viewer.html"


def _work_the_case(built_case, service, world):
    """Accept the first suggestion, reject the second, then attach the second by hand with marks."""
    http, handler, case_id = service.http, world.headers("case_handler"), built_case["case"]["id"]
    first, second = built_case["recordings"]
    body = http.get(f"/api/v1/cases/{case_id}/workspace", headers=handler).json()
    if body["suggestions"]:
        assert http.post(f"/api/v1/cases/{case_id}/suggestions/{first}", headers=handler,
                         json={"accept": True}).status_code == 200
        assert http.post(f"/api/v1/cases/{case_id}/suggestions/{second}", headers=handler,
                         json={"accept": False}).status_code == 200
        r = http.post(f"/api/v1/cases/{case_id}/recordings", headers=handler,
                      json={"recording_id": second, "mark_in": 0.5, "mark_out": 2.5, "note": "driver leaves the car"})
        assert r.status_code == 201, r.text
    return http.get(f"/api/v1/cases/{case_id}/workspace", headers=handler).json()


def test_the_workspace_shows_suggestions_with_their_events_then_clips_with_who_and_marks(built_case, service, world):
    http, handler, case_id = service.http, world.headers("case_handler"), built_case["case"]["id"]
    before = http.get(f"/api/v1/cases/{case_id}/workspace", headers=handler)
    assert before.status_code == 200, before.text
    body = before.json()
    assert body["case_no"] == built_case["case_no"] and body["stage"] == "accepted"
    assert body["unit_name"] == "zhd1 unit" and body["may_work"] and body["may_export"] and not body["may_hold"]
    assert body["next_stages"] == ["investigation"]
    assert [h["police_id"] for h in body["handlers"]] == [world.users["case_handler"][0]]
    assert [(h["from_stage"], h["to_stage"], h["by_name"]) for h in body["stage_history"]] == [
        (None, "accepted", "case_handler")]
    suggested = {s["recording_id"]: s for s in body["suggestions"]}
    assert sorted(suggested) == sorted(built_case["recordings"])
    one = suggested[built_case["recordings"][0]]
    assert one["recording"]["officer_police_id"] == world.users["officer_a"][0]
    assert one["recording"]["officer_name"] == "officer_a" and one["recording"]["media_kind"] == "video"
    assert [e["event_type"] for e in one["events"]] == ["accident"], "why it is suggested: the case's ledger event"
    assert body["clips"] == [] and body["export_expected_bytes"] is None

    body = _work_the_case(built_case, service, world)
    assert body["suggestions"] == []
    clips = {c["recording_id"]: c for c in body["clips"]}
    marked = clips[built_case["recordings"][1]]
    assert (marked["mark_in"], marked["mark_out"], marked["note"]) == (0.5, 2.5, "driver leaves the car")
    assert marked["attached_by"] == world.users["case_handler"][0] and marked["attached_by_name"] == "case_handler"
    rate = marked["recording"]["frame_rate"]
    assert rate and marked["mark_in_frame"] == int(0.5 * rate) and marked["mark_out_frame"] == int(2.5 * rate)

    # Detaching stamps the clip: it stays in the workspace, with who and when.
    attachment = clips[built_case["recordings"][0]]["attachment_id"]
    assert http.delete(f"/api/v1/cases/{case_id}/recordings/{attachment}", headers=handler).status_code == 200
    body = http.get(f"/api/v1/cases/{case_id}/workspace", headers=handler).json()
    gone = next(c for c in body["clips"] if c["attachment_id"] == attachment)
    assert gone["detached_at"] and gone["detached_by_name"] == "case_handler"
    r = http.post(f"/api/v1/cases/{case_id}/recordings", headers=handler,
                  json={"recording_id": built_case["recordings"][0], "note": "attached again"})
    assert r.status_code == 201, r.text

    with session_scope() as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.read",
                                                   AuditEntry.object_id == str(case_id))).all()
    assert reads, "every workspace read is audited"


def test_the_workspace_stays_within_reach(built_case, service, world):
    http, case_id = service.http, built_case["case"]["id"]
    for outsider in ("supervisor_dd2", "officer_c", "officer_a"):
        r = http.get(f"/api/v1/cases/{case_id}/workspace", headers=world.headers(outsider))
        assert r.status_code == 404, (outsider, r.text)
        assert built_case["case_no"] not in r.text
    audited = http.get(f"/api/v1/cases/{case_id}/workspace", headers=world.headers("auditor")).json()
    assert not audited["may_work"] and not audited["may_export"] and audited["next_stages"] == []
    assert audited["suggestions"] == []
    supervisor = http.get(f"/api/v1/cases/{case_id}/workspace", headers=world.headers("supervisor_dd1")).json()
    assert supervisor["may_work"] and supervisor["may_hold"]
    assert http.get("/api/v1/cases/2147483647/workspace", headers=world.headers("admin2")).status_code == 404


def test_the_case_list_counts_every_stage_and_pages_one(built_case, service, world):
    http, handler = service.http, world.headers("case_handler")
    other = http.post("/api/v1/cases", headers=handler, json={"case_no": built_case["case_no"] + "-B",
                                                              "case_type": "violation", "title": "扣车 未录像"})
    assert other.status_code == 201, other.text
    case_id = other.json()["id"]
    r = http.post(f"/api/v1/cases/{case_id}/stage", headers=handler, json={"stage": "investigation"})
    assert r.status_code == 200, r.text
    body = http.get("/api/v1/case-list", headers=handler).json()
    assert body["counts"]["accepted"] == 1 and body["counts"]["investigation"] == 1
    assert set(body["counts"]) == {"accepted", "investigation", "determination", "served", "review", "returned",
                                   "archived"}
    assert body["total"] == 2 and [c["id"] for c in body["items"]] == [case_id, built_case["case"]["id"]]
    first = body["items"][1]
    assert first["unit_name"] == "zhd1 unit" and first["recordings"] >= 1
    only = http.get("/api/v1/case-list", headers=handler, params={"stage": "investigation"}).json()
    assert [c["case_no"] for c in only["items"]] == [built_case["case_no"] + "-B"] and only["total"] == 1
    assert only["counts"] == body["counts"], "the counts do not depend on the chosen stage"
    found = http.get("/api/v1/case-list", headers=handler, params={"q": "未录像"}).json()
    assert [c["id"] for c in found["items"]] == [case_id]
    paged = http.get("/api/v1/case-list", headers=handler, params={"page": 2, "page_size": 1}).json()
    assert [c["id"] for c in paged["items"]] == [built_case["case"]["id"]] and paged["total"] == 2
    assert http.get("/api/v1/case-list", headers=handler, params={"stage": "closed"}).status_code == 422
    elsewhere = http.get("/api/v1/case-list", headers=world.headers("supervisor_dd2")).json()
    assert elsewhere["total"] == 0 and sum(elsewhere["counts"].values()) == 0 and elsewhere["items"] == []


def test_the_export_holds_viewer_html_signed_like_every_file(built_case, service, world, tmp_path):
    http, handler, case_id = service.http, world.headers("case_handler"), built_case["case"]["id"]
    expected = _work_the_case(built_case, service, world)["export_expected_bytes"]
    r = http.get(f"/api/v1/cases/{case_id}/export", headers=handler)
    assert r.status_code == 200, r.text
    package = tmp_path / "case.zip"
    package.write_bytes(r.content)
    assert abs(len(r.content) - expected) <= max(0.1 * len(r.content), 16_000), (len(r.content), expected)

    with zipfile.ZipFile(package) as zf:
        assert zf.read("viewer.html") == VIEWER.read_bytes()
        manifest = json.loads(zf.read("manifest.json"))
        assert "viewer.html" in zf.read("README.txt").decode()
    listed = next(f for f in manifest["files"] if f["path"] == "viewer.html")
    assert listed["kind"] == "viewer" and listed["size"] == VIEWER.stat().st_size
    assert manifest["timezone"] == "Asia/Shanghai", "the viewer shows times in the unit's zone"
    fingerprint = http.get("/api/v1/signing-key").json()["current"]
    ok = verify_offline(package, tmp_path, "--fingerprint", fingerprint)
    assert ok.returncode == 0 and ok.stdout.startswith("TRUSTED"), ok.stdout + ok.stderr

    # The viewer is covered by the signature: a changed viewer fails the reference verifier.
    changed = _rewrite(package, tmp_path / "viewer-changed.zip",
                       lambda n, d: d.replace(b"verify.py is the reference", b"trust this page blindly")
                       if n == "viewer.html" else d)
    bad = verify_offline(changed, tmp_path, "--fingerprint", fingerprint)
    assert bad.returncode == 1 and "viewer.html: altered" in bad.stdout, bad.stdout
