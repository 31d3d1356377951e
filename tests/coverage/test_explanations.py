"""Explanations of missing or partial footage: only an officer named on the event explains his
own missing or partial share, one open explanation at a time; only a supervisor of the event's
unit (or above) or an admin decides; a rejection allows a new submission and keeps the old one;
an accepted explanation never changes the measured coverage; every step is audited."""

from __future__ import annotations

from sqlalchemy import select

from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from tests.conftest import unique
from tests.coverage.test_coverage import add_recording


def test_who_may_explain_and_decide_and_resubmission(world, service, admin_token):
    http, admin = service.http, {"Authorization": f"Bearer {admin_token}"}
    A, C = world.users["officer_a"][0], world.users["officer_c"][0]
    tag = unique("EX")
    add_recording(unique("CEX").upper(), "2026-10-05T10:00:00", "2026-10-05T10:10:00", attribute_to=A)
    ledger = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
              f"{tag}-missing,ticket,{A},2026-10-05T08:00:00,2026-10-05T08:10:00,\n"
              f"{tag}-covered,ticket,{A},2026-10-05T10:00:00,2026-10-05T10:10:00,\n"
              f"{tag}-partial,ticket,{A},2026-10-05T10:08:00,2026-10-05T10:28:00,\n"
              f"{tag}-other-unit,ticket,{C},2026-10-05T08:00:00,2026-10-05T08:10:00,\n")
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("ledger.csv", ledger.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 4, r.text
    events = {e["event_id"].removeprefix(tag + "-"): e for e in http.get(
        "/api/v1/my/events", headers=world.headers("officer_a")).json()["items"] if e["event_id"].startswith(tag)}
    assert {k: e["my_status"] for k, e in events.items()} == {"missing": "missing", "covered": "covered",
                                                              "partial": "partial"}
    missing, covered, partial = (events[k]["id"] for k in ("missing", "covered", "partial"))

    def explain(who, event_id, reason="device_fault", text=None):
        return http.post(f"/api/v1/events/{event_id}/explanations", headers=world.headers(who),
                         json={"reason": reason, "text": text})

    assert explain("officer_b", missing).status_code == 404, "not named on the event"
    assert explain("officer_a", covered).status_code == 409, "covered footage needs no explanation"
    assert explain("officer_a", missing, "other").status_code == 422, "'other' needs words"
    assert explain("auditor", missing).status_code == 403
    first = explain("officer_a", missing)
    assert first.status_code == 201 and first.json()["state"] == "submitted", first.text
    assert explain("officer_a", missing, "battery_flat").status_code == 409, "one open explanation at a time"
    assert explain("officer_a", partial, "other", "记录仪卡顿").status_code == 201

    def decide(who, explanation_id, accept, comment=None):
        headers = admin if who == "admin" else world.headers(who)
        return http.post(f"/api/v1/explanations/{explanation_id}/decision", headers=headers,
                         json={"accept": accept, "comment": comment})

    assert decide("supervisor_dd2", first.json()["id"], True).status_code == 403, "another unit's supervisor"
    assert decide("officer_a", first.json()["id"], True).status_code == 403
    rejected = decide("supervisor_dd1", first.json()["id"], False, "请说明故障编号")  # the 中队's parent 大队
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected", rejected.text
    assert rejected.json()["decided_by"] == world.users["supervisor_dd1"][0]
    assert decide("admin", first.json()["id"], True).status_code == 409, "decided once"

    second = explain("officer_a", missing, "not_worn")
    assert second.status_code == 201, "a rejected explanation may be submitted again"
    assert decide("admin", second.json()["id"], True).status_code == 200
    history = http.get(f"/api/v1/events/{missing}/explanations", headers=world.headers("supervisor_dd1")).json()
    assert [(h["reason"], h["state"]) for h in history] == [("device_fault", "rejected"), ("not_worn", "accepted")]
    assert explain("officer_a", missing).status_code == 409, "an accepted explanation stays the open one"
    mine = http.get("/api/v1/my/explanations", headers=world.headers("officer_a")).json()
    assert {(m["event_id"], m["state"]) for m in mine} >= {(missing, "accepted"), (partial, "submitted")}

    rows = http.get("/api/v1/coverage/events", headers=admin, params={"officer": A}).json()["items"]
    assert {r["event_id"]: r["status"] for r in rows if r["event_id"].startswith(tag)} == {
        f"{tag}-missing": "missing", f"{tag}-covered": "covered", f"{tag}-partial": "partial"}

    daily = http.get("/api/v1/supervision/daily", headers=world.headers("supervisor_dd1"),
                     params={"day": "2026-10-05"}).json()
    listed = {(i["event_id"], i["status"], (i["explanation"] or {}).get("state")) for i in daily["items"]
              if i["event_id"].startswith(tag)}
    assert listed == {(f"{tag}-missing", "missing", "accepted"), (f"{tag}-partial", "partial", "submitted")}
    assert http.get("/api/v1/supervision/daily", headers=world.headers("officer_a")).status_code == 403

    with session_scope() as s:
        actions = [a for (a,) in s.execute(select(AuditEntry.action).where(
            AuditEntry.action.in_(("explanation.submit", "explanation.decide"))))]
    assert actions.count("explanation.submit") >= 3 and actions.count("explanation.decide") >= 2

    sup = world.headers("supervisor_dd1")
    month = http.get("/api/v1/supervision/monthly", headers=sup, params={"month": "2026-10"})
    assert month.status_code == 200, month.text
    officer = next(r for r in month.json()["officers"] if r["key"] == A)
    assert officer["covered"] >= 1 and officer["missing"] >= 1 and officer["partial"] >= 1
    week = http.get("/api/v1/supervision/weekly", headers=sup, params={"week_start": "2026-10-07"})
    assert week.status_code == 200 and week.json()["week_start"] == "2026-10-05", week.text
    for path, params in (("monthly", {"month": "2026-10"}), ("weekly", {"week_start": "2026-10-05"}),
                         ("daily", {"day": "2026-10-05"})):
        r = http.get(f"/api/v1/supervision/{path}", headers=sup, params={**params, "format": "xlsx"})
        assert r.status_code == 200 and r.content[:2] == b"PK", (path, r.text[:300])
    for path, params in (("daily", {"day": "9999-12-31"}), ("weekly", {"week_start": "0001-01-01"}),
                         ("monthly", {"month": "9999-12"}), ("monthly", {"month": "2026-13"})):
        r = http.get(f"/api/v1/supervision/{path}", headers=sup, params=params)
        assert r.status_code == 422, (path, r.text)
