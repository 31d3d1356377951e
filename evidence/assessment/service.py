"""Monthly assessment: rates, weights in effect and scores per unit and officer, as rows, and
the weights kept by the day they take effect.

Who reads: supervisors their unit and the units below it; admins and auditors every unit.
Who sets weights: admins. Callers audit each read and change."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors import WHOLE, UnitScope
from evidence.assessment import rates
from evidence.assessment.models import AssessmentWeights
from evidence.assessment.schemas import AssessmentOut, ComponentOut, ScoreRow, WeightsIn, WeightsOut
from evidence.assessment.weights import COMPONENTS, Weights, in_effect, score
from evidence.config import get_settings
from evidence.coverage import sheets
from evidence.errors import Forbidden, Invalid, NotFound
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids, unit_within
from evidence.timeutil import utcnow

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_start(text: str) -> date:
    m = MONTH.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise Invalid(f"month {text!r} is not a month: write it as YYYY-MM, e.g. 2026-11")
    return date(int(m.group(1)), int(m.group(2)), 1)


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _scope(session: Session, user: User, unit_id: int | None) -> tuple[UnitScope, list[Unit]]:
    """The reach of the report and the units in it, tree order (parent before child)."""
    if user.role in (Role.admin.value, Role.auditor.value):
        root = unit_id
    elif user.role == Role.supervisor.value and user.unit_id is not None:
        root = unit_id or user.unit_id
        if not unit_within(session, root, user.unit_id):
            raise NotFound(f"unit {unit_id} not found")
    else:
        raise Forbidden(f"role {user.role} may not read the assessment")
    if root is not None and session.get(Unit, root) is None:
        raise NotFound(f"unit {root} not found")
    ids = subtree_unit_ids(session, root) if root is not None else None
    q = select(Unit).order_by(Unit.code)
    if ids is not None:
        q = q.where(Unit.id.in_(ids))
    return (UnitScope(root) if root is not None else WHOLE), list(session.scalars(q))


def _row(key: str, name: str, unit_code: str | None, figures: rates.Figures, weights: Weights) -> ScoreRow:
    comps = {c: figures.get(c) or rates.Ratio() for c in COMPONENTS}
    return ScoreRow(key=key, name=name, unit_code=unit_code,
                    **{c: ComponentOut(rate=r.rate, done=r.done, total=r.total) for c, r in comps.items()},
                    score=score({c: r.rate for c, r in comps.items()}, weights))


def assess(session: Session, user: User, month: str, unit_id: int | None = None) -> AssessmentOut:
    first = month_start(month)
    tz = ZoneInfo(get_settings().timezone)
    start = datetime.combine(first, time.min, tz)
    end = datetime.combine(next_month(first), time.min, tz)
    weights = in_effect(session, first)
    scope, units = _scope(session, user, unit_id)
    codes = {u.id: u.code for u in units}
    officers = list(session.scalars(select(User).where(User.role == Role.officer.value,
                                                      User.unit_id.in_(list(codes))).order_by(User.police_id)))
    figures = rates.officer_figures(session, start, end, {o.id: o.police_id for o in officers}, scope)
    return AssessmentOut(
        month=f"{first:%Y-%m}", weights=weights_out(weights),
        units=[_row(u.code, u.name, u.code, rates.unit_figures(session, start, end, u.id), weights) for u in units],
        officers=[_row(o.police_id, o.name, codes.get(o.unit_id), figures.get(o.id, {}), weights) for o in officers])


def weights_out(w: Weights | AssessmentWeights) -> WeightsOut:
    return WeightsOut(effective_from=w.effective_from, **{c: getattr(w, c) for c in COMPONENTS},
                      set_by=getattr(w, "set_by", None), set_at=getattr(w, "set_at", None))


def history(session: Session) -> list[AssessmentWeights]:
    return list(session.scalars(select(AssessmentWeights).order_by(AssessmentWeights.effective_from.desc())))


def this_month() -> date:
    return utcnow().astimezone(ZoneInfo(get_settings().timezone)).date().replace(day=1)


def set_weights(session: Session, user: User, body: WeightsIn) -> AssessmentWeights:
    """Save the weights from a month's first day on (a set for the same day is replaced). A past
    month keeps the weights it was scored with: a set may start this month or later only."""
    if body.effective_from.day != 1:
        raise Invalid("weights take effect from the first day of a month: choose a month")
    if body.effective_from < this_month():
        raise Invalid(f"a past month keeps the weights it was scored with: choose {this_month():%Y-%m} or later")
    if sum(getattr(body, c) for c in COMPONENTS) <= 0:
        raise Invalid("at least one weight must be above 0")
    row = session.scalar(select(AssessmentWeights).where(AssessmentWeights.effective_from == body.effective_from))
    if row is None:
        row = AssessmentWeights(effective_from=body.effective_from)
        session.add(row)
    for c in COMPONENTS:
        setattr(row, c, getattr(body, c))
    row.set_by_id, row.set_by, row.set_at = user.id, user.police_id, utcnow()
    session.flush()
    return row


XLSX_COLUMNS = ["key", "name", "unit", *[f"{c} {part}" for c in COMPONENTS for part in ("rate", "done", "total")],
                "score"]


def to_xlsx(report: AssessmentOut) -> bytes:
    def rows(items: list[ScoreRow]):
        for r in items:
            cells: list = [r.key, r.name, r.unit_code]
            for c in COMPONENTS:
                comp: ComponentOut = getattr(r, c)
                cells += [round(comp.rate, 4) if comp.rate is not None else None, comp.done, comp.total]
            yield [*cells, r.score]

    w = report.weights
    weights = (["component", "weight"], [[c, getattr(w, c)] for c in COMPONENTS])
    return sheets.to_xlsx({"units": (XLSX_COLUMNS, rows(report.units)),
                           "officers": (XLSX_COLUMNS, rows(report.officers)), "weights": weights})
