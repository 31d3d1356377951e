#!/usr/bin/env python
"""Benchmark of the coverage computation and the monthly summaries on a generated brigade month.

For each backend (PostgreSQL, SQLite) and each scale it creates a fresh database, migrates it,
generates a month (30 days) of a brigade of `--officers` officers: scale × 300,000 enforcement
events and scale × 600,000 verified recordings (bulk inserts, psycopg COPY on PostgreSQL),
arranged so that about 70 % of events are covered, 15 % partial and 15 % missing. It then times:

  a. the full computation: `recompute_all(session)` inside `session_scope()` (commit included);
  b. the monthly summaries: `reports.summary()` by unit, officer, type and day, and
     `reports.roadside_missing()`, as an admin;
  c. the incremental update after one dock session: 50 new recordings of 5 officers on one day,
     then `recompute_for_recordings(session, ids)` + commit (3 sessions, median and max).

It prints a table with the growth exponent between scales (compared with n log n), profiles
`recompute_all` (cProfile) at the largest scale of each backend, and writes everything as JSON
to bench/out/coverage-<timestamp>.json (the profile also as a .prof file).

    .venv/bin/python bench/bench_coverage.py [--scales 0.1,0.333,1] [--backends postgresql,sqlite]
                                             [--officers 500] [--profile largest|all|none]

PostgreSQL is reached at --pg-admin (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres,
trust auth); each run creates a database bench_coverage_<random> and drops it at the end, also on
error and Ctrl-C. SQLite runs use a file in a temporary folder that is deleted afterwards.
Before each measured phase the bench waits for an idle machine (bench/_idle.py, at most
--idle-timeout s, default 600) and records how long it waited.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from evidence import db as evdb  # noqa: E402

from _common import log  # noqa: E402  (bench/ is on sys.path)
from _coverage_measure import (clear_coverage, load, measure_full, measure_incremental,  # noqa: E402
                               measure_summaries, profile_full, status_counts)
from evidence.coverage.generated_month import generate  # noqa: E402
from _coverage_report import GOALS, growth, machine, print_table  # noqa: E402
from _coverage_watch import STATE, Watch, loadavg, wait_for_others  # noqa: E402
from _idle import add_idle_option  # noqa: E402
from _stack import PG_ADMIN, Stack  # noqa: E402


# -- one backend × scale ------------------------------------------------------------------------
def run_one(backend: str, scale: float, args, out_dir: Path, profile: bool, tag: str) -> dict:
    res: dict = {"backend": backend, "scale": scale}
    res["setup_waited_s"] = wait_for_others("data setup")  # setup is not measured, but spare the others
    tmp = Path(tempfile.mkdtemp(prefix="bench_coverage_"))
    stack = Stack(tmp, storage=False, database=backend, pg_admin=args.pg_admin, pg_prefix="bench_coverage")
    try:
        stack.start()  # a fresh database, migrated by `evidence db upgrade`
        STATE["db"] = stack.pg_url.rsplit("/", 1)[1] if stack.pg_url else None
        stack.use_here()
        log(f"{backend} scale {scale}: database {stack.database_url.rsplit('/', 1)[1]}")
        t0 = time.perf_counter()
        m = generate(scale, args.officers)
        res["generate_seconds"] = round(time.perf_counter() - t0, 2)
        res.update(events=len(m.events), event_officers=len(m.event_officers), recordings=m.recordings,
                   spans=len(m.spans), plan=m.plan, overfull_team_days=m.overfull_team_days,
                   month=[m.start.isoformat(), m.end.isoformat()])
        log(f"  generated {len(m.events)} events, {len(m.event_officers)} event officers, {m.recordings} "
            f"recordings in {res['generate_seconds']} s (plan {m.plan})")
        res["load_seconds"] = load(m, backend)
        log(f"  loaded in {res['load_seconds']['total']} s {res['load_seconds']}")

        res["full_waited_s"] = 0.0
        for attempt in range(3):
            res["full_waited_s"] += wait_for_others("full computation")
            res["loadavg_before_full"] = loadavg()
            with Watch() as watch:
                secs, n = measure_full()
            res["full_seconds"] = round(secs, 3)
            res["full_events"] = n
            res["full_contended"] = watch.contended
            res["full_other_cpu_s"] = watch.other_cpu
            log(f"  full computation: {secs:.2f} s for {n} events")
            if not watch.contended:
                break
            if attempt == 2:  # keep the last try's coverage: the status counts and the next phases need it
                log(f"  other work used {watch.other_cpu} CPU-s during it: keeping these figures, flagged")
                break
            log(f"  other work used {watch.other_cpu} CPU-s during it: measuring again")
            clear_coverage()
        res["status_counts"] = status_counts()
        log(f"  status counts: {res['status_counts']}")

        # The same computation again over existing coverage (a nightly rebuild): the links exist.
        res["rebuild_waited_s"] = wait_for_others("rebuild")
        with Watch() as watch:
            secs, _ = measure_full()
        res["rebuild_seconds"] = round(secs, 3)
        res["rebuild_contended"] = watch.contended
        res["rebuild_other_cpu_s"] = watch.other_cpu
        log(f"  rebuild over existing coverage: {secs:.2f} s" + (" (contended)" if watch.contended else ""))

        res["summary_waited_s"] = 0.0
        for attempt in range(3):
            res["summary_waited_s"] += wait_for_others("summaries")
            with Watch() as watch:
                res["summaries"] = measure_summaries(m)
            res["summaries"]["contended"] = watch.contended
            res["summaries"]["other_cpu_s"] = watch.other_cpu
            if not watch.contended:
                break
            log(f"  other work used {watch.other_cpu} CPU-s during the summaries: measuring again")
        log("  summaries: " + ", ".join(f"{k} {v['seconds']:.2f} s" for k, v in res["summaries"].items()
                                        if isinstance(v, dict)))

        res["incremental"] = measure_incremental(m)
        if profile:
            log("  profiling recompute_all (cProfile) ...")
            res["profile"] = profile_full(out_dir, f"{tag}-{backend}-{scale}")
            log(f"  profiled run: {res['profile']['wall_seconds_profiled']} s; breakdown:")
            for k, v in sorted(res["profile"]["breakdown"].items(), key=lambda kv: -kv[1]["cumulative_s"]):
                log(f"    {k:45s} calls {v['calls']:>9} tottime {v['tottime_s']:8.2f} cum {v['cumulative_s']:8.2f}")
        if backend == "postgresql":
            with evdb.get_engine().connect() as conn:
                res["db_size_mb"] = round(conn.exec_driver_sql(
                    "SELECT pg_database_size(current_database())").scalar() / 2**20, 1)
        else:
            res["db_size_mb"] = round(sum(p.stat().st_size for p in stack.data.glob("evidence.db*")) / 2**20, 1)
    except Exception as exc:  # keep the other runs going; the error is in the JSON
        import traceback
        traceback.print_exc()
        res["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        STATE["db"] = None
        evdb.reset_caches()
        stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)  # also when started in the background (SIGINT ignored)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="0.1,0.333,1")
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--officers", type=int, default=500)
    ap.add_argument("--profile", choices=("largest", "all", "none"), default="largest",
                    help="cProfile recompute_all at the largest scale of each backend (default), every scale or none")
    ap.add_argument("--pg-admin", default=PG_ADMIN)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    add_idle_option(ap)
    args = ap.parse_args()
    STATE["idle_timeout"] = args.idle_timeout
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = time.strftime("%Y%m%d-%H%M%S")
    info = machine()
    log(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), {info['mem_total']}; scales {scales}, "
        f"backends {backends}, {args.officers} officers")
    if "postgresql" in backends:
        engine = sa.create_engine(args.pg_admin)
        with engine.connect() as conn:
            info["postgresql"] = conn.exec_driver_sql("SHOW server_version").scalar()
            info["pg_settings"] = {k: conn.exec_driver_sql(f"SHOW {k}").scalar()
                                   for k in ("shared_buffers", "work_mem", "synchronous_commit")}
        engine.dispose()
    results = []
    t_start = time.perf_counter()
    for backend in backends:
        for scale in scales:
            profile = args.profile == "all" or (args.profile == "largest" and scale == max(scales))
            results.append(run_one(backend, scale, args, out_dir, profile, tag))
    growths = growth(results)
    print_table(results, growths)
    for r in results:
        if "profile" in r:
            print(f"\n== cProfile of recompute_all, {r['backend']} scale {r['scale']} "
                  f"({r['profile']['wall_seconds_profiled']} s under the profiler) ==")
            print("\n".join(r["profile"]["top_cumulative"].splitlines()[:45]))
    waited = sum(r.get("setup_waited_s", 0) + r.get("full_waited_s", 0) + r.get("rebuild_waited_s", 0) + r.get("summary_waited_s", 0)
                 + sum(x["waited_s"] for x in r.get("incremental", {}).get("runs", []))
                 + r.get("profile", {}).get("waited_s", 0) for r in results)
    out = {"tag": tag, "args": vars(args), "machine": info, "goals": GOALS, "waited_for_idle_s": waited,
           "idle_waits": STATE["waits"],
           "total_seconds": round(time.perf_counter() - t_start, 1), "results": results, "growth": growths}
    path = out_dir / f"coverage-{tag}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    gave_up = [w["phase"] for w in STATE["waits"] if w["gave_up"]]
    if gave_up:
        log(f"NOTE: the machine was still busy (gave up waiting) before {len(gave_up)} phase(s): "
            + ", ".join(sorted(set(gave_up))))
    log(f"waited for an idle machine: {waited:.0f} s in total; results in {path}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
