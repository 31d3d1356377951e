"""The five rates of the assessment for one month, per officer and per unit subtree.

- coverage: the coverage reports' activation rate (covered ÷ events no longer pending), with each
  officer of an event counted by his own status, as evidence/coverage/reports.py computes it;
- on_time: recordings docked on time ÷ verified recordings, evidence/coverage/ontime.py's rule;
- event_link: the officer's verified recordings that started in the month and are linked to at
  least one ledger event (a link not removed) ÷ all of them;
- case_link: the officer's events of the month that carry a case number and have at least one
  linked recording attached to a case (not detached) ÷ all his events with a case number;
- review_pass: verdicts "compliant" ÷ all verdicts on sampled recordings that started in the month.

An officer's figures follow the recording's officer (recordings) or the event's officers
(events); a unit's figures are those of the recordings and events of the unit and the units
below it. A rate with nothing to count is None: it does not exist and weighs nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from evidence.actors import UnitScope
from evidence.cases.models import CaseRecording
from evidence.coverage import reports
from evidence.coverage.models import EnforcementEvent, EventOfficer, RecordingEventLink
from evidence.coverage.ontime import on_time_by_officer
from evidence.identity.service import subtree_unit_ids
from evidence.recordings.models import Recording, RecordingStatus
from evidence.review.models import ReviewItem, ReviewVerdict


@dataclass
class Ratio:
    done: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.done / self.total if self.total else None

    def add(self, hit: bool) -> None:
        self.total += 1
        self.done += bool(hit)


Figures = dict[str, Ratio]  # component → counts


def _linked_to_event():
    return exists().where(RecordingEventLink.recording_id == Recording.id, RecordingEventLink.removed_at.is_(None))


def _in_month(start: datetime, end: datetime):
    return and_(Recording.status == RecordingStatus.verified.value, Recording.started_at >= start,
                Recording.started_at < end)


def officer_figures(session: Session, start: datetime, end: datetime, police_ids: dict[int, str],
                    scope: UnitScope) -> dict[int, Figures]:
    """Officer id → his counts of each rate, for the officers given (id → 警号)."""
    out: dict[int, Figures] = defaultdict(lambda: defaultdict(Ratio))
    by_police = {p: i for i, p in police_ids.items()}
    for row in reports.summary(session, scope, "officer",
                               reports.EventFilter(start_from=start, start_to=end)):
        officer = by_police.get(row["group"])
        if officer is not None:
            settled = row["events"] - row["pending"]
            out[officer]["coverage"] = Ratio(row["covered"], settled)
    for officer, c in on_time_by_officer(session, start, end).items():
        if officer in police_ids:
            out[officer]["on_time"] = Ratio(c.on_time, c.total)
    q = select(Recording.officer_id, _linked_to_event()).where(_in_month(start, end),
                                                              Recording.officer_id.in_(list(police_ids)))
    for officer, linked in session.execute(q):
        out[officer]["event_link"].add(linked)
    for officers, attached in _case_events(session, start, end):
        for officer in officers & police_ids.keys():
            out[officer]["case_link"].add(attached)
    q = (select(Recording.officer_id, ReviewVerdict.verdict).join(ReviewItem, ReviewItem.id == ReviewVerdict.item_id)
         .join(Recording, Recording.id == ReviewItem.recording_id)
         .where(_in_month(start, end), Recording.officer_id.in_(list(police_ids))))
    for officer, verdict in session.execute(q):
        out[officer]["review_pass"].add(verdict == "compliant")
    return out


def _case_events(session: Session, start: datetime, end: datetime, unit_ids: list[int] | None = None):
    """(officer ids, attached) of each event of the month with a case number: attached when one
    of its linked recordings is on a case."""
    attached = exists().where(RecordingEventLink.event_id == EnforcementEvent.id,
                              RecordingEventLink.removed_at.is_(None),
                              CaseRecording.recording_id == RecordingEventLink.recording_id,
                              CaseRecording.detached_at.is_(None))
    q = select(EnforcementEvent.id, attached).where(EnforcementEvent.case_no.is_not(None),
                                                    EnforcementEvent.case_no != "",
                                                    EnforcementEvent.started_at >= start,
                                                    EnforcementEvent.started_at < end)
    if unit_ids is not None:
        q = q.where(EnforcementEvent.unit_id.in_(unit_ids))
    events = dict(session.execute(q).all())
    officers: dict[int, set[int]] = defaultdict(set)
    ids = list(events)
    for i in range(0, len(ids), 5000):
        for event_id, user_id in session.execute(select(EventOfficer.event_id, EventOfficer.user_id).where(
                EventOfficer.event_id.in_(ids[i:i + 5000]), EventOfficer.user_id.is_not(None))):
            officers[event_id].add(user_id)
    return [(officers[e], hit) for e, hit in events.items()]


def unit_figures(session: Session, start: datetime, end: datetime, unit_id: int) -> Figures:
    """The counts of each rate for the recordings and events of a unit and the units below it."""
    unit_ids = subtree_unit_ids(session, unit_id)
    out: Figures = defaultdict(Ratio)
    coverage = Ratio()
    for row in reports.summary(session, UnitScope(unit_id), "month",
                               reports.EventFilter(start_from=start, start_to=end)):
        coverage.done += row["covered"]
        coverage.total += row["events"] - row["pending"]
    out["coverage"] = coverage
    on_time = Ratio()
    for c in on_time_by_officer(session, start, end, unit_ids).values():
        on_time.done += c.on_time
        on_time.total += c.total
    out["on_time"] = on_time
    q = select(_linked_to_event()).where(_in_month(start, end), Recording.unit_id.in_(unit_ids))
    for (linked,) in session.execute(q):
        out["event_link"].add(linked)
    for _, attached in _case_events(session, start, end, unit_ids):
        out["case_link"].add(attached)
    q = (select(ReviewVerdict.verdict).join(ReviewItem, ReviewItem.id == ReviewVerdict.item_id)
         .join(Recording, Recording.id == ReviewItem.recording_id)
         .where(_in_month(start, end), Recording.unit_id.in_(unit_ids)))
    for (verdict,) in session.execute(q):
        out["review_pass"].add(verdict == "compliant")
    return out
