"""`evidence demo-month` on a fresh SQLite database (in-process, a few seconds): the month it writes
is the one its seed plans (each event and officer gets the status the generator meant), it refuses
a database that already holds events, and with --force it needs a prefix that clashes with nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from entrypoints.cli import app
from evidence.coverage.generated_month import generate
from evidence.coverage.models import EnforcementEvent, EventCoverage, EventOfficerCoverage
from evidence.db import get_engine, reset_caches
from evidence.migrate import upgrade
from evidence.recordings.models import Recording

ARGS = ["demo-month", "--month", "2026-10", "--scale", "0.0005", "--officers", "6", "--brigades", "1",
        "--squadrons", "2", "--seed", "5"]


@pytest.fixture
def fresh_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("EVIDENCE_DATABASE_URL", url)
    monkeypatch.setenv("EVIDENCE_TIMEZONE", "Asia/Shanghai")
    reset_caches()
    upgrade(url)
    yield get_engine()
    reset_caches()
    monkeypatch.undo()
    reset_caches()


def test_the_month_is_written_as_planned_and_a_second_one_needs_force_and_a_prefix(fresh_db):
    run = CliRunner().invoke
    done = run(app, ARGS)
    assert done.exit_code == 0, done.output
    plan = generate(0.0005, 6, 5, first=date(2026, 10, 1), days=31, brigades=1, squadrons=2)
    assert len(plan.events) == 150 and f"{len(plan.events)} events" in done.output
    with fresh_db.connect() as conn:
        events = dict(conn.execute(sa.select(EnforcementEvent.event_id, EventCoverage.status)
                                   .join(EventCoverage, EventCoverage.event_id == EnforcementEvent.id)).all())
        officers = {(e, p): s for e, p, s in conn.execute(
            sa.select(EnforcementEvent.event_id, EventOfficerCoverage.police_id, EventOfficerCoverage.status)
            .join(EventOfficerCoverage, EventOfficerCoverage.event_id == EnforcementEvent.id))}
        unplayable = conn.scalar(sa.select(sa.func.count()).where(Recording.processing_state == "unplayable",
                                                                  Recording.proxy_key.is_(None)))
    assert events == {k: status for k, (status, _) in plan.expected.items()}
    assert officers == {(k, p): s for k, (_, by) in plan.expected.items() for p, s in by.items()}
    assert set(events.values()) == {"covered", "partial", "missing"}
    assert unplayable == plan.recordings, "rows without media are not offered as playable"

    again = run(app, ARGS)
    assert again.exit_code == 1 and "already holds 150 enforcement events" in again.output
    clash = run(app, [*ARGS, "--force"])
    assert clash.exit_code == 1 and "codes are taken already: " in clash.output and "DD1-ZD1" in clash.output
    beside = run(app, [*ARGS, "--force", "--prefix", "M7X"])
    assert beside.exit_code == 0, beside.output
    with fresh_db.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(EnforcementEvent)) == 300
        assert conn.scalar(sa.select(sa.func.count()).select_from(EventCoverage)) == 300
