"""Review sampling: draw a sample, read draws and items, keep watched ranges, give verdicts.

Who: supervisors for their unit and the units under it, admins for every unit; auditors read
every draw. A draw or item out of reach is answered as not found. Callers audit each action."""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.config import get_settings
from evidence.errors import Forbidden, Invalid, NotFound
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids, unit_within
from evidence.recordings.models import Recording, RecordingStatus
from evidence.review import sampling, watched
from evidence.review.models import ReviewDraw, ReviewItem, ReviewVerdict
from evidence.review.schemas import DrawIn, VerdictIn, WatchedRange
from evidence.timeutil import utcnow

REVIEWABLE_KINDS = ("video", "audio")
MAX_DAYS = 366


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC bounds of the days first..last (included) in the unit's zone."""
    tz = ZoneInfo(get_settings().timezone)
    return (datetime.combine(first, time.min, tz), datetime.combine(last + timedelta(days=1), time.min, tz))


def _may_write(user: User) -> None:
    if user.role not in (Role.supervisor.value, Role.admin.value):
        raise Forbidden("only supervisors and admins draw samples and give verdicts")


def _reaches(session: Session, user: User, unit_id: int) -> bool:
    if user.role in (Role.admin.value, Role.auditor.value):
        return True
    return user.role == Role.supervisor.value and unit_within(session, unit_id, user.unit_id)


def candidates(session: Session, unit_id: int, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(officer_id, recording_id) of the verified video and audio recordings that started in
    [start, end), by officers of the unit's subtree, kept in the subtree."""
    units = subtree_unit_ids(session, unit_id)
    q = (select(Recording.officer_id, Recording.id).join(User, User.id == Recording.officer_id)
         .where(User.unit_id.in_(units), Recording.unit_id.in_(units),
                Recording.status == RecordingStatus.verified.value, Recording.deleted_at.is_(None),
                Recording.media_kind.in_(REVIEWABLE_KINDS),
                Recording.started_at >= start, Recording.started_at < end)
         .order_by(Recording.officer_id, Recording.id))
    return [(o, r) for o, r in session.execute(q)]


def draw(session: Session, user: User, body: DrawIn) -> ReviewDraw:
    _may_write(user)
    unit_id = body.unit_id or user.unit_id
    if unit_id is None:
        raise Invalid("choose the unit to sample")
    if session.get(Unit, unit_id) is None or not _reaches(session, user, unit_id):
        raise NotFound(f"unit {unit_id} not found")
    if body.date_to < body.date_from:
        raise Invalid("the last day is before the first day")
    if (body.date_to - body.date_from).days >= MAX_DAYS:
        raise Invalid(f"a draw covers at most {MAX_DAYS} days")
    seed = body.seed if body.seed is not None else secrets.randbelow(2**31)
    pool = candidates(session, unit_id, *day_bounds(body.date_from, body.date_to))
    picked = sampling.sample(pool, body.per_officer, seed)
    d = ReviewDraw(unit_id=unit_id, date_from=body.date_from, date_to=body.date_to, per_officer=body.per_officer,
                   seed=seed, candidates=len(pool), drawn_by_id=user.id, drawn_by=user.police_id)
    session.add(d)
    session.flush()
    for position, (officer_id, recording_id) in enumerate(picked, start=1):
        session.add(ReviewItem(draw_id=d.id, position=position, recording_id=recording_id, officer_id=officer_id,
                               watched="[]"))
    session.flush()
    return d


def visible_draws(session: Session, user: User):
    q = select(ReviewDraw)
    if user.role in (Role.admin.value, Role.auditor.value):
        return q
    if user.role == Role.supervisor.value and user.unit_id is not None:
        return q.where(ReviewDraw.unit_id.in_(subtree_unit_ids(session, user.unit_id)))
    raise Forbidden(f"role {user.role} may not read review draws")


def get_draw(session: Session, user: User, draw_id: int) -> ReviewDraw:
    d = session.scalar(visible_draws(session, user).where(ReviewDraw.id == draw_id))
    if d is None:
        raise NotFound(f"review draw {draw_id} not found")
    return d


def get_item(session: Session, user: User, draw_id: int, item_id: int) -> ReviewItem:
    get_draw(session, user, draw_id)
    item = session.get(ReviewItem, item_id)
    if item is None or item.draw_id != draw_id:
        raise NotFound(f"review item {item_id} not found in draw {draw_id}")
    return item


def progress(session: Session, draw_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """draw id → (items, reviewed, compliant)."""
    q = (select(ReviewItem.draw_id, func.count(ReviewItem.id), func.count(ReviewVerdict.id),
                func.count(ReviewVerdict.id).filter(ReviewVerdict.verdict == "compliant"))
         .outerjoin(ReviewVerdict, ReviewVerdict.item_id == ReviewItem.id)
         .where(ReviewItem.draw_id.in_(draw_ids)).group_by(ReviewItem.draw_id))
    return {d: (n, r, c) for d, n, r, c in session.execute(q)}


def ranges_of(text: str) -> list[list[float]]:
    return json.loads(text or "[]")


def add_watched(session: Session, user: User, item: ReviewItem, ranges: list[WatchedRange]) -> list[list[float]]:
    """Add what the player saw to the item's ranges (only the reviewers may add)."""
    _may_write(user)
    rec = session.get(Recording, item.recording_id)
    new = watched.clean([[r.start, r.end, r.rate] for r in ranges], rec.duration_seconds if rec else None)
    merged = watched.merge(ranges_of(item.watched) + new)
    if len(merged) > watched.MAX_RANGES:
        raise Invalid(f"more than {watched.MAX_RANGES} separate watched ranges: reload the page")
    item.watched = json.dumps(merged)
    return merged


def give_verdict(session: Session, user: User, item: ReviewItem, body: VerdictIn) -> ReviewVerdict:
    _may_write(user)
    if body.verdict == "non_compliant" and not body.tags:
        raise Invalid("a non-compliant verdict names at least one issue")
    merged = add_watched(session, user, item, body.ranges)
    v = session.scalar(select(ReviewVerdict).where(ReviewVerdict.item_id == item.id))
    if v is None:
        v = ReviewVerdict(item_id=item.id)
        session.add(v)
    v.verdict, v.tags, v.points, v.comment = body.verdict, json.dumps(sorted(set(body.tags))), body.points, body.comment
    v.watched, v.watched_seconds = json.dumps(merged), watched.seconds(merged)
    v.reviewer_id, v.reviewer = user.id, user.police_id
    v.decided_at = utcnow()
    session.flush()
    return v
