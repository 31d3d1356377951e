"""One brigade's people and stations stay out of another brigade's cases, ledger, summaries and
recordings; access requests and station uploads reveal no ids; reads of lists are audited."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from docking_station.client import StationClient, sha256_file
from evidence.audit.models import AuditEntry
from evidence.cases.models import CaseRecording
from evidence.db import session_scope
from evidence.recordings.models import Recording
from ingest.models import UploadSession
from tests import media
from tests.conftest import login, unique
from tests.helpers import meta_for, random_file, upload_as
from tests.workers.test_media import wait_processed

API = "/api/v1"


@pytest.fixture(scope="module")
def dd2(world, service):
    """A case handler and a docking station of the second brigade, made through the admin API."""
    http, admin = service.http, {"Authorization": f"Bearer {world.admin_token}"}
    police_id, password = unique("H").upper(), secrets.token_urlsafe(12)
    r = http.post(f"{API}/users", headers=admin, json={"police_id": police_id, "name": "handler dd2",
                                                         "role": "case_handler", "password": password,
                                                         "unit_code": world.units["dd2"]["code"]})
    assert r.status_code == 201, r.text
    r = http.post(f"{API}/stations", headers=admin, json={"name": unique("dock2-"),
                                                           "unit_code": world.units["dd2"]["code"]})
    assert r.status_code == 201, r.text
    return {"handler": {"Authorization": f"Bearer {login(http, police_id, password)}"},
            "station_key": r.json()["api_key"]}


def import_ledger(service, headers: dict, lines: list[str]) -> dict:
    csv = "event_id,event_type,police_ids,started_at,ended_at,case_no\n" + "".join(line + "\n" for line in lines)
    r = service.http.post(f"{API}/ledger/import", headers=headers, files={"file": ("l.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    return r.json()


def admin_events(service, world, officer: str) -> dict[str, dict]:
    r = service.http.get(f"{API}/coverage/events", headers={"Authorization": f"Bearer {world.admin_token}"},
                         params={"officer": officer, "page_size": 1000})
    assert r.status_code == 200, r.text
    return {e["event_id"]: e for e in r.json()["items"]}


def audit_count(action: str, actor: str) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.actor_label == actor))


# -- 5: case numbers ------------------------------------------------------------------------------
def test_another_units_handler_cannot_take_this_units_case_number(world, service, dd2):
    http, admin = service.http, {"Authorization": f"Bearer {world.admin_token}"}
    A = world.users["officer_a"][0]
    case_no = unique("AJ1-").upper()
    import_ledger(service, admin, [f"{unique('EV')},accident,{A},2026-11-20T08:00:00,2026-11-20T08:05:00,{case_no}"])

    r = http.post(f"{API}/cases/from-ledger", headers=dd2["handler"], json={"case_no": case_no})
    assert r.status_code == 404, r.text  # dd1's ledger is not dd2's to read
    r = http.post(f"{API}/cases", headers=dd2["handler"], json={"case_no": case_no, "case_type": "accident"})
    assert r.status_code == 409 and "another unit" in r.json()["detail"], r.text
    r = http.post(f"{API}/cases", headers=dd2["handler"], json={"case_no": unique("X-"), "case_type": "other",
                                                                 "unit_code": world.units["dd1"]["code"]})
    assert r.status_code == 403 and world.units["dd1"]["code"] in r.json()["detail"], r.text

    r = http.post(f"{API}/cases/from-ledger", headers=world.headers("case_handler"), json={"case_no": case_no})
    assert r.status_code == 201, r.text  # the unit that owns the number still can
    assert r.json()["unit_id"] == world.units["zhd1"]["id"] or r.json()["unit_id"] == world.units["dd1"]["id"]


def test_a_case_shows_no_suggestions_from_another_units_events(world, service, dd2, tmp_path):
    """A dd2 case whose number later turns up on dd1's ledger does not list dd1's recordings."""
    http, admin = service.http, {"Authorization": f"Bearer {world.admin_token}"}
    A = world.users["officer_a"][0]
    case_no = unique("AJ2-").upper()
    r = http.post(f"{API}/cases", headers=dd2["handler"], json={"case_no": case_no, "case_type": "accident"})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    clip = media.h264_mp4(tmp_path / "a.mp4", seed=901, seconds=3)
    rec_id = upload_as(world, clip, A, serial=unique("CAMI").upper(), started_at="2026-11-21T10:00:00")
    wait_processed([sha256_file(clip)])
    import_ledger(service, admin, [f"{unique('EV')},accident,{A},2026-11-21T10:00:00,2026-11-21T10:00:03,{case_no}"])
    # The control: dd1's own view of the event links the recording.
    events = [e for e in admin_events(service, world, A).values() if e["case_no"] == case_no]
    assert rec_id in events[0]["recording_ids"]
    body = http.get(f"{API}/cases/{case_id}", headers=dd2["handler"]).json()
    assert body["suggestions"] == []


# -- 6: the ledger ----------------------------------------------------------------------------------
def test_a_supervisor_changes_only_their_own_units_ledger(world, service):
    admin = {"Authorization": f"Bearer {world.admin_token}"}
    A, C = world.users["officer_a"][0], world.users["officer_c"][0]
    ev_dd1, ev_new, ev_own = unique("EV6a"), unique("EV6b"), unique("EV6c")
    import_ledger(service, admin, [f"{ev_dd1},ticket,{A},2026-11-22T08:00:00,2026-11-22T08:05:00,"])

    out = import_ledger(service, world.headers("supervisor_dd2"), [
        f"{ev_dd1},ticket,{C},2026-11-22T09:00:00,2026-11-22T09:05:00,",  # takes over dd1's event
        f"{ev_new},ticket,{A},2026-11-22T10:00:00,2026-11-22T10:05:00,",  # an event for dd1's officer
        f"{ev_own},ticket,{C},2026-11-22T11:00:00,2026-11-22T11:05:00,",  # its own: fine
    ])
    assert out["created"] == 1 and out["updated"] == 0, out
    assert [e["line"] for e in out["errors"]] == [2, 3], out
    assert ev_dd1 in out["errors"][0]["reason"] and A in out["errors"][1]["reason"], out

    events = admin_events(service, world, A)
    assert events[ev_dd1]["police_ids"] == A and events[ev_dd1]["started_at"].startswith("2026-11-22T00:00")  # 08:00 in Shanghai
    assert ev_new not in events
    assert ev_own in admin_events(service, world, C)


# -- 7: stored summaries ----------------------------------------------------------------------------
def test_stored_summaries_show_a_supervisor_only_their_units(world, service):
    from workers.tasks import store_coverage_summaries

    http, admin = service.http, {"Authorization": f"Bearer {world.admin_token}"}
    A, C = world.users["officer_a"][0], world.users["officer_c"][0]
    import_ledger(service, admin, [f"{unique('EV7')},ticket,{A},2026-11-23T08:00:00,2026-11-23T08:05:00,",
                                   f"{unique('EV7')},ticket,{C},2026-11-23T09:00:00,2026-11-23T09:05:00,"])
    store_coverage_summaries()
    sup = world.headers("supervisor_dd1")
    month = next(s for s in http.get(f"{API}/coverage/summaries", headers=sup).json() if s["period"] == "month")
    data = http.get(f"{API}/coverage/summaries/{month['id']}", headers=sup).json()["data"]
    officers = {g["group"] for g in data["by_officer"]}
    assert A in officers and C not in officers
    assert world.units["dd2"]["code"] not in {g["group"] for g in data["by_unit"]}
    # What the supervisor reads stored is what the live summary shows them for that month.
    live = http.get(f"{API}/coverage/summary", headers=sup, params={
        "group_by": "officer", "start_from": data["from"][:19], "start_to": data["to"][:19]}).json()["rows"]
    assert data["by_officer"] == live
    # Admins still read the whole detachment.
    whole = http.get(f"{API}/coverage/summaries/{month['id']}", headers=admin).json()["data"]
    assert {A, C} <= {g["group"] for g in whole["by_officer"]}


# -- 8: revealing ids -------------------------------------------------------------------------------
def test_access_requests_do_not_tell_which_ids_exist(world, service, tmp_path):
    http, handler = service.http, world.headers("case_handler")
    hidden = upload_as(world, random_file(tmp_path / "c.mp4", 64 * 1024), world.users["officer_c"][0],
                       serial=unique("CAMC").upper())
    assert http.get(f"{API}/recordings/{hidden}", headers=handler).status_code == 404
    with session_scope() as s:
        missing = s.scalar(select(func.max(Recording.id))) + 100000
    real = http.post(f"{API}/access-requests", headers=handler, json={"recording_id": hidden, "reason": "case work"})
    fake = http.post(f"{API}/access-requests", headers=handler, json={"recording_id": missing, "reason": "case work"})
    nocase = http.post(f"{API}/access-requests", headers=handler, json={"case_id": 10**8, "reason": "case work"})
    assert real.status_code == fake.status_code == nocase.status_code == 201, (real.text, fake.text, nocase.text)
    shape = lambda r: {k: v for k, v in r.json().items() if k not in ("id", "created_at", "recording_id", "case_id")}  # noqa: E731
    assert shape(real) == shape(fake) == shape(nocase)
    mine = {r["id"]: r for r in http.get(f"{API}/access-requests", headers=handler).json()["mine"]}
    assert mine[fake.json()["id"]]["recording_id"] == missing and mine[fake.json()["id"]]["status"] == "pending"
    assert mine[nocase.json()["id"]]["case_id"] == 10**8
    # The owning unit's supervisor decides the real one; the unfounded one is only an admin's to reject.
    to_decide = {r["id"] for r in http.get(f"{API}/access-requests", headers=world.headers("supervisor_dd2")).json()["to_decide"]}
    assert real.json()["id"] in to_decide and fake.json()["id"] not in to_decide
    r = http.post(f"{API}/access-requests/{fake.json()['id']}/decision", headers=world.headers("admin2"),
                  json={"approve": True})
    assert r.status_code == 409, r.text
    r = http.post(f"{API}/access-requests/{fake.json()['id']}/decision", headers=world.headers("admin2"),
                  json={"approve": False})
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text


def test_another_units_station_learns_no_recording_id_from_a_known_hash(world, service, dd2, tmp_path):
    path = random_file(tmp_path / "dup.mp4", 128 * 1024)
    rec_id = upload_as(world, path, world.users["officer_a"][0], serial=unique("CAMD").upper())
    meta = meta_for(path, police_id=world.users["officer_a"][0])
    other = service.http.post(f"{API}/ingest/sessions", headers={"X-Station-Key": dd2["station_key"]}, json=meta)
    assert other.status_code in (200, 201), other.text
    assert other.json()["status"] == "already_verified" and other.json()["recording_id"] is None
    assert str(rec_id) not in other.text
    # The dock agent takes that answer: the camera may be wiped, the file is safe on the server.
    client = StationClient(service.base_url, dd2["station_key"])
    try:
        result = client.upload(path, meta)
    finally:
        client.close()
    assert result.status == "already_verified" and result.recording_id is None
    with session_scope() as s:  # stored once: no second session, no second object
        assert s.scalar(select(func.count()).select_from(UploadSession).where(
            UploadSession.sha256 == meta["sha256"])) == 1
    # The station of the recording's own unit is still told which recording it is.
    own = service.http.post(f"{API}/ingest/sessions", headers=world.headers("station"), json=meta)
    assert own.json()["recording_id"] == rec_id


# -- 9: verified only -------------------------------------------------------------------------------
def test_only_verified_recordings_are_attached_or_exported(world, service, tmp_path):
    http, handler = service.http, world.headers("case_handler")
    A = world.users["officer_a"][0]
    ok = random_file(tmp_path / "ok.mp4", 64 * 1024)
    done = upload_as(world, ok, A, serial=unique("CAMV").upper())
    wait_processed([sha256_file(ok)])  # the media pipeline is done with it before the case work starts
    half = random_file(tmp_path / "half.mp4", 64 * 1024)
    opened = http.post(f"{API}/ingest/sessions", headers=world.headers("station"),
                       json=meta_for(half, police_id=A, serial=unique("CAMU").upper()))
    assert opened.json()["status"] == "open", opened.text
    unverified = opened.json()["recording_id"]
    r = http.post(f"{API}/cases", headers=handler, json={"case_no": unique("AJ9-"), "case_type": "other"})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = http.post(f"{API}/cases/{case_id}/recordings", headers=handler, json={"recording_id": done})
    assert r.status_code == 201, r.text
    r = http.post(f"{API}/cases/{case_id}/recordings", headers=handler, json={"recording_id": unverified})
    assert r.status_code == 409 and "verified" in r.json()["detail"], r.text
    # An attachment made before this rule: the export refuses up front, with the reason.
    with session_scope() as s:
        s.add(CaseRecording(case_id=case_id, recording_id=unverified, attached_by="legacy"))
    r = http.get(f"{API}/cases/{case_id}/export", headers=handler)
    assert r.status_code == 409 and str(unverified) in r.json()["detail"], r.text[:300]


# -- 10: list reads are audited ---------------------------------------------------------------------
def test_list_reads_are_audited(world, service):
    http, admin = service.http, {"Authorization": f"Bearer {world.admin_token}"}
    A = world.users["officer_a"][0]
    tag = unique("EV10")
    import_ledger(service, admin, [f"{tag},ticket,{A},2026-11-24T08:00:00,2026-11-24T08:05:00,"])
    event_id = admin_events(service, world, A)[tag]["id"]
    reads = [("supervisor_dd1", f"/events/{event_id}/links", "event.links"),
             ("case_handler", "/cases", "case.list"),
             ("case_handler", "/access-requests", "access.list"),
             ("supervisor_dd1", "/coverage/summaries", "coverage.stored_summaries"),
             ("auditor", "/retention/runs", "retention.runs")]
    for who, url, action in reads:
        police_id = world.users[who][0]
        before = audit_count(action, police_id)
        r = http.get(API + url, headers=world.headers(who))
        assert r.status_code == 200, (url, r.text)
        assert audit_count(action, police_id) == before + 1, url
