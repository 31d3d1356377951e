"""The caller's own work: his ledger events with their coverage, worst first (the "My work" page).

Who: officer, case_handler, supervisor — each sees only events that name him, never a colleague's.
Every read is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import DB, IP, require_roles
from evidence.audit import service as audit
from evidence.actors import user_actor
from evidence.coverage import mine
from evidence.identity.models import Role, User

router = APIRouter(prefix="/api/v1/my", tags=["my work"])
Worker = Annotated[User, Depends(require_roles(Role.officer, Role.case_handler, Role.supervisor))]
Status = Literal["covered", "partial", "missing", "pending"]


class MyEventOut(BaseModel):
    id: int
    event_id: str = Field(description="the ledger's event number")
    event_type: str
    police_ids: str = Field(description="the officers as the ledger named them, ';'-joined")
    started_at: datetime
    ended_at: datetime | None
    location: str | None
    case_no: str | None
    roadside: bool
    status: Status = Field(description="the event's coverage, all its officers together")
    window_start: datetime = Field(description="start of the span that should be recorded")
    window_end: datetime
    window_seconds: int
    covered_seconds: int
    recording_ids: list[int] = Field(description="recordings that cover the event")
    late_upload: bool
    my_status: Status | None = Field(description="the caller's own share of the event (None: not computed yet)")
    my_covered_seconds: int | None
    my_recording_ids: list[int] | None = Field(description="the caller's own recordings that cover the event")


class MyEventsOut(BaseModel):
    items: list[MyEventOut]
    counts: dict[str, int] = Field(description="all the caller's events per status (the caller's own share)")


@router.get("/events", response_model=MyEventsOut,
            summary="My ledger events with their coverage, missing and partial first, newest first within each "
                    "(who: officer, case_handler, supervisor — own events only)")
def my_events(db: DB, user: Worker, ip: IP, limit: Annotated[int, Query(ge=1, le=500)] = 200) -> MyEventsOut:
    rows, counts = mine.my_events(db, user, limit)
    audit.record(db, user_actor(user, ip), "coverage.my_events", None, None, returned=len(rows))
    db.commit()
    return MyEventsOut(items=[MyEventOut.model_validate(r) for r in rows], counts=counts)
