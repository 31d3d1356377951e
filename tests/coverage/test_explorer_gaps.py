"""The coverage explorer's API on PostgreSQL: an event's gap chart names why each gap is there
(camera docked but nothing recorded, no camera assigned, 警号 unknown, still within the upload
deadline), its covered seconds are the stored coverage's, and the counts per unit and officer
add up; a supervisor of another brigade reaches none of it."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import unique
from tests.coverage.test_coverage import CST, add_recording


def test_gap_reasons_seconds_and_counts(world, service, admin_token):
    http, admin = service.http, {"Authorization": f"Bearer {admin_token}"}
    A, B = world.users["officer_a"][0], world.users["officer_b"][0]
    cam, tag = unique("CEX").upper(), unique("EXG")
    r = http.post("/api/v1/device-assignments/import", headers=admin, files={"file": (
        "a.csv", f"device_id,police_id,assigned_from,assigned_to\n{cam},{A},2026-11-01T00:00:00,\n".encode(),
        "text/csv")})
    assert r.status_code == 200 and not r.json()["errors"], r.text
    rec = add_recording(cam, "2026-11-21T10:00:00", "2026-11-21T10:04:00", attribute_to=A)  # docked 12:04
    soon = (datetime.now(CST) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    ledger = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
              f"{tag}-part,ticket,{A},2026-11-21T10:00:00,2026-11-21T10:10:00,\n"
              f"{tag}-nocam,ticket,{B},2026-11-21T10:00:00,2026-11-21T10:10:00,\n"
              f"{tag}-recent,ticket,{A},{soon},,\n"
              f"{tag}-stranger,ticket,{A};ZZ{tag[-6:]},2026-11-21T10:00:00,2026-11-21T10:10:00,\n")
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("l.csv", ledger.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 4, r.text
    sup = world.headers("supervisor_dd1")
    stored = {e["event_id"].removeprefix(tag + "-"): e for e in http.get(
        "/api/v1/coverage/events", headers=sup, params={"officer": A}).json()["items"] +
        http.get("/api/v1/coverage/events", headers=sup, params={"officer": B}).json()["items"]
        if e["event_id"].startswith(tag)}
    assert set(stored) == {"part", "nocam", "recent", "stranger"}

    def gaps(name):
        r = http.get(f"/api/v1/coverage/events/{stored[name]['id']}/gaps", headers=sup)
        assert r.status_code == 200, r.text
        return r.json()

    part = gaps("part")
    assert part["covered_seconds"] == 240 == stored["part"]["covered_seconds"], part  # 10:00–10:04 of 10 min
    assert part["status"] == "partial" == stored["part"]["status"]
    (officer,) = part["officers"]
    assert [x["recording_id"] for x in officer["recordings"]] == [rec]
    assert [(g["seconds"], g["reason"]) for g in officer["gaps"]] == [(360.0, "not_recorded")]
    assert [c["seconds"] for c in part["covered"]] == [240.0]

    nocam = gaps("nocam")
    assert nocam["covered_seconds"] == 0 and nocam["status"] == "missing"
    assert [(g["seconds"], g["reason"]) for g in nocam["officers"][0]["gaps"]] == [(600.0, "no_camera")]

    recent = gaps("recent")  # his camera has not docked since: the deadline is a day away
    assert recent["status"] == "pending" and recent["officers"][0]["gaps"][0]["reason"] == "awaiting_upload"

    stranger = gaps("stranger")
    reasons = {o["police_id"]: [g["reason"] for g in o["gaps"]] for o in stranger["officers"]}
    assert reasons == {A: ["not_recorded"], f"ZZ{tag[-6:]}": ["no_account"]}
    assert stranger["covered_seconds"] == 240 == stored["stranger"]["covered_seconds"]

    dd1, zhd1 = world.units["dd1"]["id"], world.units["zhd1"]["id"]
    period = {"from": "2026-11-01", "to": datetime.now(CST).date().isoformat()}
    units = http.get("/api/v1/coverage/explorer/units", headers=sup, params={**period, "parent_id": dd1}).json()
    row = next(u for u in units["rows"] if u["unit_id"] == zhd1)
    # A's three (partial, pending, partial) and B's one (missing); rate: covered ÷ settled = 0 ÷ 3
    assert (row["events"], row["partial"], row["missing"], row["pending"], row["rate"]) == (4, 2, 1, 1, 0.0), row
    top = http.get("/api/v1/coverage/explorer/units", headers=sup, params=period).json()
    assert [u["unit_id"] for u in top["rows"]] == [dd1], "a supervisor starts at his own unit"
    officers = {o["police_id"]: o for o in http.get("/api/v1/coverage/explorer/officers", headers=sup,
                                                    params={**period, "unit_id": zhd1}).json()["rows"]}
    assert (officers[A]["events"], officers[A]["partial"], officers[A]["pending"]) == (3, 2, 1)
    assert (officers[B]["events"], officers[B]["missing"]) == (1, 1)
    page = http.get("/api/v1/coverage/explorer/events", headers=sup,
                    params={**period, "officer": A, "status": "missing,pending"}).json()
    assert [e["event_id"] for e in page["items"]] == [f"{tag}-recent"] and page["total"] == 1

    other = world.headers("supervisor_dd2")
    assert http.get(f"/api/v1/coverage/events/{stored['part']['id']}/gaps", headers=other).status_code == 404
    assert http.get("/api/v1/coverage/explorer/units", headers=other, params={"parent_id": dd1}).status_code == 404
    assert http.get("/api/v1/coverage/explorer/units", headers=world.headers("officer_a")).status_code == 403
    assert http.get("/api/v1/coverage/explorer/events", headers=sup, params={"status": "lost"}).status_code == 422
