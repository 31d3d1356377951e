#!/usr/bin/env python
"""Benchmark of the evidence library listing at 100,000 recordings, against a static file floor.

For each backend (SQLite, PostgreSQL) it creates a fresh database, migrates it, and seeds (bulk
inserts through the models, not timed) a detachment with 4 brigades, 200 officers and their
cameras, `--rows` recordings over 180 days (video, audio and photo; every processing state; some
important; every recording with a poster key, so each row's poster URL is signed), 20,000 ledger
events with links for about a third of the recordings, and 300 cases with attachments.

It then runs the real API (`uvicorn api.main:app` in its own process, with a local SeaweedFS for
the object store) and measures over HTTP, as a case handler of one brigade and as an admin, the
p95 latency of a page of 50 for several filters and sorts (`GET /api/v1/library/recordings`): the
first page of a filter, which also counts the matches (up to 1,000), and page turns ("-turn":
with_total=false, as the web page asks once it holds the filter's count).
In the same run and on the same server, the floor: each page's JSON body saved as a file and
served by a StaticFiles mount of that server. It prints the p50/p95 of both and the ratio.

    .venv/bin/python bench/bench_library.py [--rows 100000] [--backends sqlite,postgresql] [--requests 60]

Goal: p95 ≤ 150 ms and ≤ 3× the floor. PostgreSQL is reached at --pg-admin (trust auth); the run
creates a database bench_library_<random> and drops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
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
from storage.seaweedfs import SeaweedFS, free_port  # noqa: E402

PASSWORD = "Bench-library-2026!"
BATCH = 5000


def seed(url: str, rows: int, rng: random.Random) -> dict:
    from evidence.audit import service as audit
    from evidence.cases.models import Case, CaseRecording
    from evidence.coverage.models import EnforcementEvent, RecordingEventLink
    from evidence.db import reset_caches, session_scope
    from evidence.identity.service import create_unit, create_user
    from evidence.recordings.models import Recording
    from evidence.identity.models import Unit, User

    os.environ["EVIDENCE_DATABASE_URL"] = url
    reset_caches()
    t0 = time.monotonic()
    with session_scope() as s:
        create_unit(s, audit.SYSTEM, "ZD01", "某市交警支队", "detachment")
        for i in range(1, 5):
            create_unit(s, audit.SYSTEM, f"DD0{i}", f"{i}大队", "brigade", "ZD01")
        create_user(s, audit.SYSTEM, "900001", "李娜", "case_handler", PASSWORD, "DD01")
        create_user(s, audit.SYSTEM, "900002", "管理员", "admin", PASSWORD, None)
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
        if s.get_bind().dialect.name == "postgresql":
            s.execute(sa.text("ANALYZE"))
        else:
            s.execute(sa.text("ANALYZE"))
    log(f"  seeded {rows} recordings, 20000 events, {len(links)} links, 300 cases in {time.monotonic() - t0:.0f} s")
    return {"officer": "10004", "case_no": "AJ000012", "camera": "CAM0005"}


def start_api(env: dict, floor_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    code = ("import uvicorn\nfrom starlette.routing import Mount\nfrom starlette.staticfiles import StaticFiles\n"
            "from api.main import create_app\napp = create_app()\n"
            f"app.router.routes.insert(0, Mount('/bench-floor', StaticFiles(directory={str(floor_dir)!r})))\n"
            f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning')\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=open(log_path, "ab"),
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(base + "/health", timeout=2).status_code in (200, 503):
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the API did not start:\n{log_path.read_text()[-3000:]}")


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(client: httpx.Client, path: str, params: dict, token: str, n: int, floor_dir: Path, name: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    r = client.get(path, params=params, headers=headers)
    r.raise_for_status()
    (floor_dir / f"{name}.json").write_bytes(r.content)
    body = r.json()
    for _ in range(3):  # warm both
        client.get(path, params=params, headers=headers)
        client.get(f"/bench-floor/{name}.json")
    api_ms, floor_ms = [], []
    for _ in range(n):  # interleaved, so both see the same machine load
        t = time.perf_counter()
        r = client.get(path, params=params, headers=headers)
        api_ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
        t = time.perf_counter()
        r = client.get(f"/bench-floor/{name}.json")
        floor_ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200
    return {"name": name, "params": params, "rows": len(body["items"]), "total": body["total"],
            "bytes": len(r.content), "api_p50": statistics.median(api_ms), "api_p95": p(api_ms, 0.95),
            "floor_p50": statistics.median(floor_ms), "floor_p95": p(floor_ms, 0.95)}


def run_backend(backend: str, args, seaweed: SeaweedFS, work: Path) -> list[dict]:
    from evidence.migrate import upgrade

    rng = random.Random(20261203)
    admin_url = None
    if backend == "sqlite":
        url = f"sqlite:///{work / 'library.db'}"
    else:
        admin_url = args.pg_admin
        name = f"bench_library_{secrets.token_hex(4)}"
        eng = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        eng.dispose()
        url = admin_url.rsplit("/", 1)[0] + "/" + name
    tag = secrets.token_hex(3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update({"EVIDENCE_DATA_DIR": str(work / f"data-{backend}"), "EVIDENCE_DATABASE_URL": url,
                "EVIDENCE_S3_ENDPOINT": seaweed.endpoint, "EVIDENCE_S3_ACCESS_KEY": seaweed.access_key,
                "EVIDENCE_S3_SECRET_KEY": seaweed.secret_key, "EVIDENCE_BUCKET_ORIGINALS": f"orig-{tag}",
                "EVIDENCE_BUCKET_DERIVED": f"der-{tag}", "EVIDENCE_SECRET_KEY": secrets.token_urlsafe(32),
                "EVIDENCE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
    (work / f"data-{backend}").mkdir()
    os.environ.update(env)
    proc = None
    try:
        log(f"{backend}: migrating and seeding {args.rows} recordings")
        upgrade(url)
        names = seed(url, args.rows, rng)
        floor_dir = work / f"floor-{backend}"
        floor_dir.mkdir()
        proc, base = start_api(env, floor_dir, work / f"api-{backend}.log")
        results = []
        with httpx.Client(base_url=base, timeout=30) as client:
            tokens = {}
            for who in ("900001", "900002"):
                r = client.post("/api/v1/auth/login", json={"police_id": who, "password": PASSWORD})
                r.raise_for_status()
                tokens[who] = r.json()["access_token"]
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
                ("admin-audio", "900002", {"kind": "audio"}),
                ("admin-audio-turn", "900002", {"kind": "audio", "page": "3", "with_total": "false"}),
                ("admin-case-no", "900002", {"case_no": names["case_no"]}),
                ("admin-unit-unplayable", "900002", {"unit": "DD03", "state": "unplayable", "sort": "officer"}),
            ]
            for name, who, params in cases:
                res = measure(client, "/api/v1/library/recordings", {**params, "page_size": "50"}, tokens[who],
                              args.requests, floor_dir, f"{backend}-{name}")
                res["backend"] = backend
                log(f"  {name:30s} rows {res['rows']:3d} total {res['total'] if res['total'] is not None else '-':>6}  api p95 {res['api_p95']:6.1f} ms"
                    f"  floor p95 {res['floor_p95']:5.1f} ms")
                results.append(res)
        return results
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        from evidence.db import reset_caches

        reset_caches()
        if admin_url:
            eng = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with eng.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            eng.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--requests", type=int, default=60, help="timed requests per filter (and as many of the floor)")
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-library-") as tmp:
        work = Path(tmp)
        seaweed = SeaweedFS(work / "seaweedfs", "bench-access", secrets.token_hex(16)).start()
        try:
            results = []
            for backend in args.backends.split(","):
                results += run_backend(backend, args, seaweed, work)
        finally:
            seaweed.stop()
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
