#!/usr/bin/env python
"""Benchmark of the evidence library listing at 100,000 recordings, against a static file floor.

For each backend (SQLite, PostgreSQL) it starts the stack through `_stack.Stack` (a local
SeaweedFS, a fresh database migrated by `evidence db upgrade`, the real API under uvicorn with an
admin from `evidence create-admin`), makes the unit tree and a case handler through the HTTP API,
and seeds, as untimed set-up (bulk inserts through the models straight into the database: no
public path makes 100,000 recordings in minutes), 200 officers and their cameras, `--rows` recordings over 180 days (video, audio and photo; every processing state; some
important; every recording with a poster key, so each row's poster URL is signed), 20,000 ledger
events with links for about a third of the recordings, and 300 cases with attachments.

It then measures over HTTP, as a case handler of one brigade and as the admin, the
p95 latency of a page of 50 for several filters and sorts (`GET /api/v1/library/recordings`): the
first page of a filter, which also counts the matches (up to 1,000), and page turns ("-turn":
with_total=false, as the web page asks once it holds the filter's count).
In the same run and on the same server, the floor: each page's JSON body saved as a file and
served by a StaticFiles mount of that server process (`_library_floor.py`, started through
Stack's `api_app`). It waits for an idle machine (`_idle.py`) before each filter's measurement and
prints the p50/p95 of both and the ratio.

    .venv/bin/python bench/bench_library.py [--rows 100000] [--backends sqlite,postgresql] [--requests 60]
                                            [--idle-timeout 600]

Goal: p95 ≤ 150 ms and ≤ 3× the floor. PostgreSQL is reached at --pg-admin (trust auth); the run
creates a database bench_library_<random> and drops it at the end.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from _common import log  # noqa: E402
from _floor import save_floor, time_against_floor  # noqa: E402
from _idle import add_idle_option, wait_for_idle  # noqa: E402
from _stack import Stack  # noqa: E402

PASSWORD = "Bench-library-2026!"
BATCH = 5000


def seed(stack: Stack, rows: int, rng: random.Random) -> dict:
    """The unit tree and the case handler through the HTTP API; the bulk (officers, recordings,
    events, links, cases) inserted straight into the stack's database: untimed set-up."""
    from evidence.cases.models import Case, CaseRecording
    from evidence.coverage.models import EnforcementEvent, RecordingEventLink
    from evidence.db import session_scope
    from evidence.recordings.models import Recording
    from evidence.identity.models import Unit, User

    importlib.import_module("evidence.devices.models")  # the table recordings.device_id refers to
    t0 = time.monotonic()
    with stack.http(timeout=60) as api:
        for code, name, level, parent in [("ZD01", "某市交警支队", "detachment", None)] + \
                [(f"DD0{i}", f"{i}大队", "brigade", "ZD01") for i in range(1, 5)]:
            api.post("/api/v1/units", json={"code": code, "name": name, "level": level,
                                            "parent_code": parent}).raise_for_status()
        api.post("/api/v1/users", json={"police_id": "900001", "name": "李娜", "role": "case_handler",
                                        "password": PASSWORD, "unit_code": "DD01"}).raise_for_status()
    stack.use_here()  # this process's session_scope() now opens the stack's database
    with session_scope() as s:
        units = dict(s.execute(sa.select(Unit.code, Unit.id)).all())
        s.execute(sa.insert(User), [{"police_id": f"{10000 + i}", "name": f"警员{i:03d}", "role": "officer",
                                     "unit_id": units[f"DD0{1 + i % 4}"], "password_hash": "!"} for i in range(200)])
        officers = [(uid, unit) for uid, unit in s.execute(sa.select(User.id, User.unit_id).where(User.role == "officer"))]
    start = datetime(2026, 6, 1, tzinfo=timezone.utc)
    kinds = ["video"] * 8 + ["audio", "photo"]
    states = ["ready"] * 16 + ["queued", "processing", "unplayable", "failed"]
    rec_rows = []
    for i in range(rows):
        officer_id, unit_id = officers[i % len(officers)]
        kind = rng.choice(kinds)
        state = rng.choice(states)
        sha = secrets.token_hex(32)
        at = start + timedelta(seconds=rng.randrange(180 * 86400))
        rec_rows.append({
            "sha256": sha, "size_bytes": rng.randrange(10_000, 500_000_000), "media_kind": kind,
            "original_filename": f"CAM{officer_id:04d}_{at:%Y%m%d%H%M%S}_{i:06d}.{ {'video': 'mp4', 'audio': 'wav', 'photo': 'jpg'}[kind]}",
            "object_key": f"originals/{sha[:2]}/{sha}", "device_serial": f"CAM{officer_id:04d}",
            "officer_id": officer_id, "officer_source": "assignment", "unit_id": unit_id, "started_at": at,
            "time_source": "filename", "important": rng.random() < 0.05, "status": "verified",
            "processing_state": state, "processing_reason": "codec not supported" if state == "unplayable" else None,
            "duration_seconds": None if kind == "photo" else rng.uniform(5, 1800),
            "poster_key": f"derived/{sha[:2]}/{sha}/poster.jpg" if state == "ready" else None,
            "retention_class": "standard", "legal_hold": False, "clock_offset_seconds": 0,
        })
    with session_scope() as s:
        for k in range(0, rows, BATCH):
            s.execute(sa.insert(Recording), rec_rows[k:k + BATCH])
    with session_scope() as s:
        rec_ids = list(s.scalars(sa.select(Recording.id)))
        s.execute(sa.insert(EnforcementEvent), [{
            "event_id": f"EV{i:07d}", "event_type": "现场处罚", "started_at": start + timedelta(seconds=rng.randrange(180 * 86400)),
            "case_no": f"AJ{i // 10:06d}" if i % 3 == 0 else None, "unit_id": units[f"DD0{1 + i % 4}"],
            "police_ids": f"{10000 + i % 200}"} for i in range(20_000)])
        event_ids = list(s.scalars(sa.select(EnforcementEvent.id)))
        links = [{"recording_id": rid, "event_id": rng.choice(event_ids), "source": "auto"}
                 for rid in rec_ids if rng.random() < 0.33]
        for k in range(0, len(links), BATCH):
            s.execute(sa.insert(RecordingEventLink), links[k:k + BATCH])
        s.execute(sa.insert(Case), [{"case_no": f"AJ{i:06d}", "case_type": "accident", "title": f"案件{i}",
                                     "unit_id": units[f"DD0{1 + i % 4}"], "stage": "investigation"} for i in range(300)])
        case_ids = list(s.scalars(sa.select(Case.id)))
        s.execute(sa.insert(CaseRecording), [{"case_id": rng.choice(case_ids), "recording_id": rid, "attached_by": "900001"}
                                             for rid in rng.sample(rec_ids, min(3000, len(rec_ids) // 3))])
    with session_scope() as s:
        s.execute(sa.text("ANALYZE"))  # both backends: the planner sees the seeded sizes
    log(f"  seeded {rows} recordings, 20000 events, {len(links)} links, 300 cases in {time.monotonic() - t0:.0f} s")
    return {"officer": "10004", "case_no": "AJ000012", "camera": "CAM0005"}


def measure(client: httpx.Client, path: str, params: dict, token: str, n: int, floor_dir: Path, name: str,
            stack: Stack, idle_timeout: float) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    r = save_floor(client, path, params, headers, floor_dir, name, warm=3)
    body = r.json()
    wait = wait_for_idle(name, idle_timeout, own=stack.pids)
    return {"name": name, "params": params, "rows": len(body["items"]), "total": body["total"],
            "bytes": len(r.content), **time_against_floor(client, path, params, headers, name, n),
            "idle_wait": wait.as_dict()}


def run_backend(backend: str, args, work: Path) -> list[dict]:
    rng = random.Random(20261203)
    floor_dir = work / f"floor-{backend}"
    floor_dir.mkdir()
    # The API process serves the floor too (_library_floor.py: api.main:app plus one static mount).
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]), "BENCH_FLOOR_DIR": str(floor_dir)}
    stack = Stack(work / backend, storage=True, database=backend, api=True, api_app="_library_floor:app",
                  pg_admin=args.pg_admin, pg_prefix="bench_library", env=env)
    try:
        log(f"{backend}: starting the stack")
        (work / backend).mkdir()
        stack.start()
        log(f"{backend}: seeding {args.rows} recordings (untimed set-up)")
        names = seed(stack, args.rows, rng)
        results = []
        with httpx.Client(base_url=stack.api_url, timeout=30) as client:
            r = client.post("/api/v1/auth/login", json={"police_id": "900001", "password": PASSWORD})
            r.raise_for_status()
            tokens = {"900001": r.json()["access_token"], "admin": stack.token}
            cases = [
                ("handler-all-newest", "900001", {}),
                ("handler-officer", "900001", {"officer": names["officer"]}),
                ("handler-video-ready-longest", "900001", {"kind": "video", "state": "ready", "sort": "duration", "order": "desc"}),
                ("handler-week-important", "900001", {"start_from": "2026-08-01T00:00:00", "start_to": "2026-08-08T00:00:00",
                                                      "important": "true", "sort": "started_at", "order": "asc"}),
                ("handler-unlinked-by-camera", "900001", {"linked": "false", "sort": "camera", "order": "asc"}),
                ("handler-page-40-turn", "900001", {"page": "40", "with_total": "false"}),
                ("handler-video-ready-turn", "900001", {"kind": "video", "state": "ready", "sort": "duration",
                                                        "page": "2", "with_total": "false"}),
                ("admin-audio", "admin", {"kind": "audio"}),
                ("admin-audio-turn", "admin", {"kind": "audio", "page": "3", "with_total": "false"}),
                ("admin-case-no", "admin", {"case_no": names["case_no"]}),
                ("admin-unit-unplayable", "admin", {"unit": "DD03", "state": "unplayable", "sort": "officer"}),
            ]
            for name, who, params in cases:
                res = measure(client, "/api/v1/library/recordings", {**params, "page_size": "50"}, tokens[who],
                              args.requests, floor_dir, f"{backend}-{name}", stack, args.idle_timeout)
                res["backend"], res["name"] = backend, name
                log(f"  {name:30s} rows {res['rows']:3d} total {res['total'] if res['total'] is not None else '-':>6}  api p95 {res['api_p95']:6.1f} ms"
                    f"  floor p95 {res['floor_p95']:5.1f} ms")
                results.append(res)
        return results
    finally:
        from evidence.db import reset_caches

        reset_caches()  # close this process's connections before the database is dropped
        stack.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--requests", type=int, default=60, help="timed requests per filter (and as many of the floor)")
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    add_idle_option(ap)
    args = ap.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-library-") as tmp:
        results = []
        for backend in args.backends.split(","):
            results += run_backend(backend, args, Path(tmp))
    print()
    print(f"Library page of 50 at {args.rows:,} recordings, {args.requests} requests each (ms)")
    print(f"{'backend':10s} {'filter':30s} {'total':>6s} {'api p50':>8s} {'api p95':>8s} {'floor p50':>9s} "
          f"{'floor p95':>9s} {'ratio p95':>9s}")
    for r in results:
        r["ratio_p95"] = r["api_p95"] / r["floor_p95"]
        print(f"{r['backend']:10s} {r['name']:30s} {r['total'] if r['total'] is not None else '-':>6} {r['api_p50']:8.1f} {r['api_p95']:8.1f} "
              f"{r['floor_p50']:9.1f} {r['floor_p95']:9.1f} {r['ratio_p95']:8.1f}x")
    for backend in {r["backend"] for r in results}:
        mine = [r for r in results if r["backend"] == backend]
        worst = max(mine, key=lambda r: r["api_p95"])
        print(f"{backend}: worst api p95 {worst['api_p95']:.1f} ms ({worst['name']}), its floor p95 "
              f"{worst['floor_p95']:.1f} ms, ratio {worst['ratio_p95']:.1f}x; goal ≤ 150 ms and ≤ 3x")
    path = out_dir / f"library-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
