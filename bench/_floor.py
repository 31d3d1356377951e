"""Timing an API call against its static floor: the same JSON body saved as a file and served by
the same server process (`_library_floor.py`), requested interleaved so both see the same load.
Shared by bench_library and bench_supervision."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import httpx


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def save_floor(client: httpx.Client, path: str, params: dict, headers: dict, floor_dir: Path, name: str,
               warm: int) -> httpx.Response:
    """One answer of the call, kept as the floor's file; then `warm` untimed rounds of both."""
    r = client.get(path, params=params, headers=headers)
    r.raise_for_status()
    (floor_dir / f"{name}.json").write_bytes(r.content)
    for _ in range(warm):
        client.get(path, params=params, headers=headers)
        client.get(f"/bench-floor/{name}.json")
    return r


def time_against_floor(client: httpx.Client, path: str, params: dict, headers: dict, name: str, n: int) -> dict:
    """n timed requests of the call and of its floor file, interleaved: p50/p95 of both (ms)."""
    api_ms, floor_ms = [], []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path, params=params, headers=headers)
        api_ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
        t = time.perf_counter()
        client.get(f"/bench-floor/{name}.json").raise_for_status()
        floor_ms.append((time.perf_counter() - t) * 1000)
    return {"api_p50": statistics.median(api_ms), "api_p95": pct(api_ms, 0.95),
            "floor_p50": statistics.median(floor_ms), "floor_p95": pct(floor_ms, 0.95)}
