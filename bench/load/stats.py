"""Per-endpoint latencies and errors of a load run: every request is recorded under a label that
names the endpoint (not the URL, so ids do not split one endpoint into thousands of rows)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.window = (float("inf"), float("inf"))  # monotonic start..end; set when the warm-up ends

    def add(self, label: str, started: float, seconds: float, error: str | None = None) -> None:
        """Record a request that started inside the window (warm-up and stragglers are left out)."""
        if not self.window[0] <= started < self.window[1]:
            return
        self.times[label].append(seconds)
        if error:
            self.errors[label][error] += 1

    def summary(self, duration_s: float) -> dict[str, dict]:
        """label -> count, req/s, p50/p95/p99/max in ms, errors and their kinds."""
        out = {}
        for label in sorted(self.times):
            values = sorted(self.times[label])
            errors = self.errors.get(label, Counter())
            out[label] = {"count": len(values), "rps": len(values) / duration_s if duration_s else 0.0,
                          "p50_ms": percentile(values, 50) * 1000, "p95_ms": percentile(values, 95) * 1000,
                          "p99_ms": percentile(values, 99) * 1000, "max_ms": values[-1] * 1000,
                          "errors": sum(errors.values()), "error_kinds": dict(errors.most_common(5))}
        return out
