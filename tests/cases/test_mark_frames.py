"""Clip marks carry the frame they fall on, and the review player's detail of one recording
(integrity, attribution, linked events with coverage, cases, audit trail), against the real services."""

from __future__ import annotations

import json
import zipfile

import pytest

from docking_station.client import sha256_file
from tests import media
from tests.conftest import unique
from tests.helpers import verify_offline
from tests.cases.test_cases import upload
from tests.workers.test_media import wait_processed

FPS = 15  # tests/media.h264_mp4 makes 15 frames a second


@pytest.fixture(scope="module")
def clip_case(world, service, admin_token, tmp_path_factory):
    """A 4 s clip of officer A covering a ledger event with a case number, and the case built from it."""
    d = tmp_path_factory.mktemp("mark-media")
    A = world.users["officer_a"][0]
    case_no, tag = unique("MK").upper(), unique("EV")
    clip = media.h264_mp4(d / "clip.mp4", seed=480, seconds=4)
    rec_id = upload(world, clip, A, "2026-11-19T09:00:00")
    wait_processed([sha256_file(clip)])
    ledger = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
              f"{tag},accident,{A},2026-11-19T09:00:00,2026-11-19T09:00:04,{case_no}\n")
    r = service.http.post("/api/v1/ledger/import", headers={"Authorization": f"Bearer {admin_token}"},
                          files={"file": ("l.csv", ledger.encode(), "text/csv")})
    assert r.json()["created"] == 1, r.text
    r = service.http.post("/api/v1/cases/from-ledger", headers=world.headers("case_handler"), json={"case_no": case_no})
    assert r.status_code == 201, r.text
    return {"case": r.json(), "recording": rec_id, "event": tag, "case_no": case_no}


def test_marks_are_stored_with_the_frames_they_fall_on(clip_case, service, world, tmp_path):
    http, handler = service.http, world.headers("case_handler")
    case_id, rec = clip_case["case"]["id"], clip_case["recording"]
    rec_fps = http.get(f"/api/v1/recordings/{rec}", headers=handler).json()["frame_rate"]
    assert rec_fps == pytest.approx(FPS)
    # A frame that disagrees with the seconds is refused: the court must see the frames that were marked.
    r = http.post(f"/api/v1/cases/{case_id}/recordings", headers=handler,
                  json={"recording_id": rec, "mark_in": 1.0, "mark_out": 3.0, "mark_in_frame": 40})
    assert r.status_code == 422 and "mark_in_frame" in r.json()["detail"]
    # Seconds only: the service computes the frames (floor(seconds × 15)).
    r = http.post(f"/api/v1/cases/{case_id}/recordings", headers=handler,
                  json={"recording_id": rec, "mark_in": 1.0, "mark_out": 2.5, "note": "driver gets out"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["mark_in"], body["mark_out"], body["mark_in_frame"], body["mark_out_frame"]) == (1.0, 2.5, 15, 37)
    # The player sends the frame it showed; one frame either way of the computed one is accepted as sent.
    r = http.patch(f"/api/v1/cases/{case_id}/recordings/{body['attachment_id']}", headers=handler,
                   json={"mark_in": 1.04, "mark_out": 2.2, "mark_in_frame": 15, "mark_out_frame": 33,
                         "note": "driver gets out"})
    assert r.status_code == 200, r.text
    assert (r.json()["mark_in_frame"], r.json()["mark_out_frame"]) == (15, 33)
    attached = http.get(f"/api/v1/cases/{case_id}", headers=handler).json()["recordings"]
    assert [(a["mark_in"], a["mark_out"], a["mark_in_frame"], a["mark_out_frame"]) for a in attached] == \
        [(1.04, 2.2, 15, 33)]
    # The court export's manifest names the frames, and the package still verifies offline.
    r = http.get(f"/api/v1/cases/{case_id}/export", headers=handler)
    assert r.status_code == 200, r.text
    package = tmp_path / "case.zip"
    package.write_bytes(r.content)
    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    (entry,) = manifest["recordings"]
    assert (entry["mark_in"], entry["mark_in_frame"], entry["mark_out"], entry["mark_out_frame"]) == (1.04, 15, 2.2, 33)
    assert entry["frame_rate"] == pytest.approx(FPS)
    result = verify_offline(package, tmp_path, "--fingerprint", http.get("/api/v1/signing-key").json()["current"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_player_detail_shows_integrity_events_cases_and_the_trail_to_those_who_may_read_it(
        clip_case, service, world):
    http, rec = service.http, clip_case["recording"]
    r = http.get(f"/api/v1/recordings/{rec}/detail", headers=world.headers("supervisor_dd1"))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["officer"]["police_id"] == world.users["officer_a"][0]
    assert d["integrity"]["sha256"] and d["integrity"]["size_bytes"] > 0 and d["integrity"]["verified_at"]
    assert d["integrity"]["proxy_method"] in ("remux", "transcode")
    assert d["integrity"]["proxy_profile"].startswith(d["integrity"]["proxy_method"])
    assert [e["event_id"] for e in d["events"]] == [clip_case["event"]]
    assert d["events"][0]["coverage_status"] in ("covered", "partial", "missing", "pending")
    assert clip_case["case_no"] in [c["case_no"] for c in d["cases"]]
    actions = {e["action"] for e in d["trail"]}
    assert "case.attach" in actions, "the trail shows who attached it"
    # A case handler sees the panel but not the audit trail; the auditor sees the trail but may not play.
    handler = http.get(f"/api/v1/recordings/{rec}/detail", headers=world.headers("case_handler")).json()
    assert handler["trail"] is None and handler["may_view"] is True
    auditor = http.get(f"/api/v1/recordings/{rec}/detail", headers=world.headers("auditor")).json()
    assert auditor["trail"] is not None and auditor["may_view"] is False
    assert any(e["action"] == "recording.read" and e["actor_label"] == world.users["supervisor_dd1"][0]
               for e in auditor["trail"]), "reading the detail is itself audited"
    # Outside the caller's reach: not found, nothing told.
    for who in ("officer_c", "supervisor_dd2", "officer_b"):
        r = http.get(f"/api/v1/recordings/{rec}/detail", headers=world.headers(who))
        assert r.status_code == 404, (who, r.text)
