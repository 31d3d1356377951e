"""Explanations of missing or partial footage and the supervisor's decisions.

Who: an officer named on the event submits for his own missing or partial share; a supervisor of
the event's unit (or above) or an admin decides; the history of an event is read as events are.
Every submission, decision and read is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import DB, IP, AnyUser, VisibleEvent, require_roles
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.coverage import explanations
from evidence.coverage.explanation_schemas import DecisionIn, ExplanationIn, ExplanationOut
from evidence.identity.models import Role, User
from evidence.types import Id

router = APIRouter(prefix="/api/v1", tags=["explanations"])
Worker = Annotated[User, Depends(require_roles(Role.officer, Role.case_handler, Role.supervisor))]
Decider = Annotated[User, Depends(require_roles(Role.supervisor, Role.admin))]


@router.post("/events/{event_id}/explanations", response_model=ExplanationOut, status_code=201,
             summary="Explain my missing or partial footage of an event (who: an officer named on the event)")
def submit(event_id: Id, body: ExplanationIn, db: DB, user: Worker, ip: IP) -> ExplanationOut:
    row = explanations.submit(db, user_actor(user, ip), user, event_id, body.reason, body.text)
    db.commit()
    return ExplanationOut.model_validate(row)


@router.post("/explanations/{explanation_id}/decision", response_model=ExplanationOut,
             summary="Accept or reject an explanation (who: supervisor of the event's unit, admin)")
def decide(explanation_id: Id, body: DecisionIn, db: DB, user: Decider, ip: IP) -> ExplanationOut:
    row = explanations.decide(db, user_actor(user, ip), user, explanation_id, body.accept, body.comment)
    db.commit()
    return ExplanationOut.model_validate(row)


@router.get("/events/{event_id}/explanations", response_model=list[ExplanationOut],
            summary="All explanations of an event, rejected ones included (who: as events)")
def of_event(event: VisibleEvent, db: DB, user: AnyUser, ip: IP) -> list[ExplanationOut]:
    rows = explanations.history(db, event.id)
    audit.record(db, user_actor(user, ip), "explanation.list", "enforcement_event", event.id, returned=len(rows))
    db.commit()
    return [ExplanationOut.model_validate(r) for r in rows]


@router.get("/my/explanations", response_model=list[ExplanationOut],
            summary="My latest explanation of each of my events (who: officer, case_handler, supervisor — own)")
def mine(db: DB, user: Worker, ip: IP) -> list[ExplanationOut]:
    rows = explanations.of_user(db, user)
    audit.record(db, user_actor(user, ip), "explanation.mine", None, None, returned=len(rows))
    db.commit()
    return [ExplanationOut.model_validate(r) for r in rows]
