"""The weights a month is scored with: the set with the latest effective_from on or before the
month's first day; before any set was saved, every rate weighs 1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.assessment.models import AssessmentWeights

COMPONENTS = ("coverage", "on_time", "event_link", "case_link", "review_pass")


@dataclass(frozen=True)
class Weights:
    coverage: float = 1.0
    on_time: float = 1.0
    event_link: float = 1.0
    case_link: float = 1.0
    review_pass: float = 1.0
    effective_from: date | None = None  # None: the defaults

    def of(self, component: str) -> float:
        return getattr(self, component)


def in_effect(session: Session, month_start: date) -> Weights:
    row = session.scalar(select(AssessmentWeights).where(AssessmentWeights.effective_from <= month_start)
                         .order_by(AssessmentWeights.effective_from.desc()).limit(1))
    if row is None:
        return Weights()
    return Weights(**{c: getattr(row, c) for c in COMPONENTS}, effective_from=row.effective_from)


def score(rates: dict[str, float | None], weights: Weights) -> float | None:
    """100 × Σ(weight × rate) ÷ Σ(weights of the rates that exist); None when nothing weighs."""
    present = [c for c in COMPONENTS if rates.get(c) is not None]
    total = sum(weights.of(c) for c in present)
    if total <= 0:
        return None
    return round(100 * sum(weights.of(c) * rates[c] for c in present) / total, 1)
