"""Camera assignments from CSV, officer attribution, and catalog search filters."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.helpers import random_file, upload_as


@pytest.fixture(scope="module")
def serials():
    return {"shared": unique("CAMS").upper(), "solo": unique("CAMX").upper()}


def _import(service, admin_token, text: str):
    return service.http.post("/api/v1/device-assignments/import",
                             headers={"Authorization": f"Bearer {admin_token}"},
                             files={"file": ("assignments.csv", text.encode("utf-8"), "text/csv")})


def test_assignment_import_reports_bad_rows_by_line_and_keeps_good_ones(world, service, admin_token, serials):
    a, b = world.users["officer_a"][0], world.users["officer_b"][0]
    text = (
        "device_id,police_id,assigned_from,assigned_to\n"
        f"{serials['shared']},{a},2026-11-28T08:00:00,2026-11-28T12:00:00\n"    # line 2: morning, officer a
        f"{serials['shared']},{b},2026-11-28T12:00:00,\n"                       # line 3: afternoon on, officer b
        f"{serials['shared']},NOSUCH1,2026-11-28T08:00:00,\n"                   # line 4: unknown officer
        f"../bad,{a},2026-11-28T08:00:00,\n"                                    # line 5: bad serial
        f"{serials['solo']},{a},yesterday,\n"                                   # line 6: bad time
        f"{serials['solo']},{a},2026-11-28T12:00:00,2026-11-28T08:00:00\n"      # line 7: ends before start
    )
    r = _import(service, admin_token, text)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["imported"] == 2 and report["updated"] == 0
    assert [e["line"] for e in report["errors"]] == [4, 5, 6, 7]
    assert "NOSUCH1" in report["errors"][0]["reason"]
    assert "serial" in report["errors"][1]["reason"]
    assert "ISO 8601" in report["errors"][2]["reason"]
    assert "after" in report["errors"][3]["reason"]
    # Importing again updates instead of duplicating.
    again = _import(service, admin_token, text).json()
    assert again["imported"] == 0 and again["updated"] == 2
    devices = service.http.get("/api/v1/devices", headers={"Authorization": f"Bearer {admin_token}"}).json()
    assert serials["shared"] in {d["serial"] for d in devices}
    assert serials["solo"] not in {d["serial"] for d in devices}  # its rows were all bad: nothing left behind


def test_a_csv_without_the_required_header_is_refused(service, admin_token):
    r = _import(service, admin_token, "serial,officer\nX,Y\n")
    assert r.status_code == 422 and "device_id,police_id,assigned_from,assigned_to" in r.json()["detail"]


def test_attribution_follows_the_assignment_then_the_filename(world, service, admin_token, serials, tmp_path):
    a, b, c = (world.users[n][0] for n in ("officer_a", "officer_b", "officer_c"))
    admin = {"Authorization": f"Bearer {admin_token}"}
    # Morning on the shared camera, but the file name claims officer c: the assignment wins.
    morning = upload_as(world, random_file(tmp_path / "m.mp4", 1000), c, serial=serials["shared"],
                        started_at="2026-11-28T09:00:00")
    # Afternoon on the same camera belongs to officer b.
    afternoon = upload_as(world, random_file(tmp_path / "a.mp4", 1000), a, serial=serials["shared"],
                          started_at="2026-11-28T15:00:00+08:00")
    # A camera nobody is assigned to: the file name's 警号 is used.
    unassigned = upload_as(world, random_file(tmp_path / "u.mp4", 1000), c, serial=unique("CAMU").upper())
    # No assignment and no known 警号: unattributed, filed under the station's unit.
    nobody = upload_as(world, random_file(tmp_path / "n.mp4", 1000), "UNKNOWN9", serial=unique("CAMN").upper())
    users = {u["police_id"]: u["id"] for u in service.http.get("/api/v1/users", headers=admin).json()}
    got = {k: service.http.get(f"/api/v1/recordings/{v}", headers=admin).json()
           for k, v in (("morning", morning), ("afternoon", afternoon), ("unassigned", unassigned), ("nobody", nobody))}
    assert (got["morning"]["officer_id"], got["morning"]["officer_source"]) == (users[a], "assignment")
    assert got["morning"]["declared_police_id"] == c
    assert (got["afternoon"]["officer_id"], got["afternoon"]["officer_source"]) == (users[b], "assignment")
    assert (got["unassigned"]["officer_id"], got["unassigned"]["officer_source"]) == (users[c], "filename")
    assert (got["nobody"]["officer_id"], got["nobody"]["officer_source"]) == (None, "none")
    assert got["nobody"]["unit_id"] == world.units["dd1"]["id"]
    # Device clock kept as given; UTC derived from the unit's zone (Asia/Shanghai, +08:00).
    assert got["morning"]["started_at_device"].startswith("2026-11-28T09:00:00")
    assert got["morning"]["started_at"].startswith("2026-11-28T01:00:00")


def test_search_filters_and_pagination(world, service, tmp_path):
    officer = world.users["officer_c"][0]
    serial = unique("CAMF").upper()
    made = [upload_as(world, random_file(tmp_path / f"f{i}.mp4", 500 + i), officer, serial=serial,
                      started_at=f"2026-11-2{i}T10:00:00", important=(i == 3)) for i in range(1, 6)]
    http, headers = service.http, world.headers("supervisor_dd2")

    def found(**params):
        r = http.get("/api/v1/recordings", headers=headers, params={"device": serial, **params})
        assert r.status_code == 200, r.text
        return r.json()

    assert {r["id"] for r in found()["items"]} == set(made)
    assert [r["id"] for r in found(start_from="2026-11-22T00:00:00", start_to="2026-11-24T00:00:00")["items"]] == \
        [made[2], made[1]]  # newest first
    assert [r["id"] for r in found(important=True)["items"]] == [made[2]]
    assert found(officer=officer)["total"] == 5
    assert found(officer=world.users["officer_a"][0])["total"] == 0
    assert found(status="verified")["total"] == 5 and found(status="failed")["total"] == 0
    pages = [found(page=p, page_size=2) for p in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [2, 2, 1] and pages[0]["total"] == 5
    # by id: the media worker may settle a file (processing → unplayable) between the requests
    assert [r["id"] for p in pages for r in p["items"]] == [r["id"] for r in found()["items"]]
    assert http.get("/api/v1/recordings", headers=headers, params={"status": "bogus"}).status_code == 422


def test_health_reports_database_broker_and_storage(service):
    r = service.http.get("/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"]["backend"] == "postgresql"
    assert body["broker"]["ok"] and body["storage"]["ok"] and body["storage"]["object_lock"] is True
