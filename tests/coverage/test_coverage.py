"""Coverage with hand-worked numbers. Rules in force (defaults): tolerance 120 s, covered when
≥ 90 % of the window is recorded, consecutive files ≤ 3 s apart are one span, upload deadline
24 h, default window ticket 10 min, check 15 min, accident 60 min, emergency 60 min.
All ledger times are Asia/Shanghai (+08:00)."""

from __future__ import annotations

import io
import secrets
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, select

from evidence.db import get_engine, session_scope
from evidence.devices.models import Device
from evidence.identity.models import User
from evidence.recordings.models import Recording
from tests.conftest import unique

CST = timezone(timedelta(hours=8))


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST).astimezone(timezone.utc)


def add_recording(serial: str, start: str, end: str, police: str | None = None, uploaded: str | None = None,
                  attribute_to: str | None = None) -> int:
    """A verified recording as the dock and the workers leave it (start from the camera, end from the probe)."""
    with session_scope() as s:
        device = s.scalar(select(Device).where(Device.serial == serial))
        if device is None:
            device = Device(serial=serial)
            s.add(device)
            s.flush()
        officer = s.scalar(select(User).where(User.police_id == attribute_to)) if attribute_to else None
        rec = Recording(sha256=secrets.token_hex(32), size_bytes=1000, media_kind="video",
                        original_filename=f"{serial}_{start}.mp4", object_key="originals/x", device_serial=serial,
                        device_id=device.id, declared_police_id=police, officer_id=officer.id if officer else None,
                        officer_source="filename" if officer else "none", unit_id=officer.unit_id if officer else None,
                        started_at=t(start), ended_at=t(end), status="verified", time_source="filename",
                        uploaded_at=t(uploaded) if uploaded else t(end) + timedelta(hours=2),
                        processing_state="ready")
        s.add(rec)
        s.flush()
        rec_id = rec.id
    from evidence.coverage.service import recompute_for_recordings

    with session_scope() as s:
        recompute_for_recordings(s, [rec_id])
    return rec_id


@pytest.fixture(scope="module")
def scenario(world, service, admin_token):
    http, admin = service.http, {"Authorization": f"Bearer {admin_token}"}
    A, B, C = (world.users[n][0] for n in ("officer_a", "officer_b", "officer_c"))
    tag = unique("E")
    cam = {k: unique(f"CV{k}").upper() for k in ("fast", "split", "shared", "wrong", "night", "a6", "b6", "late", "noend")}
    recs = {
        # 1. camera clock 90 s fast: really 10:00:00–10:10:00, labelled 10:01:30–10:11:30
        "fast": add_recording(cam["fast"], "2026-11-10T10:01:30", "2026-11-10T10:11:30", attribute_to=A),
        # 2. one recording split into three files, 1 s and 2 s apart
        "split1": add_recording(cam["split"], "2026-11-10T11:00:00", "2026-11-10T11:10:00", attribute_to=A),
        "split2": add_recording(cam["split"], "2026-11-10T11:10:01", "2026-11-10T11:20:00", attribute_to=A),
        "split3": add_recording(cam["split"], "2026-11-10T11:20:02", "2026-11-10T11:30:00", attribute_to=A),
        # 3. one camera shared by A (morning) and B (afternoon); attributed by the assignment import below
        "shared_am": add_recording(cam["shared"], "2026-11-11T09:00:00", "2026-11-11T09:20:00", police=None),
        "shared_pm": add_recording(cam["shared"], "2026-11-11T13:00:00", "2026-11-11T13:20:00", police=None),
        # 4. the file name says C, the assignment says B
        "wrong": add_recording(cam["wrong"], "2026-11-11T15:00:00", "2026-11-11T15:10:00", police=C),
        # 5. across midnight, two files 2 s apart
        "night1": add_recording(cam["night"], "2026-11-11T23:25:00", "2026-11-11T23:59:59", attribute_to=A),
        "night2": add_recording(cam["night"], "2026-11-12T00:00:01", "2026-11-12T00:40:00", attribute_to=A),
        # 6. three officers; A recorded the first half, B the second, C nothing
        "half_a": add_recording(cam["a6"], "2026-11-12T14:00:00", "2026-11-12T14:30:00", attribute_to=A),
        "half_b": add_recording(cam["b6"], "2026-11-12T14:30:00", "2026-11-12T15:00:00", attribute_to=B),
        # 7. recorded day 1, docked day 3
        "late": add_recording(cam["late"], "2026-11-13T10:00:00", "2026-11-13T10:10:00", attribute_to=B,
                              uploaded="2026-11-15T12:00:00"),
        # 9. an event without an end: 5 of its default 10 minutes recorded
        "noend": add_recording(cam["noend"], "2026-11-14T16:00:00", "2026-11-14T16:05:00", attribute_to=B),
    }
    csv_assign = ("device_id,police_id,assigned_from,assigned_to\n"
                  f"{cam['shared']},{A},2026-11-11T08:00:00,2026-11-11T12:00:00\n"
                  f"{cam['shared']},{B},2026-11-11T12:00:00,2026-11-11T18:00:00\n"
                  f"{cam['wrong']},{B},2026-11-11T08:00:00,2026-11-11T18:00:00\n")
    r = http.post("/api/v1/device-assignments/import", headers=admin,
                  files={"file": ("a.csv", csv_assign.encode(), "text/csv")})
    assert r.status_code == 200 and not r.json()["errors"], r.text
    soon = (datetime.now(CST) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    ledger = (
        "事件编号,类型,警号,开始时间,结束时间,地点,案件编号,路面执法\n"
        f"{tag}-1,现场处罚,{A},2026-11-10 10:00:00,2026-11-10 10:10:00,G15 K100,,\n"
        f"{tag}-2,盘查,{A},2026-11-10 11:00:00,2026-11-10 11:30:00,,,\n"
        f"{tag}-3a,接处警,{A},2026-11-11 09:00:00,2026-11-11 09:20:00,,,否\n"
        f"{tag}-3b,接处警,{B},2026-11-11 13:00:00,2026-11-11 13:20:00,,,否\n"
        f"{tag}-3c,接处警,{A},2026-11-11 13:00:00,2026-11-11 13:20:00,,,否\n"
        f"{tag}-4b,现场处罚,{B},2026-11-11 15:00:00,2026-11-11 15:10:00,,,\n"
        f"{tag}-4c,现场处罚,{C},2026-11-11 15:00:00,2026-11-11 15:10:00,,,\n"
        f"{tag}-5,事故处理,{A},2026-11-11 23:30:00,2026-11-12 00:30:00,,{tag}-CASE1,\n"
        f"{tag}-6,突发事件,{A};{B};{C},2026-11-12 14:00:00,2026-11-12 15:00:00,,,\n"
        f"{tag}-7,现场处罚,{B},2026-11-13 10:00:00,2026-11-13 10:10:00,,,\n"
        f"{tag}-8,现场处罚,{B},{soon},,,,\n"
        f"{tag}-9,现场处罚,{B},2026-11-14 16:00:00,,,,\n"
        f"{tag}-10,扣留车辆,NOBODY99,2026-11-14 18:00:00,2026-11-14 18:20:00,,,\n"
        f"{tag}-11,事故处理,{C},2026-11-14 20:00:00,2026-11-14 21:00:00,,{tag}-CASE2,\n"
        f"{tag}-bad,罚款,{A},2026-11-14 20:00:00,,,,\n"
    )
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("ledger.csv", ledger.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 14 and len(body["errors"]) == 1 and body["errors"][0]["line"] == 16
    events = http.get("/api/v1/coverage/events", headers=admin,
                      params={"start_from": "2026-11-01T00:00:00", "page_size": 1000}).json()["items"]
    mine = {e["event_id"].removeprefix(f"{tag}-"): e for e in events if e["event_id"].startswith(tag)}
    return {"events": mine, "recs": recs, "tag": tag, "A": A, "B": B, "C": C, "cam": cam}


def check(e: dict, status: str, window: int, covered: int, ratio: float) -> None:
    assert (e["status"], e["window_seconds"], e["covered_seconds"], e["ratio"]) == (status, window, covered, ratio), e


def test_camera_clock_90_seconds_fast_is_forgiven_by_the_tolerance(scenario):
    e = scenario["events"]["1"]
    check(e, "covered", 600, 600, 1.0)
    assert e["recording_ids"] == [scenario["recs"]["fast"]] and e["roadside"] is True  # 现场处罚: roadside by default


def test_a_recording_split_into_three_files_is_one_span(scenario):
    e = scenario["events"]["2"]
    check(e, "covered", 1800, 1800, 1.0)  # the 1 s and 2 s gaps between files are not holes
    assert e["recording_ids"] == sorted(scenario["recs"][k] for k in ("split1", "split2", "split3"))


def test_a_shared_camera_counts_for_whoever_carried_it(scenario):
    ev = scenario["events"]
    check(ev["3a"], "covered", 1200, 1200, 1.0)
    check(ev["3b"], "covered", 1200, 1200, 1.0)
    check(ev["3c"], "missing", 1200, 0, 0.0)  # A had handed the camera to B by then
    assert ev["3a"]["recording_ids"] == [scenario["recs"]["shared_am"]]
    assert ev["3b"]["recording_ids"] == [scenario["recs"]["shared_pm"]]


def test_the_assignment_wins_over_a_wrong_police_id_in_the_file_name(scenario):
    check(scenario["events"]["4b"], "covered", 600, 600, 1.0)
    check(scenario["events"]["4c"], "missing", 600, 0, 0.0)


def test_an_event_across_midnight(scenario):
    check(scenario["events"]["5"], "covered", 3600, 3600, 1.0)


def test_three_officers_each_reported_and_the_union_counts(scenario):
    e = scenario["events"]["6"]
    check(e, "covered", 3600, 3600, 1.0)
    per = {o["police_id"]: (o["status"], o["covered_seconds"], o["ratio"]) for o in e["officers"]}
    assert per == {scenario["A"]: ("partial", 1800, 0.5), scenario["B"]: ("partial", 1800, 0.5),
                   scenario["C"]: ("missing", 0, 0.0)}


def test_a_late_upload_is_flagged(scenario):
    e = scenario["events"]["7"]
    check(e, "covered", 600, 600, 1.0)
    assert e["late_upload"] is True
    assert scenario["events"]["1"]["late_upload"] is False


def test_an_event_inside_its_upload_deadline_is_pending(scenario):
    check(scenario["events"]["8"], "pending", 600, 0, 0.0)


def test_an_event_without_end_uses_the_default_duration(scenario):
    check(scenario["events"]["9"], "partial", 600, 300, 0.5)


def test_an_officer_with_no_assignment_and_no_recordings(scenario):
    e = scenario["events"]["10"]
    check(e, "missing", 1200, 0, 0.0)
    assert e["roadside"] is True and e["officers"][0]["police_id"] == "NOBODY99"


def test_reports_and_flagged_lists(scenario, service, admin_token):
    http, admin = service.http, {"Authorization": f"Bearer {admin_token}"}
    params = {"start_from": "2026-11-10T00:00:00", "start_to": "2026-11-15T00:00:00"}
    roadside = {e["event_id"] for e in http.get("/api/v1/coverage/roadside-missing", headers=admin,
                                                params=params).json()["items"]}
    tag = scenario["tag"]
    assert {f"{tag}-4c", f"{tag}-10"} <= roadside and f"{tag}-3c" not in roadside  # 3c is not roadside (否)
    listed = http.get("/api/v1/coverage/accident-cases-without-recording", headers=admin, params=params).json()
    cases = listed["items"]
    case_nos = {c["case_no"] for c in cases}
    assert f"{tag}-CASE2" in case_nos and f"{tag}-CASE1" not in case_nos
    assert listed["total"] == len(cases)
    # A page further on holds the next case and the same total; past the end, none and the total.
    for offset in (len(cases) - 1, len(cases) + 5):
        page = http.get("/api/v1/coverage/accident-cases-without-recording", headers=admin,
                        params={**params, "limit": 1, "offset": offset}).json()
        assert (page["items"], page["total"]) == (cases[offset:offset + 1], len(cases))
    by_type = {r["group"]: r for r in http.get("/api/v1/coverage/summary", headers=admin,
                                               params={**params, "group_by": "type", "officer": scenario["B"]}).json()["rows"]}
    # B's events in the period: 3b covered, 4b covered, 6 covered, 7 covered (late), 9 partial.
    assert by_type["ticket"] == {"group": "ticket", "events": 3, "covered": 2, "partial": 1, "missing": 0,
                                 "pending": 0, "late_uploads": 1, "activation_rate": round(2 / 3, 4)}
    xlsx = http.get("/api/v1/coverage/summary", headers=admin, params={**params, "group_by": "day", "format": "xlsx"})
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["by day", "roadside missing"]
    days = {row[0].value for row in wb["by day"].iter_rows(min_row=2)}
    assert {"2026-11-10", "2026-11-11", "2026-11-12", "2026-11-14"} <= days
    csv_text = http.get("/api/v1/coverage/events", headers=admin, params={**params, "format": "csv"}).content.decode("utf-8-sig")
    assert f"{tag}-6" in csv_text and "event_id,event_type" in csv_text


def test_who_sees_which_events(scenario, world, service):
    http, tag = service.http, scenario["tag"]
    params = {"start_from": "2026-11-10T00:00:00", "start_to": "2026-11-15T00:00:00", "page_size": 1000}

    def seen(who):
        r = http.get("/api/v1/coverage/events", headers=world.headers(who), params=params)
        assert r.status_code == 200, r.text
        return {e["event_id"].removeprefix(f"{tag}-") for e in r.json()["items"] if e["event_id"].startswith(tag)}

    a_events = seen("officer_a")
    assert {"1", "2", "3a", "3c", "5", "6"} <= a_events and "4b" not in a_events and "7" not in a_events
    assert "4c" in seen("supervisor_dd2") and "1" not in seen("supervisor_dd2")  # C is in 大队 2
    assert {"1", "4b"} <= seen("supervisor_dd1")
    assert {"1", "4c", "10"} <= seen("auditor")
    assert http.get("/api/v1/coverage/events", headers=world.headers("station")).status_code == 403


def test_auto_links_and_manual_links_never_delete(scenario, service, admin_token, world):
    http, admin = service.http, {"Authorization": f"Bearer {admin_token}"}
    event = scenario["events"]["2"]
    links = http.get(f"/api/v1/events/{event['id']}/links", headers=admin).json()
    assert sorted(l["recording_id"] for l in links if l["source"] == "auto") == event["recording_ids"]
    other = scenario["recs"]["fast"]
    made = http.post(f"/api/v1/events/{event['id']}/links", headers=world.headers("supervisor_dd1"),
                     json={"recording_id": other})
    assert made.status_code == 200, made.text
    assert http.post(f"/api/v1/events/{event['id']}/links", headers=world.headers("officer_a"),
                     json={"recording_id": other}).status_code == 403
    link_id = made.json()["link_id"]
    assert http.delete(f"/api/v1/events/{event['id']}/links/{link_id}", headers=world.headers("supervisor_dd1")).status_code == 200
    after = {l["link_id"]: l for l in http.get(f"/api/v1/events/{event['id']}/links", headers=admin).json()}
    assert after[link_id]["removed_at"] is not None and after[link_id]["source"] == "manual"


def test_reimporting_an_event_updates_it(scenario, service, admin_token):
    http, admin, tag = service.http, {"Authorization": f"Bearer {admin_token}"}, scenario["tag"]
    ledger = f"event_id,event_type,police_ids,started_at,ended_at\n{tag}-9,ticket,{scenario['B']},2026-11-14T16:00:00,2026-11-14T16:05:00\n"
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("fix.csv", ledger.encode(), "text/csv")})
    assert r.json() == {"created": 0, "updated": 1, "errors": [], "error_count": 0, "dry_run": False, "rows": []}
    events = http.get("/api/v1/coverage/events", headers=admin, params={"officer": scenario["B"], "page_size": 1000}).json()["items"]
    e9 = next(e for e in events if e["event_id"] == f"{tag}-9")
    check(e9, "covered", 300, 300, 1.0)


def test_stored_summaries(service, admin_token):
    from workers.tasks import store_coverage_summaries

    done = store_coverage_summaries()
    assert [d.split(":")[0] for d in done] == ["day", "week", "month"]
    http, admin = service.http, {"Authorization": f"Bearer {admin_token}"}
    listed = http.get("/api/v1/coverage/summaries", headers=admin).json()
    month = next(s for s in listed if s["period"] == "month")
    body = http.get(f"/api/v1/coverage/summaries/{month['id']}", headers=admin).json()
    assert body["data"]["period"] == "month" and "by_unit" in body["data"] and "roadside_missing" in body["data"]


def test_a_full_recompute_gives_the_same_numbers(scenario, service, admin_token, monkeypatch):
    from evidence.coverage import service as coverage_service
    from evidence.coverage.service import recompute_all

    monkeypatch.setattr(coverage_service, "COPY_MIN_ROWS", 1)  # take the bulk COPY path even for a few rows
    monkeypatch.setattr(coverage_service, "UNCHECKED_MIN_ROWS", 1)  # and the load without per-row key checks

    http, admin = service.http, {"Authorization": f"Bearer {admin_token}"}
    params = {"start_from": "2026-11-01T00:00:00", "page_size": 1000}

    def snapshot():
        items = http.get("/api/v1/coverage/events", headers=admin, params=params).json()["items"]
        return {e["event_id"]: (e["status"], e["covered_seconds"], e["ratio"], e["late_upload"], e["recording_ids"],
                                sorted((o["police_id"], o["status"], o["covered_seconds"]) for o in e["officers"]))
                for e in items if e["event_id"].startswith(scenario["tag"])}

    def keys_and_indexes():
        insp = inspect(get_engine())
        return {t: (insp.get_foreign_keys(t), insp.get_indexes(t))
                for t in ("event_coverage", "event_officer_coverage", "recording_event_links")}

    before, schema = snapshot(), keys_and_indexes()
    with session_scope() as s:
        assert recompute_all(s) >= len(before)
    assert snapshot() == before
    assert keys_and_indexes() == schema, "the keys and indexes dropped for the load are back as they were"
    links = http.get(f"/api/v1/events/{scenario['events']['6']['id']}/links", headers=admin).json()
    active = sorted(l["recording_id"] for l in links if l["source"] == "auto" and l["removed_at"] is None)
    assert active == scenario["events"]["6"]["recording_ids"], "auto-links are not duplicated by a rebuild"


def test_the_bulk_sqlite_path_writes_and_reads_times_as_sqlalchemy_does():
    from sqlalchemy.dialects import sqlite

    from evidence.coverage.service import _sqlite_text, _ts_sqlite
    from evidence.db import UTCDateTime

    dialect = sqlite.dialect()
    column_type = UTCDateTime().dialect_impl(dialect)
    write, read = column_type.bind_processor(dialect), column_type.result_processor(dialect, None)
    for value in (datetime(2026, 11, 28, 1, 30, tzinfo=timezone.utc), t("2026-11-28 09:30:00.123456"),
                  datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)):
        assert _sqlite_text(value) == write(value)
        assert _ts_sqlite(write(value)) == read(write(value)).timestamp() == value.timestamp()
