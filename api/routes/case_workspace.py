"""The case pages of the web application: the case list by stage with counts, and one case's
workspace in a single read. Changes go through the routes in api/routes/cases.py.

Who: the list — any user (each sees the cases they may read; officers only cases they handle);
the workspace — readers of the case. Both are audited like GET /api/v1/cases and /cases/{id}.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DB, IP, AnyUser
from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.cases import workspace
from evidence.cases.access import can_read_case
from evidence.cases.models import STAGES, Case
from evidence.cases.workspace_schemas import CaseListOut, WorkspaceOut
from evidence.errors import Invalid, NotFound
from evidence.types import INT32_MAX, Id

router = APIRouter(prefix="/api/v1", tags=["cases"])


@router.get("/case-list", response_model=CaseListOut,
            summary="Cases one may read, by stage, with the count in each stage (who: any user; officers see only cases they handle)")
def case_list(db: DB, user: AnyUser, ip: IP,
              stage: Annotated[str | None, Query(description="one of the stages; all when empty")] = None,
              q: Annotated[str | None, Query(max_length=100, description="part of the case number or title")] = None,
              page: Annotated[int, Query(ge=1, le=INT32_MAX)] = 1,
              page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> CaseListOut:
    if stage and stage not in STAGES:
        raise Invalid(f"stage must be one of {', '.join(STAGES)}")
    out = workspace.case_list(db, user, stage or None, q, page, page_size)
    audit.record(db, user_actor(user, ip), "case.list", "case", None, returned=[c["id"] for c in out["items"]],
                 stage=stage, q=q)
    db.commit()
    return CaseListOut.model_validate(out)


@router.get("/cases/{case_id}/workspace", response_model=WorkspaceOut,
            summary="A case as its workspace shows it: stage history, handlers, clips, suggestions, what the caller may do (who: readers of the case)")
def case_workspace(case_id: Id, db: DB, user: AnyUser, ip: IP) -> WorkspaceOut:
    case = db.get(Case, case_id)
    if case is None or not can_read_case(db, user, case):
        raise NotFound(f"case {case_id} not found")
    out = workspace.workspace(db, user, case)
    audit.record(db, user_actor(user, ip), "case.read", "case", case.id)
    db.commit()
    return WorkspaceOut.model_validate(out)
