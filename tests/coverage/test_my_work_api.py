"""GET /api/v1/my/events: the caller's own ledger events, missing and partial first, his own share
of each, never a colleague's event; audited; not for roles that have no events of their own."""

from __future__ import annotations

from sqlalchemy import select

from evidence.db import session_scope
from evidence.audit.models import AuditEntry
from tests.conftest import unique
from tests.coverage.test_coverage import add_recording


def test_my_events_are_mine_worst_first_with_my_own_share(world, service, admin_token):
    http, admin = service.http, {"Authorization": f"Bearer {admin_token}"}
    A, B = world.users["officer_a"][0], world.users["officer_b"][0]
    tag = unique("MY")
    cam = unique("CMY").upper()
    rec = add_recording(cam, "2026-11-21T10:00:00", "2026-11-21T10:10:00", attribute_to=A)
    ledger = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
              f"{tag}-covered,ticket,{A},2026-11-21T10:00:00,2026-11-21T10:10:00,\n"
              f"{tag}-missing-old,ticket,{A},2026-11-19T09:00:00,2026-11-19T09:10:00,\n"
              f"{tag}-missing-new,ticket,{A},2026-11-22T09:00:00,2026-11-22T09:10:00,\n"
              f"{tag}-shared,ticket,{A};{B},2026-11-21T10:00:00,2026-11-21T10:10:00,\n"
              f"{tag}-b-only,ticket,{B},2026-11-23T09:00:00,2026-11-23T09:10:00,\n")
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("ledger.csv", ledger.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 5, r.text

    r = http.get("/api/v1/my/events", headers=world.headers("officer_a"))
    assert r.status_code == 200, r.text
    mine = [e for e in r.json()["items"] if e["event_id"].startswith(tag)]
    names = [e["event_id"].removeprefix(tag + "-") for e in mine]
    assert names == ["missing-new", "missing-old", "shared", "covered"], names  # same start: newest entry first
    shared = next(e for e in mine if e["event_id"].endswith("-shared"))
    assert shared["my_status"] == "covered" and shared["status"] == "covered", shared
    assert shared["my_recording_ids"] == [rec] and shared["window_seconds"] == 600
    assert r.json()["counts"]["missing"] >= 2 and r.json()["counts"]["covered"] >= 2

    r = http.get("/api/v1/my/events", headers=world.headers("officer_b"))
    theirs = {e["event_id"].removeprefix(tag + "-"): e for e in r.json()["items"] if e["event_id"].startswith(tag)}
    assert set(theirs) == {"shared", "b-only"}, "only the events that name the caller"
    # A's footage covers the event, not B's part in it: B sees it among his missing ones
    assert theirs["shared"]["status"] == "covered" and theirs["shared"]["my_status"] == "missing"
    assert theirs["shared"]["my_recording_ids"] == []
    assert list(theirs) == ["b-only", "shared"], "missing first, newest first"

    assert http.get("/api/v1/my/events", headers=world.headers("case_handler")).json()["items"] == []
    assert http.get("/api/v1/my/events", headers=world.headers("auditor")).status_code == 403
    assert http.get("/api/v1/my/events").status_code == 401

    with session_scope() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "coverage.my_events")
                          .order_by(AuditEntry.id.desc())).first()
    assert entry is not None
