"""What auditors read from the log: filtered entries, who viewed or exported what, and views of
recordings from outside the viewer's unit."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.audit.models import AuditEntry
from evidence.identity.models import Unit, User
from evidence.identity.service import subtree_unit_ids
from evidence.recordings.models import Recording

ACCESS_ACTIONS = ("recording.read", "recording.view", "recording.download", "recording.export", "case.export")


def entries(session: Session, actor: str | None = None, action: str | None = None, object_type: str | None = None,
            object_id: str | None = None, start: datetime | None = None, end: datetime | None = None,
            limit: int = 500, after_id: int = 0, before_id: int | None = None,
            newest_first: bool = False) -> list[dict]:
    """Oldest first from `after_id` (an export), or newest first below `before_id` (a screen that
    pages back in time); both are keyset pages, steady while new entries arrive."""
    q = select(AuditEntry).where(AuditEntry.id > after_id)
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    if actor:
        q = q.where(AuditEntry.actor_label == actor)
    if action:
        q = q.where(AuditEntry.action == action) if "*" not in action else \
            q.where(AuditEntry.action.like(action.replace("*", "%")))
    if object_type:
        q = q.where(AuditEntry.object_type == object_type)
    if object_id:
        q = q.where(AuditEntry.object_id == object_id)
    if start:
        q = q.where(AuditEntry.at >= start)
    if end:
        q = q.where(AuditEntry.at < end)
    return [{"id": e.id, "at": e.at, "actor_type": e.actor_type, "actor": e.actor_label, "action": e.action,
             "object_type": e.object_type, "object_id": e.object_id, "detail": json.loads(e.detail), "ip": e.ip}
            for e in session.scalars(q.order_by(AuditEntry.id.desc() if newest_first else AuditEntry.id).limit(limit))]


def _access_rows(session: Session, start: datetime | None, end: datetime | None):
    q = select(AuditEntry).where(AuditEntry.action.in_(ACCESS_ACTIONS), AuditEntry.actor_type == "user")
    if start:
        q = q.where(AuditEntry.at >= start)
    if end:
        q = q.where(AuditEntry.at < end)
    return session.scalars(q.order_by(AuditEntry.id)).all()


def who_accessed(session: Session, start: datetime | None, end: datetime | None) -> list[dict]:
    """Per user: which recordings (and cases) they read, viewed, downloaded or exported."""
    out: dict[str, dict] = defaultdict(lambda: defaultdict(set))
    for e in _access_rows(session, start, end):
        out[e.actor_label][e.action].add(f"{e.object_type}:{e.object_id}")
    return [{"user": user, **{action: sorted(objs) for action, objs in actions.items()}}
            for user, actions in sorted(out.items())]


def outside_unit_views(session: Session, start: datetime | None, end: datetime | None) -> list[dict]:
    """Accesses to recordings of units outside the viewer's own unit and the units under it."""
    users = {u.id: u for u in session.scalars(select(User))}
    codes = {uid: code for uid, code in session.execute(select(Unit.id, Unit.code))}
    reach: dict[int, set[int]] = {}
    out = []
    for e in _access_rows(session, start, end):
        if e.object_type != "recording" or not e.actor_id:
            continue
        user = users.get(int(e.actor_id))
        rec = session.get(Recording, int(e.object_id))
        if user is None or rec is None or user.role in ("admin", "auditor"):
            continue
        if user.unit_id not in reach:
            reach[user.unit_id] = set(subtree_unit_ids(session, user.unit_id)) if user.unit_id else set()
        if rec.unit_id not in reach[user.unit_id]:
            out.append({"at": e.at, "user": user.police_id, "user_unit_id": user.unit_id,
                        "user_unit_code": codes.get(user.unit_id), "action": e.action, "recording_id": rec.id,
                        "recording_unit_id": rec.unit_id, "recording_unit_code": codes.get(rec.unit_id),
                        "entry_id": e.id})
    return out
