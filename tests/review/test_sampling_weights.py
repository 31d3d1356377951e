"""On PostgreSQL: a draw with the same seed over the same data picks the same recordings (and
recordings outside the unit subtree or the days are never candidates); a month is scored with the
weights in effect at its first day, and a past month's weights cannot be changed."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from evidence.assessment.models import AssessmentWeights
from evidence.assessment.schemas import WeightsIn
from evidence.assessment.service import set_weights, this_month
from evidence.assessment.weights import Weights, in_effect, score
from evidence.db import make_engine
from evidence.errors import Invalid
from evidence.identity.models import Unit, User
from evidence.migrate import upgrade
from evidence.recordings.models import Recording
from evidence.review import service
from evidence.review.schemas import DrawIn


@pytest.fixture(scope="module")
def session(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    with Session(engine) as s:
        yield s
        s.rollback()
    engine.dispose()


def _unit(s, parent=None) -> Unit:
    u = Unit(code="RV" + uuid.uuid4().hex[:6], name="核查", parent_id=parent.id if parent else None)
    s.add(u)
    s.flush()
    return u


def _user(s, unit, role="officer") -> User:
    u = User(police_id="64" + uuid.uuid4().hex[:8], name="民警", unit_id=unit.id, role=role, password_hash="x")
    s.add(u)
    s.flush()
    return u


def _recording(s, officer: User, at: datetime) -> int:
    r = Recording(sha256=uuid.uuid4().hex * 2, size_bytes=1, media_kind="video", original_filename="a.mp4",
                  object_key="k", status="verified", started_at=at, officer_id=officer.id, unit_id=officer.unit_id,
                  duration_seconds=60)
    s.add(r)
    s.flush()
    return r.id


def test_the_same_seed_draws_the_same_recordings(session):
    top = _unit(session)
    squad = _unit(session, top)
    other = _unit(session)
    boss = _user(session, top, "supervisor")
    officers = [_user(session, squad) for _ in range(3)]
    day = datetime(2026, 6, 10, 2, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai
    mine = {o.id: [_recording(session, o, day + timedelta(minutes=i)) for i in range(5)] for o in officers}
    _recording(session, _user(session, other), day)  # another unit: never a candidate
    _recording(session, officers[0], day + timedelta(days=3))  # outside the days: never a candidate
    body = DrawIn(date_from=date(2026, 6, 10), date_to=date(2026, 6, 10), per_officer=2, seed=77)

    first = service.draw(session, boss, body)
    picked = _picked(session, first.id)
    assert first.candidates == 15
    for o in officers:
        assert len(picked[o.id]) == 2 and set(picked[o.id]) <= set(mine[o.id])
    assert set(picked) == {o.id for o in officers}
    # Again with the same seed, and after an unrelated unit's recordings arrived: the same sample.
    _recording(session, _user(session, other), day)
    assert _picked(session, service.draw(session, boss, body).id) == picked
    seeds = {tuple(sorted(sum(_picked(session, service.draw(session, boss, body.model_copy(update={"seed": s})).id)
                              .values(), []))) for s in range(1, 6)}
    assert len(seeds) > 1, "other seeds draw other samples"

    # A compliant verdict on one of officer 0's drawn recordings: the month's assessment counts it.
    from sqlalchemy import select

    from evidence.assessment.service import assess
    from evidence.review.models import ReviewItem
    from evidence.review.schemas import VerdictIn
    item = session.scalar(select(ReviewItem).where(ReviewItem.draw_id == first.id,
                                                   ReviewItem.officer_id == officers[0].id).limit(1))
    service.give_verdict(session, boss, item, VerdictIn(verdict="compliant", ranges=[
        {"start": 0, "end": 30, "rate": 1}, {"start": 20, "end": 90, "rate": 2}]))
    assert item.watched == "[[0.0, 30.0, 1.0], [20.0, 60.0, 2.0]]", "clamped to the 60 s recording"
    session.query(AssessmentWeights).delete()
    report = assess(session, boss, "2026-06")
    row = next(r for r in report.officers if r.key == officers[0].police_id)
    assert (row.review_pass.done, row.review_pass.total) == (1, 1)
    assert (row.event_link.done, row.event_link.total) == (0, 6)  # five that day, one three days later
    assert row.on_time.rate is None and row.coverage.rate is None  # never docked; no ledger events
    assert row.score == 50.0  # (0 + 1) / 2 with every weight 1
    assert [u.key for u in report.units] == sorted([top.code, squad.code])
    session.rollback()


def _picked(session, draw_id) -> dict[int, list[int]]:
    from sqlalchemy import select

    from evidence.review.models import ReviewItem
    out: dict[int, list[int]] = {}
    for officer, rec in session.execute(select(ReviewItem.officer_id, ReviewItem.recording_id)
                                        .where(ReviewItem.draw_id == draw_id).order_by(ReviewItem.position)):
        out.setdefault(officer, []).append(rec)
    return out


def test_a_month_is_scored_with_the_weights_in_effect_at_its_start(session):
    session.query(AssessmentWeights).delete()
    for first, review in ((date(2026, 1, 1), 3.0), (date(2026, 3, 1), 0.0)):
        session.add(AssessmentWeights(effective_from=first, coverage=1, on_time=1, event_link=1, case_link=1,
                                      review_pass=review, set_by="t"))
    session.flush()
    assert in_effect(session, date(2025, 12, 1)) == Weights()
    feb, march, may = (in_effect(session, date(2026, m, 1)) for m in (2, 3, 5))
    assert (feb.review_pass, march.review_pass, may.review_pass) == (3.0, 0.0, 0.0)
    rates = {"coverage": 0.5, "on_time": 1.0, "event_link": None, "case_link": None, "review_pass": 0.0}
    assert score(rates, feb) == round(100 * (0.5 + 1.0 + 0) / (1 + 1 + 3), 1)
    assert score(rates, march) == 75.0  # review weighs nothing: (0.5 + 1) / 2
    assert score({c: None for c in rates}, feb) is None

    admin = _user(session, _unit(session), "admin")
    weights = {"coverage": 1, "on_time": 1, "event_link": 1, "case_link": 1, "review_pass": 1}
    past = (this_month() - timedelta(days=1)).replace(day=1)
    with pytest.raises(Invalid, match="past month"):
        set_weights(session, admin, WeightsIn(effective_from=past, **weights))
    with pytest.raises(Invalid, match="first day"):
        set_weights(session, admin, WeightsIn(effective_from=this_month().replace(day=2), **weights))
    session.rollback()
