"""Draws and items as the API answers them: recording, officer, watched seconds, verdict."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.identity.models import Unit, User
from evidence.recordings.models import Recording
from evidence.review import watched
from evidence.review.models import ReviewDraw, ReviewItem, ReviewVerdict
from evidence.review.schemas import (ISSUE_TAGS, DrawDetailOut, DrawOut, ItemDetailOut, ItemOut, VerdictOut,
                                     WatchedRange)
from evidence.review.service import progress, ranges_of


def draw_out(session: Session, draws: list[ReviewDraw]) -> list[DrawOut]:
    counts = progress(session, [d.id for d in draws])
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_({d.unit_id for d in draws})))}
    return [DrawOut(id=d.id, unit_id=d.unit_id, unit_code=units[d.unit_id].code, unit_name=units[d.unit_id].name,
                    date_from=d.date_from, date_to=d.date_to, per_officer=d.per_officer, seed=d.seed,
                    candidates=d.candidates, drawn_by=d.drawn_by, drawn_at=d.drawn_at,
                    items=counts.get(d.id, (0, 0, 0))[0], reviewed=counts.get(d.id, (0, 0, 0))[1],
                    compliant=counts.get(d.id, (0, 0, 0))[2]) for d in draws]


def _verdict_out(v: ReviewVerdict | None) -> VerdictOut | None:
    if v is None:
        return None
    return VerdictOut(verdict=v.verdict, tags=json.loads(v.tags), points=v.points, comment=v.comment,
                      watched_seconds=v.watched_seconds, reviewer=v.reviewer, decided_at=v.decided_at)


def items_out(session: Session, items: list[ReviewItem]) -> list[ItemOut]:
    ids = [i.id for i in items]
    recs = {r.id: r for r in session.scalars(select(Recording).where(Recording.id.in_({i.recording_id for i in items})))}
    officers = {u.id: u for u in session.scalars(select(User).where(User.id.in_({i.officer_id for i in items})))}
    verdicts = {v.item_id: v for v in session.scalars(select(ReviewVerdict).where(ReviewVerdict.item_id.in_(ids)))}
    out = []
    for i in items:
        rec, officer = recs[i.recording_id], officers.get(i.officer_id)
        out.append(ItemOut(id=i.id, draw_id=i.draw_id, position=i.position, recording_id=rec.id,
                           original_filename=rec.original_filename, started_at=rec.started_at,
                           duration_seconds=rec.duration_seconds,
                           officer_police_id=officer.police_id if officer else None,
                           officer_name=officer.name if officer else None,
                           watched_seconds=watched.seconds(ranges_of(i.watched)), verdict=_verdict_out(verdicts.get(i.id))))
    return out


def draw_detail(session: Session, d: ReviewDraw) -> DrawDetailOut:
    items = list(session.scalars(select(ReviewItem).where(ReviewItem.draw_id == d.id).order_by(ReviewItem.position)))
    return DrawDetailOut(**draw_out(session, [d])[0].model_dump(), entries=items_out(session, items))


def item_detail(session: Session, item: ReviewItem) -> ItemDetailOut:
    base = items_out(session, [item])[0]
    ranges = [WatchedRange(start=s, end=e, rate=r) for s, e, r in ranges_of(item.watched)]
    return ItemDetailOut(**base.model_dump(), ranges=ranges, issue_tags=list(ISSUE_TAGS))
