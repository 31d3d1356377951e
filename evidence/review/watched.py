"""Watched ranges of a recording, as the review player reports them: [start, end, rate] in
seconds of the recording at a playback speed. The server keeps the union of what each send
reports, so sending the same ranges again (periodically, on leaving) changes nothing."""

from __future__ import annotations

MAX_RANGES = 2000
TOUCH = 0.05  # ranges this close at the same speed are one range


def clean(ranges: list[list[float]], duration: float | None) -> list[list[float]]:
    """Ranges within the recording, start before end, a positive speed."""
    out = []
    limit = duration if duration and duration > 0 else None
    for start, end, rate in ranges:
        start = max(0.0, float(start))
        end = float(end) if limit is None else min(float(end), limit)
        if end > start and rate > 0:
            out.append([round(start, 3), round(end, 3), float(rate)])
    return out


def merge(ranges: list[list[float]]) -> list[list[float]]:
    """Overlapping or touching ranges at the same speed become one; different speeds stay apart."""
    out: list[list[float]] = []
    for start, end, rate in sorted(ranges, key=lambda r: (r[2], r[0], r[1])):
        last = out[-1] if out else None
        if last and last[2] == rate and start <= last[1] + TOUCH:
            last[1] = max(last[1], end)
        else:
            out.append([start, end, rate])
    return sorted(out, key=lambda r: (r[0], r[1]))


def seconds(ranges: list[list[float]]) -> float:
    """Seconds of the recording seen at least once, whatever the speed."""
    total, reach = 0.0, 0.0
    for start, end, _ in sorted(ranges):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return round(total, 3)
