"""The coverage arithmetic, free of any database: windows, spans, clock tolerance, statuses.

Times are seconds since the epoch (floats) here; callers convert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from evidence.coverage.rules import Rule


class Clip(NamedTuple):  # a tuple: a full recompute makes one per recording
    recording_id: int
    device: str  # clips of one camera share a clock offset and merge into spans
    start: float
    end: float
    uploaded: float | None  # when the server received it


@dataclass
class OfficerResult:
    status: str
    covered_seconds: int
    ratio: float
    recording_ids: list[int]


@dataclass
class EventResult:
    status: str
    window_start: float
    window_end: float
    window_seconds: int
    covered_seconds: int
    ratio: float
    late_upload: bool
    deadline: float
    recording_ids: list[int]
    officers: dict[str, OfficerResult] = field(default_factory=dict)


def window(start: float, end: float | None, rule: Rule) -> tuple[float, float]:
    stop = end if end is not None else start + rule.default_minutes * 60
    return start - rule.pre_roll_seconds, stop + rule.post_roll_seconds


def spans(clips: list[Clip], gap: float) -> list[tuple[float, float, list[int]]]:
    """Consecutive clips (gap ≤ `gap`) of one camera as continuous spans, with their recording ids."""
    out: list[list] = []
    for c in sorted(clips, key=lambda c: c.start):
        if out and c.start - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], c.end)
            out[-1][2].append(c.recording_id)
        else:
            out.append([c.start, c.end, [c.recording_id]])
    return [(s, e, ids) for s, e, ids in out]


def union_within(intervals: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Seconds of [lo, hi] covered by the union of the intervals."""
    total, cursor = 0.0, lo
    for s, e in sorted(intervals):
        s, e = max(s, cursor), min(e, hi)
        if e > s:
            total += e - s
            cursor = e
    return total


def best_shift(device_spans: list[tuple[float, float, list[int]]], lo: float, hi: float, tol: float) -> float:
    """The clock offset within ±tol that lets this camera's spans cover the most of [lo, hi].

    Coverage as a function of the shift is piecewise linear, so the best value is at a shift that
    lines a span's edge up with a window edge, or at a bound.
    """
    if tol <= 0:
        return 0.0
    full = hi - lo
    if union_within([(s, e) for s, e, _ in device_spans], lo, hi) >= full:
        return 0.0  # nothing beats covering it all unshifted (and ties prefer the smallest correction)
    candidates = {0.0, -tol, tol}
    for s, e, _ in device_spans:
        candidates.update((lo - s, hi - e, hi - s, lo - e))
    best, best_cover = 0.0, -1.0
    for d in sorted(candidates, key=abs):  # ties: the smallest correction wins
        if abs(d) > tol:
            continue
        cover = union_within([(s + d, e + d) for s, e, _ in device_spans], lo, hi)
        if cover > best_cover + 1e-9:
            best, best_cover = d, cover
            if cover >= full:
                break  # no later candidate can cover more
    return best


def shifted_spans(clips: list[Clip], lo: float, hi: float, rule: Rule) -> list[tuple[float, float, list[int]]]:
    by_device: dict[str, list[Clip]] = {}
    for c in clips:
        by_device.setdefault(c.device, []).append(c)
    out = []
    for device_clips in by_device.values():
        sp = spans(device_clips, rule.segment_gap_seconds)
        d = best_shift(sp, lo, hi, rule.tolerance_seconds)
        out.extend((s + d, e + d, ids) for s, e, ids in sp)
    return out


def evaluate(start: float, end: float | None, clips_by_officer: dict[str, list[Clip]], rule: Rule,
             now: float) -> EventResult:
    """Status, seconds and ratio of one event, for the event and for each of its officers."""
    lo, hi = window(start, end, rule)
    length = max(hi - lo, 1.0)
    deadline = hi + rule.upload_deadline_hours * 3600
    officers: dict[str, OfficerResult] = {}
    all_spans: list[tuple[float, float, list[int]]] = []
    contributing: list[Clip] = []
    for police_id, clips in clips_by_officer.items():
        if clips:
            sp = [s for s in shifted_spans(clips, lo, hi, rule) if s[1] > lo and s[0] < hi]
            covered = union_within([(s, e) for s, e, _ in sp], lo, hi)
            ids = sorted({i for _, _, group in sp for i in group})
        else:  # the numbers the lines above give for no clips, without the work
            sp, covered, ids = [], 0.0, []
        officers[police_id] = OfficerResult(_status(covered, covered / length, rule, now < deadline), round(covered),
                                            round(covered / length, 4), ids)
        all_spans.extend(sp)
        in_ids = set(ids)
        contributing.extend(c for c in clips if c.recording_id in in_ids)
    if len(clips_by_officer) != 1:  # with one officer, `covered` is already the union of these spans
        covered = union_within([(s, e) for s, e, _ in all_spans], lo, hi)
    ratio = covered / length
    status = _status(covered, ratio, rule, now < deadline)
    late = any(c.uploaded is not None and c.uploaded > c.end + rule.upload_deadline_hours * 3600
               for c in contributing)
    ids = sorted({c.recording_id for c in contributing})
    return EventResult(status, lo, hi, round(hi - lo), round(covered), round(ratio, 4), late, deadline, ids, officers)


def _status(covered: float, ratio: float, rule: Rule, before_deadline: bool) -> str:
    if ratio >= rule.covered_ratio:
        return "covered"
    if covered > 0:
        return "partial"
    return "pending" if before_deadline else "missing"
