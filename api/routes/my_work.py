"""The caller's own work: his ledger events with their coverage, worst first (the "My work" page).

Who: officer, case_handler, supervisor — each sees only events that name him, never a colleague's.
Every read is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import DB, IP, require_roles
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.coverage import mine
from evidence.coverage.mine_schemas import MyEventOut, MyEventsOut
from evidence.identity.models import Role, User

router = APIRouter(prefix="/api/v1/my", tags=["my work"])
Worker = Annotated[User, Depends(require_roles(Role.officer, Role.case_handler, Role.supervisor))]


@router.get("/events", response_model=MyEventsOut,
            summary="My ledger events with their coverage, missing and partial first, newest first within each "
                    "(who: officer, case_handler, supervisor — own events only)")
def my_events(db: DB, user: Worker, ip: IP, limit: Annotated[int, Query(ge=1, le=500)] = 200) -> MyEventsOut:
    rows, counts = mine.my_events(db, user, limit)
    audit.record(db, user_actor(user, ip), "coverage.my_events", None, None, returned=len(rows))
    db.commit()
    return MyEventsOut(items=[MyEventOut.model_validate(r) for r in rows], counts=counts)
