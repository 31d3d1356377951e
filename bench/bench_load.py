#!/usr/bin/env python
"""Load test of issue 14 on loopback: 200 docking stations and 50 browsing users, against the single
box and against the cluster topology in one run, with p50/p95/p99 and errors per endpoint for both.

    .venv/bin/python bench/bench_load.py [--duration 60] [--stations 200] [--users 50]
                                         [--topologies single,cluster] [--idle-timeout 600]

For each topology in turn (the same seed, so the same data and the same sequence of clicks):
1. starts it in a fresh run folder (`_targets.SingleBox`: `evidence serve`; `_targets.ClusterTarget`:
   `entrypoints.cluster.Cluster` on the machine's PostgreSQL and Redis);
2. seeds it (`load/seed.py`: units, users, stations and the ledger through the API, --recordings
   recordings written straight into the database as set-up);
3. waits for an idle machine, then runs every station and user at once (`load/actors.py`): a warm-up
   (--warmup s, the users sign in during it, not recorded), then --duration s recorded;
4. records per endpoint the count, req/s, p50/p95/p99/max and errors, and the CPU seconds of every
   server process and of this load generator (which shares the machine's cores with the server).
Writes bench/out/load-<timestamp>.json and prints the two topologies side by side.

Stations heartbeat every --heartbeat-s (the agent's default is 60 s) and open an upload session every
--open-every-s; users wait --think seconds (a range) between clicks. The peer of the cluster is the
single box: the ratio column is cluster p95 / single box p95.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import log, save_report  # noqa: E402
from _idle import add_idle_option, wait_for_idle  # noqa: E402
from _targets import ClusterTarget, SingleBox, topologies_wanted, point_here  # noqa: E402
from bench_dock import machine_info  # noqa: E402
from load import actors, seed  # noqa: E402


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_one(target, args, work: Path) -> dict:
    log(f"== {target.name}: starting")
    t0 = time.monotonic()
    target.start()
    log(f"   up in {time.monotonic() - t0:.0f} s at {target.url}; seeding")
    point_here(target.env)
    t0 = time.monotonic()
    seeded = seed.seed(target.url, target.token, users=args.users, stations=args.stations,
                       recordings=args.recordings, events=args.events, rng=random.Random(args.seed))
    log(f"   seeded in {time.monotonic() - t0:.0f} s: {seeded.as_dict()}")
    settled = target.settle(limit=90)  # the seeding's follow-ups (coverage, media of the box's scheduler)
    wait = wait_for_idle(f"load {target.key}", args.idle_timeout, own=target.pids)
    cpu0, me0 = target.cpu(), self_cpu()
    log(f"   running {args.stations} stations and {args.users} users: {args.warmup:.0f} s warm-up, "
        f"{args.duration:.0f} s recorded")
    rec, window = asyncio.run(actors.run(target.url, seeded, duration_s=args.duration, warmup_s=args.warmup,
                                         heartbeat_s=args.heartbeat_s, open_every_s=args.open_every_s,
                                         think_s=args.think, password=seed.PASSWORD, seed=args.seed))
    cpu1, me1 = target.cpu(), self_cpu()
    server_cpu = {k: round(cpu1.get(k, 0.0) - cpu0.get(k, 0.0), 2) for k in cpu1}
    elapsed = args.warmup + args.duration
    out = {"topology": target.describe(), "seeded": seeded.as_dict(), "settled_s": round(settled, 1),
           "idle_wait": wait.as_dict(), "window_s": window, "endpoints": rec.summary(window),
           "server_cpu_s": server_cpu, "server_cores_busy": round(sum(server_cpu.values()) / elapsed, 2),
           "load_generator_cpu_s": round(me1 - me0, 2)}
    total = sum(v["count"] for v in out["endpoints"].values())
    api_like = sum(v for k, v in server_cpu.items() if not k.startswith(("worker", "fast", "media", "transcode")))
    out["requests"] = total
    out["server_cpu_ms_per_request"] = round(1000 * sum(server_cpu.values()) / max(1, total), 1)
    out["front_cpu_ms_per_request"] = round(1000 * api_like / max(1, total), 1)  # API, proxy, S3, database-side
    errors = sum(v["errors"] for v in out["endpoints"].values())
    log(f"   {total} requests recorded ({total / window:.0f}/s), {errors} errors; server used "
        f"{out['server_cores_busy']:.2f} cores, the load generator {out['load_generator_cpu_s'] / elapsed:.2f}")
    for label, e in out["endpoints"].items():
        if e["errors"]:
            log(f"     {label}: {e['errors']} of {e['count']} failed: {e['error_kinds']}")
    return out


def print_table(results: dict) -> None:
    keys = list(results)
    labels = sorted({label for r in results.values() for label in r["endpoints"]})
    w = max(len(x) for x in labels + ["endpoint"])
    head = f"{'endpoint':<{w}}"
    for k in keys:
        head += f" | {k + ' n':>10} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>5}"
    if len(keys) == 2:
        head += f" | {'p95 ratio':>9}"
    print()
    print(head)
    print("-" * len(head))
    for label in labels:
        line = f"{label:<{w}}"
        p95 = []
        for k in keys:
            e = results[k]["endpoints"].get(label)
            if e is None:
                line += f" | {'-':>10} {'':>6} {'':>7} {'':>7} {'':>7} {'':>5}"
                continue
            p95.append(e["p95_ms"])
            line += (f" | {e['count']:>10} {e['rps']:>6.1f} {e['p50_ms']:>7.0f} {e['p95_ms']:>7.0f} "
                     f"{e['p99_ms']:>7.0f} {e['errors']:>5}")
        if len(keys) == 2 and len(p95) == 2 and p95[0]:
            line += f" | {p95[1] / p95[0]:>8.2f}×"
        print(line)
    print("(latencies in ms, over the recorded window; p95 ratio: " + " / ".join(reversed(keys)) + ")")
    for k, r in results.items():
        kinds = {label: e["error_kinds"] for label, e in r["endpoints"].items() if e["errors"]}
        print(f"{k}: server CPU s {r['server_cpu_s']} ({r['server_cores_busy']} cores busy on average; "
              f"{r['server_cpu_ms_per_request']} ms CPU per request, {r['front_cpu_ms_per_request']} ms without the "
              f"workers), load generator {r['load_generator_cpu_s']} s" + (f"; errors {kinds}" if kinds else ""))
        if r["idle_wait"].get("gave_up"):
            print(f"NOTE: {k} was measured on a busy machine (gave up waiting for idle after "
                  f"{r['idle_wait']['waited_s']:.0f} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0, help="recorded seconds per topology (default 60)")
    ap.add_argument("--warmup", type=float, default=20.0, help="unrecorded seconds first; users sign in then (20)")
    ap.add_argument("--stations", type=int, default=200)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--recordings", type=int, default=20000, help="recordings seeded into the database (20000)")
    ap.add_argument("--events", type=int, default=4000, help="ledger events imported through the API (4000)")
    ap.add_argument("--heartbeat-s", type=float, default=10.0, help="station heartbeat period (10; the agent's: 60)")
    ap.add_argument("--open-every-s", type=float, default=30.0, help="each station opens an upload this often (30)")
    ap.add_argument("--think", type=lambda s: tuple(float(x) for x in s.split(",")), default=(1.0, 4.0),
                    help="a user's pause between clicks, min,max seconds (1,4)")
    ap.add_argument("--topologies", default="single,cluster", help="single, cluster or both (default both)")
    ap.add_argument("--api-count", type=int, default=2, help="the cluster's API processes (2)")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--keep", action="store_true", help="keep the run folder")
    add_idle_option(ap)
    args = ap.parse_args()
    wanted = topologies_wanted(args.topologies)
    work = Path(tempfile.mkdtemp(prefix="bench-load-", dir=args.workdir))
    report: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                    "machine": machine_info(work), "results": {}}
    try:
        for key in wanted:
            folder = work / key
            folder.mkdir()
            target = SingleBox(folder) if key == "single" else ClusterTarget(folder, api_count=args.api_count)
            try:
                report["results"][key] = run_one(target, args, folder)
            finally:
                target.stop()
        path = save_report("load", report)
        print_table(report["results"])
        log(f"results in {path}")
        return 0
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
