"""Review sampling (核查): draws, their items, watched ranges and verdicts.

Who: supervisors (their unit and below) and admins draw and give verdicts; auditors read. Every
draw, verdict and read is audited; the footage itself is played through the recording's playback
hand-out, audited there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import DB, IP, AdminOrSupervisor, require_roles
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.identity.models import Role, User
from evidence.review import service, views
from evidence.review.models import ReviewDraw
from evidence.review.schemas import DrawDetailOut, DrawIn, DrawOut, ItemDetailOut, VerdictIn, WatchedIn
from evidence.types import Id

router = APIRouter(prefix="/api/v1/reviews", tags=["review"])
Reader = Annotated[User, Depends(require_roles(Role.supervisor, Role.admin, Role.auditor))]


@router.post("/draws", response_model=DrawDetailOut, status_code=201,
             summary="Draw a repeatable random sample: N recordings per officer of a unit subtree over some days "
                     "(who: supervisor own unit and below, admin)")
def create_draw(body: DrawIn, db: DB, user: AdminOrSupervisor, ip: IP) -> DrawDetailOut:
    d = service.draw(db, user, body)
    out = views.draw_detail(db, d)
    audit.record(db, user_actor(user, ip), "review.draw", "review_draw", d.id, unit_id=d.unit_id,
                 date_from=d.date_from.isoformat(), date_to=d.date_to.isoformat(), per_officer=d.per_officer,
                 seed=d.seed, candidates=d.candidates, recording_ids=[e.recording_id for e in out.entries])
    db.commit()
    return out


@router.get("/draws", response_model=list[DrawOut],
            summary="Draws with their progress, newest first (who: supervisor own unit and below, admin, auditor)")
def list_draws(db: DB, user: Reader, ip: IP) -> list[DrawOut]:
    draws = list(db.scalars(service.visible_draws(db, user).order_by(ReviewDraw.id.desc()).limit(200)))
    out = views.draw_out(db, draws)
    audit.record(db, user_actor(user, ip), "review.draws_list", None, None, returned=len(out))
    db.commit()
    return out


@router.get("/draws/{draw_id}", response_model=DrawDetailOut,
            summary="One draw with its recordings, watched seconds and verdicts (who: as draws)")
def get_draw(draw_id: Id, db: DB, user: Reader, ip: IP) -> DrawDetailOut:
    out = views.draw_detail(db, service.get_draw(db, user, draw_id))
    audit.record(db, user_actor(user, ip), "review.draw_read", "review_draw", draw_id,
                 recording_ids=[e.recording_id for e in out.entries])
    db.commit()
    return out


@router.get("/draws/{draw_id}/items/{item_id}", response_model=ItemDetailOut,
            summary="One sampled recording with its watched ranges and verdict (who: as draws)")
def get_item(draw_id: Id, item_id: Id, db: DB, user: Reader, ip: IP) -> ItemDetailOut:
    item = service.get_item(db, user, draw_id, item_id)
    out = views.item_detail(db, item)
    audit.record(db, user_actor(user, ip), "review.item_read", "recording", item.recording_id, item_id=item.id)
    db.commit()
    return out


@router.post("/draws/{draw_id}/items/{item_id}/watched", response_model=ItemDetailOut,
             summary="Add the time ranges the reviewer watched, sent while watching and on leaving "
                     "(who: supervisor own unit and below, admin)")
def add_watched(draw_id: Id, item_id: Id, body: WatchedIn, db: DB, user: AdminOrSupervisor) -> ItemDetailOut:
    item = service.get_item(db, user, draw_id, item_id)
    service.add_watched(db, user, item, body.ranges)
    db.commit()
    return views.item_detail(db, item)


@router.put("/draws/{draw_id}/items/{item_id}/verdict", response_model=ItemDetailOut,
            summary="Give (or replace) the verdict on a sampled recording with issues, points, a comment and "
                    "the last watched ranges (who: supervisor own unit and below, admin)")
def put_verdict(draw_id: Id, item_id: Id, body: VerdictIn, db: DB, user: AdminOrSupervisor, ip: IP) -> ItemDetailOut:
    item = service.get_item(db, user, draw_id, item_id)
    v = service.give_verdict(db, user, item, body)
    audit.record(db, user_actor(user, ip), "review.verdict", "recording", item.recording_id, item_id=item.id,
                 verdict=v.verdict, tags=body.tags, points=v.points, watched_seconds=v.watched_seconds)
    db.commit()
    return views.item_detail(db, item)
