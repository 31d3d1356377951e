"""日清 / 周评 / 月结: the daily list, the weekly ranking and the monthly summary, as JSON or XLSX.

Who: supervisor (own unit and below), auditor and admin (all units). Every read is audited."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import DB, IP, require_roles
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.coverage import periodic
from evidence.coverage.periodic_schemas import DailyOut, MonthlyOut, WeeklyOut
from evidence.errors import Invalid
from evidence.identity.models import Role, User
from evidence.timeutil import utcnow

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])
Reader = Annotated[User, Depends(require_roles(Role.supervisor, Role.auditor, Role.admin))]
Format = Annotated[Literal["json", "xlsx"], Query(description="json, or a download as xlsx")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOAD = {200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(get_settings().timezone)).date()


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _audit(db, user: User, ip, what: str, **detail) -> None:
    audit.record(db, user_actor(user, ip), f"supervision.{what}", None, None, **detail)
    db.commit()


@router.get("/daily", response_model=DailyOut, responses=DOWNLOAD,
            summary="日清: each officer's missing and partial events of a day with their explanations "
                    "(who: supervisor own unit and below, auditor, admin)")
def daily(db: DB, user: Reader, ip: IP,
          day: Annotated[date | None, Query(description="the unit's day; default yesterday")] = None,
          format: Format = "json") -> DailyOut | Response:
    day = day or _today() - timedelta(days=1)
    try:
        report = periodic.daily(db, user, day)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    _audit(db, user, ip, "daily", day=day.isoformat(), returned=len(report["items"]), format=format)
    if format == "xlsx":
        return _xlsx(periodic.daily_xlsx(report), f"daily-{day.isoformat()}.xlsx")
    return DailyOut.model_validate(report, from_attributes=True)


@router.get("/weekly", response_model=WeeklyOut, responses=DOWNLOAD,
            summary="周评: units and officers ranked by coverage rate, with the 4 weeks before "
                    "(who: supervisor own unit and below, auditor, admin)")
def weekly(db: DB, user: Reader, ip: IP,
           week_start: Annotated[date | None, Query(description="any day of the week (Monday to Sunday); "
                                                                 "default last week")] = None,
           format: Format = "json") -> WeeklyOut | Response:
    try:
        week_start = periodic.monday_of(periodic.check_period(week_start or _today() - timedelta(days=7)))
        report = periodic.weekly(db, user, week_start)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    _audit(db, user, ip, "weekly", week_start=week_start.isoformat(), format=format)
    if format == "xlsx":
        return _xlsx(periodic.weekly_xlsx(report), f"weekly-{week_start.isoformat()}.xlsx")
    return WeeklyOut.model_validate(report)


@router.get("/monthly", response_model=MonthlyOut, responses=DOWNLOAD,
            summary="月结: per unit and officer, coverage counts and rate, late uploads, on-time imports and "
                    "camera hours (who: supervisor own unit and below, auditor, admin)")
def monthly(db: DB, user: Reader, ip: IP,
            month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; default last month")] = None,
            format: Format = "json") -> MonthlyOut | Response:
    month = month or (_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    try:
        report = periodic.monthly(db, user, month)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    _audit(db, user, ip, "monthly", month=month, format=format)
    if format == "xlsx":
        return _xlsx(periodic.monthly_xlsx(report), f"monthly-{month}.xlsx")
    return MonthlyOut.model_validate(report)
