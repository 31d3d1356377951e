"""The supervisor home page (首页): one period of a unit at a glance, in one call.

Who: supervisor (their unit and the units under it), auditor and admin (every unit, or one picked).
The read is audited like the coverage reports it summarises.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import DB, IP, require_roles
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.identity.models import Role, User
from evidence.supervision import overview as home
from evidence.supervision.schemas import OverviewOut
from evidence.types import Id

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])
Overseer = Annotated[User, Depends(require_roles(Role.supervisor, Role.auditor, Role.admin))]


@router.get("/overview", response_model=OverviewOut,
            summary="Coverage per enforcement type, on-time import, camera hours and to-do counts for a day, "
                    "week or month (who: supervisor own unit and below, auditor/admin all units or one)")
def overview(db: DB, user: Overseer, ip: IP,
             period: Literal["day", "week", "month"] = "day",
             start: Annotated[date | None, Query(
                 description="a day of the period (YYYY-MM-DD, unit's zone); default yesterday, this week, this month; "
                             "a week starts on its Monday, a month on its 1st")] = None,
             unit_id: Annotated[Id | None, Query(description="this unit and those under it; default: the caller's "
                                                             "unit (supervisor) or every unit")] = None) -> OverviewOut:
    data = home.overview(db, user, period, start, unit_id)
    audit.record(db, user_actor(user, ip), "supervision.overview", None, None, period=period,
                 start=data["start"].isoformat(), unit_id=data["unit"]["id"] if data["unit"] else None)
    db.commit()
    return OverviewOut.model_validate(data)
