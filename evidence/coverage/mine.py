"""One user's own ledger events with their coverage, the ones that need attention first.

Only events that name the user (event_officers.user_id) are read, whatever the user's role: this
is the "my work" list, not a unit report (that is reports.event_rows)."""

from __future__ import annotations

import json

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from evidence.coverage.models import EnforcementEvent, EventCoverage, EventOfficer, EventOfficerCoverage
from evidence.identity.models import User

# missing and partial first, then not yet settled, then covered
RANK = {"missing": 0, "partial": 1, "pending": 2, "covered": 3}


def _mine(user: User):
    return select(EventOfficer.event_id).where(EventOfficer.user_id == user.id)


def my_events(session: Session, user: User, limit: int) -> tuple[list[dict], dict[str, int]]:
    """The user's events (at most `limit`), worst coverage first and newest first within a status,
    and the count of all the user's events per status. Each event carries the user's own share
    (`mine`): an event a colleague recorded may still lack the user's own footage."""
    mine = EventOfficerCoverage.police_id == user.police_id
    status = func.coalesce(EventOfficerCoverage.status, EventCoverage.status)
    rank = case(*((status == s, r) for s, r in RANK.items()), else_=len(RANK))
    q = (select(EnforcementEvent.id, EnforcementEvent.event_id, EnforcementEvent.event_type,
                EnforcementEvent.police_ids, EnforcementEvent.started_at, EnforcementEvent.ended_at,
                EnforcementEvent.location, EnforcementEvent.case_no, EnforcementEvent.roadside,
                EventCoverage.status, EventCoverage.window_start, EventCoverage.window_end,
                EventCoverage.window_seconds, EventCoverage.covered_seconds, EventCoverage.recording_ids,
                EventCoverage.late_upload,
                EventOfficerCoverage.status.label("my_status"),
                EventOfficerCoverage.covered_seconds.label("my_covered_seconds"),
                EventOfficerCoverage.recording_ids.label("my_recording_ids"))
         .join(EventCoverage, EventCoverage.event_id == EnforcementEvent.id)
         .outerjoin(EventOfficerCoverage, (EventOfficerCoverage.event_id == EnforcementEvent.id) & mine)
         .where(EnforcementEvent.id.in_(_mine(user)))
         .order_by(rank, EnforcementEvent.started_at.desc(), EnforcementEvent.id.desc())
         .limit(limit))
    rows = []
    for r in session.execute(q):
        row = r._asdict()
        row["recording_ids"] = json.loads(row["recording_ids"] or "[]")
        row["my_recording_ids"] = json.loads(row["my_recording_ids"]) if row["my_recording_ids"] else None
        rows.append(row)
    counts = {s: 0 for s in RANK}
    for s, n in session.execute(
            select(status, func.count()).select_from(EnforcementEvent)
            .join(EventCoverage, EventCoverage.event_id == EnforcementEvent.id)
            .outerjoin(EventOfficerCoverage, (EventOfficerCoverage.event_id == EnforcementEvent.id) & mine)
            .where(EnforcementEvent.id.in_(_mine(user))).group_by(status)):
        counts[s] = counts.get(s, 0) + n
    return rows, counts
