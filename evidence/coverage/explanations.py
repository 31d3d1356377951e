"""Explanations: an officer's reason for a missing or partial share of his event, and the unit
supervisor's decision on it.

An explanation never changes the measured coverage (event_coverage, event_officer_coverage): it
is shown beside the event so a supervisor can tell a broken camera from a camera left in the
car. Rows are never deleted; after a rejection the officer may submit again, the old row stays
as history. Callers commit; each submission and decision is audited here with it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evidence.audit import service as audit
from evidence.coverage.models import EnforcementEvent, EventCoverage, EventExplanation, EventOfficer, EventOfficerCoverage
from evidence.errors import Conflict, Forbidden, Invalid, NotFound
from evidence.identity.models import Role, User
from evidence.identity.service import unit_within
from evidence.timeutil import utcnow

REASONS = ("device_fault", "battery_flat", "not_worn", "other")
EXPLAINABLE = ("missing", "partial")
OPEN = ("submitted", "accepted")
TEXT_MAX = 500


def share_status(session: Session, event_id: int, police_id: str) -> str | None:
    """The officer's own coverage of the event (the whole event's when his share is not computed)."""
    mine = session.scalar(select(EventOfficerCoverage.status).where(
        EventOfficerCoverage.event_id == event_id, EventOfficerCoverage.police_id == police_id))
    return mine or session.scalar(select(EventCoverage.status).where(EventCoverage.event_id == event_id))


def submit(session: Session, actor: audit.Actor, user: User, event_id: int, reason: str,
           text: str | None) -> EventExplanation:
    """The caller explains his own missing or partial share of an event."""
    event = session.get(EnforcementEvent, event_id)
    named = session.scalar(select(EventOfficer.id).where(EventOfficer.event_id == event_id,
                                                         EventOfficer.user_id == user.id))
    if event is None or named is None:
        raise NotFound(f"event {event_id} not found among your events: only an officer named on the event "
                       "may explain it")
    if reason not in REASONS:
        raise Invalid(f"reason must be one of {', '.join(REASONS)}")
    text = (text or "").strip() or None
    if reason == "other" and not text:
        raise Invalid("reason 'other' needs a few words saying what happened")
    if text and len(text) > TEXT_MAX:
        raise Invalid(f"the explanation is longer than {TEXT_MAX} characters: shorten it")
    status = share_status(session, event_id, user.police_id)
    if status not in EXPLAINABLE:
        raise Conflict(f"event {event.event_id} is {status or 'not yet computed'}: only missing or partial "
                       "footage is explained")
    if _open(session, event_id, user.police_id) is not None:
        raise Conflict(f"you already explained event {event.event_id}: wait for the supervisor's decision "
                       "(a rejected explanation may be submitted again)")
    row = EventExplanation(event_id=event_id, police_id=user.police_id, user_id=user.id, reason=reason, text=text,
                           state="submitted", submitted_at=utcnow())
    try:
        with session.begin_nested():  # a second submission racing this one meets the unique index
            session.add(row)
    except IntegrityError:
        raise Conflict(f"you already explained event {event.event_id}") from None
    audit.record(session, actor, "explanation.submit", "enforcement_event", event_id, explanation=row.id,
                 event=event.event_id, reason=reason, coverage=status)
    return row


def decide(session: Session, actor: audit.Actor, user: User, explanation_id: int, accept: bool,
           comment: str | None) -> EventExplanation:
    """A supervisor of the event's unit (or above), or an admin, accepts or rejects a submitted explanation."""
    row = session.get(EventExplanation, explanation_id)
    event = session.get(EnforcementEvent, row.event_id) if row else None
    if row is None or event is None:
        raise NotFound(f"explanation {explanation_id} not found")
    if user.role != Role.admin.value and not (
            user.role == Role.supervisor.value and unit_within(session, event.unit_id, user.unit_id)):
        raise Forbidden(f"only a supervisor of the unit of event {event.event_id}, or an admin, decides its explanations")
    if row.state != "submitted":
        raise Conflict(f"explanation {explanation_id} was already {row.state} by {row.decided_by}")
    comment = (comment or "").strip() or None
    if comment and len(comment) > TEXT_MAX:
        raise Invalid(f"the comment is longer than {TEXT_MAX} characters: shorten it")
    row.state = "accepted" if accept else "rejected"
    row.decided_by, row.decided_at, row.comment = user.police_id, utcnow(), comment
    audit.record(session, actor, "explanation.decide", "enforcement_event", event.id, explanation=row.id,
                 event=event.event_id, officer=row.police_id, state=row.state)
    session.flush()
    return row


def _open(session: Session, event_id: int, police_id: str) -> EventExplanation | None:
    return session.scalar(select(EventExplanation).where(
        EventExplanation.event_id == event_id, EventExplanation.police_id == police_id,
        EventExplanation.state.in_(OPEN)))


def history(session: Session, event_id: int) -> list[EventExplanation]:
    return list(session.scalars(select(EventExplanation).where(EventExplanation.event_id == event_id)
                                .order_by(EventExplanation.id)))


def latest(session: Session, event_ids: list[int], police_id: str | None = None) -> dict[tuple[int, str], EventExplanation]:
    """The newest explanation per (event, officer) of these events (of one officer when given)."""
    out: dict[tuple[int, str], EventExplanation] = {}
    for i in range(0, len(event_ids), 5000):
        q = select(EventExplanation).where(EventExplanation.event_id.in_(event_ids[i:i + 5000]))
        if police_id is not None:
            q = q.where(EventExplanation.police_id == police_id)
        for row in session.scalars(q.order_by(EventExplanation.id)):
            out[(row.event_id, row.police_id)] = row
    return out


def of_user(session: Session, user: User) -> list[EventExplanation]:
    """The newest explanation of each of the user's events."""
    rows = session.scalars(select(EventExplanation).where(EventExplanation.user_id == user.id)
                           .order_by(EventExplanation.id))
    newest = {r.event_id: r for r in rows}
    return sorted(newest.values(), key=lambda r: r.id, reverse=True)
