"""Stored daily, weekly and monthly coverage summaries, kept so that each reader sees only their reach.

A stored summary holds the whole detachment's figures (what admins and auditors read) and, under
"scopes", for each unit with events in the period, the figures its supervisors see in the live
summary: that unit and the units below it. Reading hands each user their part, never the whole.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors import WHOLE, UnitScope
from evidence.config import get_settings
from evidence.coverage.models import CoverageSummary, EnforcementEvent
from evidence.coverage.reports import (EventFilter, Reader, accident_cases_without_recording, period_bounds,
                                       roadside_missing, summary)
from evidence.errors import Conflict
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids

SECTIONS = ("by_unit", "by_type", "by_officer", "roadside_missing", "accident_cases_without_recording")


def _sections(session: Session, user: Reader, f: EventFilter) -> dict:
    return {"by_unit": summary(session, user, "unit", f), "by_type": summary(session, user, "type", f),
            "by_officer": summary(session, user, "officer", f),
            "roadside_missing": [r["event_id"] for r in roadside_missing(session, user, f)],
            "accident_cases_without_recording": accident_cases_without_recording(session, user, f)}


def _scopes(session: Session, f: EventFilter) -> dict[str, dict]:
    """Per unit, what a supervisor of that unit sees; units with no events in reach are left out."""
    with_events = set(session.scalars(select(EnforcementEvent.unit_id).where(
        EnforcementEvent.started_at >= f.start_from, EnforcementEvent.started_at < f.start_to,
        EnforcementEvent.unit_id.is_not(None)).distinct()))
    scopes = {}
    for unit_id in session.scalars(select(Unit.id).order_by(Unit.id)):
        if with_events & set(subtree_unit_ids(session, unit_id)):
            scopes[str(unit_id)] = _sections(session, UnitScope(unit_id), f)
    return scopes


def store_summary(session: Session, period: str, start: date) -> CoverageSummary:
    """The whole detachment's figures, and each unit's part under "scopes" (read by the system: no user)."""
    tz = ZoneInfo(get_settings().timezone)
    lo, hi = period_bounds(period, start, tz)
    f = EventFilter(start_from=lo, start_to=hi)
    data = {"period": period, "start": start.isoformat(), "from": lo.isoformat(), "to": hi.isoformat(),
            **_sections(session, WHOLE, f), "scopes": _scopes(session, f)}
    row = session.scalar(select(CoverageSummary).where(CoverageSummary.period == period,
                                                       CoverageSummary.period_start == start))
    if row is None:
        row = CoverageSummary(period=period, period_start=start)
        session.add(row)
    row.data = json.dumps(data, ensure_ascii=False, default=str)
    row.generated_at = datetime.now(tz)
    session.flush()
    return row


def view(row: CoverageSummary, user: User) -> dict:
    """The part of a stored summary this user may read: all of it for admins and auditors, their
    unit's scope for everyone else (empty when their units had no events in the period)."""
    data = json.loads(row.data)
    scopes = data.pop("scopes", None)
    if user.role in (Role.admin.value, Role.auditor.value):
        return data
    if scopes is None:
        raise Conflict(f"summary {row.id} was stored before summaries were kept per unit: an admin or auditor "
                       "can read it; the next scheduled run stores one for your unit")
    mine = scopes.get(str(user.unit_id)) if user.unit_id is not None else None
    return {**data, **(mine or {k: [] for k in SECTIONS})}
