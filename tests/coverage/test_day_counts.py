"""The stored per-day counts (coverage.day_counts, coverage.recording_counts) give exactly what
counting every event and recording gives, on PostgreSQL and SQLite, after each change a brigade
makes: a ledger import, recordings arriving (one late), a camera's recordings given to another
officer, a ledger row moved to another day and officer, a manual link and a case attachment, the
upload deadline passing, and a full recompute. Each step compares, for an admin, an auditor and a
supervisor (auditors read as admins), every day, a week and the month: the home page's figures, the explorer's unit
and officer tables, the event totals, and the stored rows against a rebuild from scratch.

Service level (no API server); a fresh database per backend. ~45 s for both on a busy 2-core machine."""

from __future__ import annotations

import io
import secrets
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Float, and_, func, select
from sqlalchemy.orm import Session

from evidence import flows
from evidence.audit import service as audit
from evidence.cases.models import Case, CaseRecording
from evidence.coverage import day_counts, explorer, recording_counts, reports, service
from evidence.coverage.ledger_import import import_ledger
from evidence.coverage.models import (CoverageDayCount, CoverageDayOfficerCount, EnforcementEvent,
                                      RecordingDayCount, RecordingEventLink)
from evidence.coverage.ontime import on_time_by_officer
from evidence.db import make_engine
from evidence.devices.models import Device
from evidence.identity.models import Unit, User
from evidence.migrate import upgrade
from evidence.recordings import library
from evidence.recordings.models import Recording
from evidence.supervision import overview as home
from tests.conftest import create_pg_database, drop_pg_database

CST = timezone(timedelta(hours=8))
DAYS = [date(2026, 11, 9) + timedelta(days=i) for i in range(8)]  # Mon 9 … Mon 16 November


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST).astimezone(timezone.utc)


@pytest.fixture(params=["postgresql", "sqlite"])
def db(request, tmp_path):
    url = create_pg_database() if request.param == "postgresql" else f"sqlite:///{tmp_path / 'counts.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        yield s
    engine.dispose()
    if request.param == "postgresql":
        drop_pg_database(url)


def _world(s: Session) -> dict:
    zd = Unit(code="S7ZD", name="支队", level="detachment")
    s.add(zd)
    s.flush()
    dd1, dd2 = Unit(code="S7DD1", name="一大队", level="brigade", parent_id=zd.id), \
        Unit(code="S7DD2", name="二大队", level="brigade", parent_id=zd.id)
    s.add_all([dd1, dd2])
    s.flush()
    zhd = Unit(code="S7ZHD1", name="一中队", level="squadron", parent_id=dd1.id)
    s.add(zhd)
    s.flush()
    people = {"A": ("officer", zhd), "B": ("officer", dd1), "C": ("officer", dd2), "SUP": ("supervisor", dd1),
              "AUD": ("auditor", None), "ADM": ("admin", None)}
    users = {}
    for key, (role, unit) in people.items():
        users[key] = User(police_id=f"S7{key}", name=key, role=role, password_hash="x",
                          unit_id=unit.id if unit else None)
    s.add_all(users.values())
    s.commit()
    return {"users": users, "units": {"zd": zd, "dd1": dd1, "dd2": dd2, "zhd": zhd}}


def _import(s: Session, text: str) -> None:
    import_ledger(s, audit.SYSTEM, io.BytesIO(text.encode()), "ledger.csv", "Asia/Shanghai")
    s.commit()


def _recording(s: Session, officer: User | None, start: str, minutes: float, uploaded_after_h: float = 2,
               status: str = "verified", docked: bool = True) -> Recording:
    serial = f"S7CAM{officer.police_id if officer else 'X'}"
    device = s.scalar(select(Device).where(Device.serial == serial))
    if device is None:
        device = Device(serial=serial)
        s.add(device)
        s.flush()
    began = t(start)
    ended = began + timedelta(minutes=minutes)
    arrived = ended + timedelta(hours=uploaded_after_h)
    rec = Recording(sha256=secrets.token_hex(32), size_bytes=1000, media_kind="video", original_filename=f"{start}.mp4",
                    object_key="originals/x", device_serial=serial, device_id=device.id,
                    officer_id=officer.id if officer else None, officer_source="filename" if officer else "none",
                    unit_id=officer.unit_id if officer else None, started_at=began, ended_at=ended,
                    duration_seconds=minutes * 60, status=status, time_source="filename", uploaded_at=arrived,
                    docked_at=arrived if docked else None, processing_state="ready")
    s.add(rec)
    s.flush()
    service.recompute_for_recordings(s, [rec.id])
    s.commit()
    return rec


def _live_recorded(s: Session, unit_ids, lo, hi) -> tuple[int, float]:
    q = select(func.count(), func.coalesce(func.sum(func.coalesce(Recording.duration_seconds, 0.0)), 0.0,
                                                   type_=Float)).where(
        Recording.status == "verified", Recording.started_at >= lo, Recording.started_at < hi)
    if unit_ids is not None:
        q = q.where(Recording.unit_id.in_(unit_ids))
    n, seconds = s.execute(q).one()
    return int(n), round(float(seconds), 1)


def _periods():
    for d in (DAYS[0], DAYS[1], DAYS[3], DAYS[7]):  # the days with events across or at local midnight
        yield "day", d
    yield "week", DAYS[0]
    yield "month", DAYS[0]


def _compare(s: Session, w: dict) -> None:
    """Every reader and period: stored answers == live answers, and stored rows == a rebuild."""
    s.commit()
    users, units = w["users"], w["units"]
    for who in (users["ADM"], users["SUP"]):  # auditors read as admins do
        for unit_id in (None, units["dd1"].id):
            for period, start in _periods():
                got = home.overview(s, who, period, start, unit_id)
                lo, hi = got["from"], got["to"]
                scope = home.resolve_scope(s, who, unit_id)
                f = reports.EventFilter(unit_id=scope.unit.id if scope.unit else None, start_from=lo, start_to=hi)
                assert got["types"] == home._type_rows(reports.summary(s, who, "type", f, stored=False))
                ontime = on_time_by_officer(s, lo, hi, scope.unit_ids).values()
                assert (got["on_time"]["on_time"], got["on_time"]["total"]) == (sum(o.on_time for o in ontime),
                                                                                sum(o.total for o in ontime))
                assert (got["recordings"], got["recorded_seconds"]) == _live_recorded(s, scope.unit_ids, lo, hi)
                assert got["todo"]["unlinked_recordings"] == library.count(s, who, library.LibraryFilter(
                    unit=scope.unit.code if scope.unit else None, start_from=lo, start_to=hi, linked=False))
                assert got["todo"]["accident_cases_without_recording"] == len(
                    _old_accident_cases(s, who, f))
                for group in ("unit", "type"):
                    assert reports.summary(s, who, group, f) == reports.summary(s, who, group, f, stored=False)
                assert explorer.unit_rows(s, who, unit_id, lo, hi) == explorer.unit_rows(s, who, unit_id, lo, hi,
                                                                                          stored=False)
                assert explorer.officer_rows(s, who, unit_id, lo, hi) == explorer.officer_rows(
                    s, who, unit_id, lo, hi, stored=False)
                for statuses in ((None, ("missing", "partial")) if period == "month" else ()):
                    for officer in (None, "S7A", "S7C"):
                        ef = reports.EventFilter(unit_id=unit_id, officer=officer, start_from=lo, start_to=hi,
                                                 statuses=statuses)
                        assert reports.count_events(s, who, ef) == reports.count_events(s, who, ef, stored=False)
                for kinds in ({"roadside": True, "status": "missing"}, {"event_type": "accident"},
                              {"roadside": False, "status": "covered", "statuses": ("missing",)}):
                    ef = reports.EventFilter(unit_id=unit_id, start_from=lo, start_to=hi, **kinds)
                    assert reports.count_events(s, who, ef) == reports.count_events(s, who, ef, stored=False)
    stored = _rows(s)
    day_counts.rebuild(s)
    recording_counts.rebuild(s)
    assert _rows(s) == stored, "the counts kept step by step are those a rebuild makes"
    s.commit()


def _old_accident_cases(s: Session, who, f) -> list[str]:
    """The list as it was counted before: every accident event of the filter, grouped in Python."""
    cases: dict[str, list[dict]] = {}
    for r in reports.event_rows(s, who, reports.EventFilter(**{**vars(f), "event_type": "accident"})):
        if r["case_no"]:
            cases.setdefault(r["case_no"], []).append(r)
    return sorted(c for c, evs in cases.items()
                  if all(e["covered_seconds"] == 0 for e in evs) and any(e["status"] == "missing" for e in evs))


def _rows(s: Session) -> dict:
    out = {}
    for table in (CoverageDayCount, CoverageDayOfficerCount, RecordingDayCount):
        cols = [c for c in table.__table__.columns if c.name != "id"]
        out[table.__tablename__] = sorted((tuple(round(v, 3) if isinstance(v, float) else v for v in r)
                                           for r in s.execute(select(*cols))), key=repr)
    return out


def test_stored_counts_equal_counting_everything_after_each_change(db):
    s, w = db, _world(db)
    A, B, C = (w["users"][k] for k in "ABC")
    _import(s, "事件编号,类型,警号,开始时间,结束时间,地点,案件编号,路面执法\n"
               "S7-1,现场处罚,S7A,2026-11-09 10:00:00,2026-11-09 10:10:00,,,是\n"
               "S7-2,盘查,S7A;S7B,2026-11-09 23:50:00,2026-11-10 00:20:00,,,\n"  # across local midnight
               "S7-3,事故处理,S7B,2026-11-10 07:30:00,2026-11-10 08:30:00,,S7-CASE1,\n"  # 23:30 UTC the day before
               "S7-4,事故处理,S7B,2026-11-10 09:00:00,2026-11-10 09:30:00,,S7-CASE1,\n"
               "S7-5,事故处理,S7C,2026-11-11 14:00:00,2026-11-11 15:00:00,,S7-CASE2,\n"
               "S7-6,现场处罚,S7C,2026-11-12 00:00:00,,,,是\n"  # local midnight exactly, no end
               "S7-7,扣留车辆,S7NOBODY,2026-11-13 18:00:00,2026-11-13 18:20:00,,,\n"  # no account: no unit
               "S7-8,接处警,S7A;S7C,2026-11-14 08:00:00,2026-11-14 08:30:00,,,\n"
               "S7-9,现场处罚,S7A,2026-11-16 07:59:00,2026-11-16 08:05:00,,,是\n"
               "S7-10,事故处理,S7A,2026-11-15 20:00:00,2026-11-15 21:00:00,,S7-CASE3,\n")
    _compare(s, w)

    _recording(s, A, "2026-11-09T09:59:00", 12)  # S7-1 covered
    _recording(s, B, "2026-11-09T23:55:00", 10)  # S7-2 partly, B's share
    _recording(s, B, "2026-11-10T07:29:00", 62)  # S7-3 covered: CASE1 no longer without footage
    _recording(s, None, "2026-11-12T10:00:00", 5)  # nobody's: no unit, linked to nothing
    _recording(s, C, "2026-11-14T08:00:00", 10, status="uploading")  # not verified yet
    _recording(s, A, "2026-11-14T07:58:00", 33, docked=False)  # uploaded, not docked: on time by upload
    _compare(s, w)

    late = _recording(s, A, "2026-11-16T07:58:00", 8, uploaded_after_h=30)  # S7-9: late upload
    _recording(s, C, "2026-11-11T13:59:00", 20, uploaded_after_h=23.9)
    _compare(s, w)

    # the camera was C's that morning, not A's: attributed again, the coverage it leaves and reaches recomputed
    late.officer_id, late.unit_id = C.id, C.unit_id
    s.flush()
    service.recompute_for_recordings(s, [late.id], {A.id})
    s.commit()
    _compare(s, w)

    # the ledger is corrected: S7-1 was the next day, by C; S7-6 was an accident of CASE2
    _import(s, "事件编号,类型,警号,开始时间,结束时间,地点,案件编号,路面执法\n"
               "S7-1,现场处罚,S7C,2026-11-10 10:00:00,2026-11-10 10:10:00,,,是\n"
               "S7-6,事故处理,S7C,2026-11-12 00:00:00,2026-11-12 01:00:00,,S7-CASE2,\n")
    _compare(s, w)

    # a manual link, a case attachment, and both undone
    nobody = s.scalar(select(Recording).where(Recording.officer_id.is_(None)))
    event = s.scalar(select(EnforcementEvent).where(EnforcementEvent.event_id == "S7-7"))
    link = RecordingEventLink(recording_id=nobody.id, event_id=event.id, source="manual", created_by="S7SUP")
    case = Case(case_no="S7-CASE9", case_type="accident", title="t", unit_id=w["units"]["dd1"].id)
    s.add_all([link, case])
    s.flush()
    attached = CaseRecording(case_id=case.id, recording_id=s.scalar(select(Recording.id).where(
        Recording.status == "uploading")))
    s.add(attached)
    s.commit()
    _compare(s, w)
    link.removed_at = attached.detached_at = datetime.now(timezone.utc)
    s.commit()
    _compare(s, w)

    # everything recomputed one by one at a later moment, then all at once
    service.recompute(s, list(s.scalars(select(EnforcementEvent.id))), now=t("2026-12-20T00:00:00"))
    s.commit()
    _compare(s, w)
    flows.recording_timed(s, nobody.id)
    service.recompute_all(s)
    s.commit()
    _compare(s, w)
    # and the counts are not empty: the comparison compared something
    assert s.scalar(select(func.sum(CoverageDayCount.events))) == 10
    assert s.scalar(select(func.count()).select_from(RecordingDayCount).where(and_(RecordingDayCount.unlinked > 0)))
