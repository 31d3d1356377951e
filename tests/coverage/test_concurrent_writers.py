"""Writers that meet on PostgreSQL: two clips of one officer probed at the same moment, ledger rows
recomputed while clips arrive, and an attach to a case while a worker touches the same recording.
Each must finish (no deadlock, no duplicate key), the coverage must say what one writer at a time
would have said, the stored day counts must equal a rebuild (nothing counted twice), and the audit
chain must verify.

Before the fix a worker's coverage refresh met "duplicate key event_coverage_pkey" and was dropped,
so a covered event stayed missing in the report; and an attach to a case deadlocked with a
worker (the audit lock taken first, a recording row second, by one; the other way round by the other).
Service level, on a fresh PostgreSQL database (SQLite runs one writer at a time by design)."""

from __future__ import annotations

import io
import secrets
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from evidence import flows
from evidence.audit import service as audit
from evidence.coverage import day_counts, recording_counts
from evidence.coverage.ledger_import import import_ledger
from evidence.coverage.models import (CoverageDayCount, CoverageDayOfficerCount, EnforcementEvent, EventCoverage,
                                      RecordingDayCount)
from evidence.db import make_engine
from evidence.identity.models import Unit, User
from evidence.migrate import upgrade
from evidence.recordings.models import Recording
from tests.conftest import create_pg_database, drop_pg_database

CST = timezone(timedelta(hours=8))
OFFICERS, EVENTS_EACH = 3, 4


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST).astimezone(timezone.utc)


@pytest.fixture
def engine():
    url = create_pg_database()
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_pg_database(url)


def _world(engine) -> list[User]:
    """A brigade, three officers, and a ledger of 4 events each on one day (all missing so far)."""
    with Session(engine, expire_on_commit=False) as s:
        unit = Unit(code="CW-DD", name="大队", level="brigade")
        s.add(unit)
        s.flush()
        officers = [User(police_id=f"CW{i}", name=f"officer {i}", role="officer", password_hash="x", unit_id=unit.id)
                    for i in range(OFFICERS)]
        s.add_all(officers)
        s.flush()
        rows = [f"CW-{o}-{e},现场处罚,CW{o},2026-11-20 08:{e * 10:02d}:00,2026-11-20 08:{e * 10 + 2:02d}:00,,,是"
                for o in range(OFFICERS) for e in range(EVENTS_EACH)]
        text = "事件编号,类型,警号,开始时间,结束时间,地点,案件编号,路面执法\n" + "\n".join(rows) + "\n"
        import_ledger(s, audit.SYSTEM, io.BytesIO(text.encode()), "ledger.csv", "Asia/Shanghai")
        s.commit()
        return officers


def _clip(s: Session, officer: User, event: int) -> int:
    """A verified 2-minute clip over one event, as the worker leaves it just before its coverage refresh."""
    began = t(f"2026-11-20 08:{event * 10:02d}:00")
    rec = Recording(sha256=secrets.token_hex(32), size_bytes=1000, media_kind="video", original_filename="c.mp4",
                    object_key=f"originals/{secrets.token_hex(4)}", officer_id=officer.id, officer_source="filename",
                    unit_id=officer.unit_id, started_at=began, ended_at=began + timedelta(minutes=2),
                    duration_seconds=120.0, status="verified", time_source="filename", uploaded_at=began,
                    docked_at=began + timedelta(hours=1), processing_state="ready")
    s.add(rec)
    s.commit()
    return rec.id


def _run_together(jobs) -> list[BaseException]:
    """Start every job at once (a barrier), wait for all; return what they raised."""
    barrier, errors = threading.Barrier(len(jobs)), []

    def run(job):
        try:
            job(barrier)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads), "a writer is still waiting after 2 minutes"
    return errors


def _counts(s: Session) -> dict:
    out = {}
    for table in (CoverageDayCount, CoverageDayOfficerCount, RecordingDayCount):
        cols = [c for c in table.__table__.columns if c.name != "id"]
        out[table.__tablename__] = sorted(map(tuple, s.execute(select(*cols))), key=repr)
    return out


def test_clips_probed_at_once_all_count_and_nothing_is_counted_twice(engine):
    officers = _world(engine)
    with Session(engine) as s:
        clips = [(_clip(s, o, e)) for o in officers for e in range(EVENTS_EACH)]

    def refresh(recording_id):
        def job(barrier):
            with Session(engine) as s:
                barrier.wait(30)  # every clip's refresh starts at the same moment, as two media workers do
                flows.recording_timed(s, recording_id)
                audit.record(s, audit.SYSTEM, "recording.processed", "recording", recording_id)
                s.commit()
        return job

    errors = _run_together([refresh(r) for r in clips])
    assert errors == [], errors

    with Session(engine) as s:
        statuses = dict(s.execute(select(EnforcementEvent.event_id, EventCoverage.status)
                                  .join(EventCoverage, EventCoverage.event_id == EnforcementEvent.id)).all())
        assert set(statuses.values()) == {"covered"}, statuses  # each event's own clip covers it
        assert len(statuses) == OFFICERS * EVENTS_EACH
        stored = _counts(s)
        assert s.scalar(select(func.sum(CoverageDayCount.events))) == OFFICERS * EVENTS_EACH  # each event once
        day_counts.rebuild(s)
        recording_counts.rebuild(s)
        assert _counts(s) == stored, "the counts kept by concurrent writers are those a rebuild makes"
        s.rollback()
        assert audit.verify_chain(s).ok


def test_an_audited_write_and_a_worker_on_one_recording_do_not_deadlock(engine):
    """One transaction audits first and then changes the recording (an attach setting its
    retention); the other changes the recording first and audits after (a worker). Both finish."""
    officers = _world(engine)
    with Session(engine) as s:
        rec_id = _clip(s, officers[0], 0)
    order: list[str] = []

    def attach(barrier):
        with Session(engine) as s:
            audit.record(s, audit.SYSTEM, "case.attach", "recording", rec_id)
            barrier.wait(30)
            s.execute(update(Recording).where(Recording.id == rec_id).values(retention_class="case"))
            s.commit()
            order.append("attach")

    def worker(barrier):
        with Session(engine) as s:
            s.execute(update(Recording).where(Recording.id == rec_id).values(poster_key="derived/p.jpg"))
            barrier.wait(30)
            audit.record(s, audit.SYSTEM, "recording.processed", "recording", rec_id)
            s.commit()
            order.append("worker")

    errors = _run_together([attach, worker])
    assert errors == [], errors
    assert sorted(order) == ["attach", "worker"]
    with Session(engine) as s:
        rec = s.get(Recording, rec_id)
        assert (rec.retention_class, rec.poster_key) == ("case", "derived/p.jpg")
        assert audit.verify_chain(s).ok
