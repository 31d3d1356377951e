"""GET /api/v1/supervision/overview on PostgreSQL: the on-time rule at its edge (to the microsecond,
as evidence/coverage/ontime.py states it), the period a pinned day falls in, camera time,
who may read which unit, and the audit entry."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from evidence.identity.models import User
from evidence.recordings.models import Recording

SHANGHAI = timezone(timedelta(hours=8))


def _recording(officer: User, started: datetime, seconds: float | None, docked: datetime | None,
               uploaded: datetime | None = None, status: str = "verified") -> Recording:
    return Recording(sha256=secrets.token_hex(32), size_bytes=1, media_kind="video", original_filename="x.mp4",
                     object_key="originals/x", officer_id=officer.id, officer_source="filename",
                     unit_id=officer.unit_id, started_at=started, duration_seconds=seconds, docked_at=docked,
                     uploaded_at=uploaded or docked, status=status, processing_state="ready")


def test_on_time_import_camera_time_and_the_period_of_a_pinned_day(world, service):
    http = service.http
    start = datetime(2026, 10, 14, 9, 30, 0, 250000, tzinfo=SHANGHAI)  # a Wednesday
    day = timedelta(hours=24)
    with session_scope() as s:
        a = s.scalar(select(User).where(User.police_id == world.users["officer_a"][0]))
        s.add_all([
            _recording(a, start, 10.5, start + timedelta(seconds=10.5) + day),  # docked at the very deadline
            _recording(a, start, 10.5, start + timedelta(seconds=10.5, microseconds=1) + day),  # 1 µs late
            _recording(a, start, None, None, uploaded=start + day),  # no dock time: arrival, no duration: 0 s
            _recording(a, start, 60.0, start + timedelta(hours=1)),
            _recording(a, start, 30.0, start + timedelta(hours=1), status="failed"),  # not verified: not counted
            _recording(a, start - timedelta(days=20), 5.0, start),  # September, docked 20 days later
        ])
    unit = world.units["zhd1"]["id"]
    sup = world.headers("supervisor_dd1")

    r = http.get("/api/v1/supervision/overview", headers=sup,
                 params={"period": "week", "start": "2026-10-15", "unit_id": unit})
    assert r.status_code == 200, r.text
    week = r.json()
    assert (week["start"], week["end"]) == ("2026-10-12", "2026-10-18"), "a week runs Monday to Sunday"
    assert week["from"].startswith("2026-10-11T16:00:00"), "the unit's midnight, as an instant"
    assert week["on_time"] == {"on_time": 3, "total": 4, "rate": 0.75, "hours": 24}
    assert week["recordings"] == 4 and abs(week["recorded_seconds"] - 81.0) < 0.05
    assert week["unit"]["code"] == world.units["zhd1"]["code"]

    month = http.get("/api/v1/supervision/overview", headers=sup,
                     params={"period": "month", "start": "2026-10-31", "unit_id": unit}).json()
    assert (month["start"], month["end"]) == ("2026-10-01", "2026-10-31")
    assert month["on_time"]["total"] == 4 and month["recordings"] == 4
    other = http.get("/api/v1/supervision/overview", headers=sup,
                     params={"period": "day", "start": "2026-09-24", "unit_id": unit}).json()
    assert other["recordings"] == 1 and other["on_time"] == {"on_time": 0, "total": 1, "rate": 0.0, "hours": 24}

    # The supervisor's own unit is the default, with the units under it.
    mine = http.get("/api/v1/supervision/overview", headers=sup, params={"period": "week", "start": "2026-10-15"}).json()
    assert mine["unit"]["id"] == world.units["dd1"]["id"] and mine["on_time"]["total"] == 4
    assert {u["id"] for u in mine["units"]} == {world.units["dd1"]["id"], unit}

    with session_scope() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "supervision.overview")
                          .order_by(AuditEntry.id.desc())).first()
    assert entry is not None


def test_who_may_read_which_unit(world, service):
    http, unit = service.http, world.units["zhd1"]["id"]
    q = {"period": "day", "start": "2026-10-14"}
    assert http.get("/api/v1/supervision/overview", headers=world.headers("supervisor_dd2"),
                    params={**q, "unit_id": unit}).status_code == 404, "another brigade's unit"
    assert http.get("/api/v1/supervision/overview", headers=world.headers("officer_a"), params=q).status_code == 403
    assert http.get("/api/v1/supervision/overview", headers=world.headers("case_handler"), params=q).status_code == 403
    auditor = http.get("/api/v1/supervision/overview", headers=world.headers("auditor"), params=q).json()
    assert auditor["unit"] is None and auditor["todo"]["access_requests_to_decide"] is None, "auditors decide nothing"
    r = http.get("/api/v1/supervision/overview", headers=world.headers("auditor"), params={**q, "start": "1999-12-31"})
    assert r.status_code == 422 and "2000-01-01" in r.text
