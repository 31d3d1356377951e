"""Assessment (考核): monthly scores per unit and officer, and the weights by effective date.

Who: the scores — supervisor (own unit and below), auditor, admin; the weights — read by
supervisor, auditor, admin, set by admin. Every read and change is audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import DB, IP, Admin, require_roles
from evidence.actors import user_actor
from evidence.assessment import service
from evidence.assessment.schemas import AssessmentOut, WeightsHistoryOut, WeightsIn, WeightsOut
from evidence.assessment.weights import in_effect
from evidence.audit import service as audit
from evidence.identity.models import Role, User
from evidence.types import Id

router = APIRouter(prefix="/api/v1/assessment", tags=["assessment"])
Reader = Annotated[User, Depends(require_roles(Role.supervisor, Role.admin, Role.auditor))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = {"schema": {"type": "string", "format": "binary"}}


@router.get("", response_model=AssessmentOut, responses={200: {"content": {XLSX: FILE}}},
            summary="Scores of a month per unit and officer with each rate (who: supervisor own unit and below, "
                    "auditor, admin)")
def assessment(db: DB, user: Reader, ip: IP,
               month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")],
               unit_id: Id | None = None,
               format: Annotated[Literal["json", "xlsx"], Query(description="json, or an XLSX download")] = "json",
               ) -> AssessmentOut | Response:
    report = service.assess(db, user, month, unit_id)
    audit.record(db, user_actor(user, ip), "assessment.read", None, None, month=report.month, unit_id=unit_id,
                 format=format)
    db.commit()
    if format == "xlsx":
        return Response(service.to_xlsx(report), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="assessment-{report.month}.xlsx"'})
    return report


@router.get("/weights", response_model=WeightsHistoryOut,
            summary="The weights in effect this month and every saved set (who: supervisor, auditor, admin)")
def weights(db: DB, user: Reader) -> WeightsHistoryOut:
    return WeightsHistoryOut(current=service.weights_out(in_effect(db, service.this_month())),
                             history=[service.weights_out(w) for w in service.history(db)])


@router.put("/weights", response_model=WeightsOut,
            summary="Save the weights from a month on; the months before keep theirs (who: admin)")
def set_weights(body: WeightsIn, db: DB, user: Admin, ip: IP) -> WeightsOut:
    row = service.set_weights(db, user, body)
    audit.record(db, user_actor(user, ip), "assessment.weights", "assessment_weights", row.id,
                 effective_from=body.effective_from.isoformat(),
                 **{k: v for k, v in body.model_dump().items() if k != "effective_from"})
    db.commit()
    return service.weights_out(row)
