"""Coverage rules per event type, with documented defaults; override any of them with
EVIDENCE_COVERAGE_RULES='{"ticket": {"default_minutes": 20}, "*": {"tolerance_seconds": 60}}'.

- pre_roll_seconds / post_roll_seconds: the required window starts this much before the event
  and ends this much after it (whole-process recording: arrival to end).
- default_minutes: the window's length when the ledger has no end time.
- tolerance_seconds: how far a camera's clock may be off. A camera's recordings may be shifted
  as one block by up to this much to meet the window; gaps are never filled by it.
- covered_ratio: the share of the window that must be recorded to count as covered.
- upload_deadline_hours: footage must reach the server this long after the recording ends;
  an event with no footage stays `pending` until this long after its window ends.
- segment_gap_seconds: consecutive files of one camera closer than this are one continuous span.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from evidence.config import get_settings


@dataclass(frozen=True)
class Rule:
    pre_roll_seconds: int = 0
    post_roll_seconds: int = 0
    default_minutes: int = 15
    tolerance_seconds: int = 120
    covered_ratio: float = 0.9
    upload_deadline_hours: int = 24
    segment_gap_seconds: int = 3


DEFAULT_MINUTES = {
    "dispatch": 30, "check": 15, "ticket": 10, "accident": 60, "vehicle_seizure": 20,
    "license_seizure": 15, "admin_measure": 30, "emergency": 60, "other": 15,
}


def rules() -> dict[str, Rule]:
    overrides = get_settings().coverage_rules
    common = overrides.get("*", {})
    out = {}
    for event_type, minutes in DEFAULT_MINUTES.items():
        rule = replace(Rule(default_minutes=minutes), **common)
        out[event_type] = replace(rule, **overrides.get(event_type, {}))
    return out


def max_reach_seconds(all_rules: dict[str, Rule]) -> int:
    """How far from a recording an event's window can start or end (for incremental lookups)."""
    return max(r.pre_roll_seconds + r.post_roll_seconds + r.tolerance_seconds + r.default_minutes * 60
               for r in all_rules.values())
