#!/usr/bin/env python
"""Ingest throughput of the cluster topology against the single box: the same dock session, the same
data, in the same run, until every file is verified by the server; and every process's CPU per GB.

    .venv/bin/python bench/bench_cluster_ingest.py [--total-gb 2] [--files 200] [--rounds 1]

One run:
1. Makes one "camera" folder of --files files of random bytes, --total-gb in all (200 × ~10 MB at
   full size), named with the agent's built-in pattern (`_dock_runs.make_set`).
2. For each topology in turn, alone on the machine (single box first, then the cluster): starts it
   in a fresh folder (`_targets`), registers a station over HTTP, sends one small warm-up file, waits for an
   idle machine, drops the page cache, and times `evidence-dock ingest <camera> -c dock.env`
   from start to exit: stage 1 (camera → spool, hashing), stage 2 (presigned multipart PUTs to
   S3) and the server-side verification of every file (the agent exits once all are verified).
   The journal must show every file verified. Further --rounds rewrite the first 64 bytes of
   every file first (new hashes, same sizes), so the server cannot answer "already verified".
3. CPU seconds of every process over the session, from /proc (each with its children): the agent
   (RUSAGE_CHILDREN), SeaweedFS (one `weed server` on the single box; master, volume servers, filer
   and S3 gateway on the cluster), the API process(es), the proxy, the workers and the scheduler.
   Also after the workers settle (their media processing of the random files: probe, marked
   unplayable), which belongs to ingest on a real system. Before each session the idle server's
   CPU is taken over 10 s, and the "net" figures subtract it (beat, heartbeats, broker polling).
4. Prints MB/s of each, the ratio cluster/single box (goal ≥ 0.9×) and CPU s per GB per process;
   writes bench/out/cluster-ingest-<timestamp>.json.

MB is MiB and GB is GiB. Everything started is stopped on exit, error and Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
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

from _common import children_cpu, log, machine_busy, save_report  # noqa: E402
from _dock_fair import Cache  # noqa: E402
from _dock_runs import make_set, touch_contents  # noqa: E402
from _idle import add_idle_option, wait_for_idle  # noqa: E402
from _targets import ClusterTarget, SingleBox, topologies_wanted  # noqa: E402
from bench_dock import machine_info  # noqa: E402

MiB = 1024 * 1024
GiB = 1024 * MiB
GOAL = 0.9
IDLE_LOOK = 10.0  # seconds of the idle server's own CPU, subtracted for the net figures
BINDIR = Path(sys.executable).parent


def register_station(target) -> str:
    r = httpx.post(target.url + "/api/v1/stations", json={"name": "bench dock"},
                   headers={"Authorization": f"Bearer {target.token}"}, timeout=60)
    r.raise_for_status()
    return r.json()["api_key"]


def dock_session(target, key: str, camera: Path, work: Path, label: str) -> tuple[float, float, int]:
    """`evidence-dock ingest` of the camera folder until exit; wall s, agent CPU s, files verified."""
    spool = work / f"spool-{label}"
    envfile = work / f"dock-{label}.env"
    envfile.write_text(f"DOCK_SERVER_URL={target.url}\nDOCK_STATION_KEY={key}\nDOCK_SPOOL_DIR={spool}\n"
                       "DOCK_WIPE=false\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCK_", "EVIDENCE_"))}
    c0, t0 = children_cpu(), time.perf_counter()
    with open(work / f"dock-{label}.log", "ab") as out:
        rc = subprocess.run([str(BINDIR / "evidence-dock"), "ingest", str(camera), "-c", str(envfile)], cwd=work,
                            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True).returncode
    wall, cpu = time.perf_counter() - t0, children_cpu() - c0
    if rc != 0:
        tail = (work / f"dock-{label}.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"evidence-dock ingest ({label}) exited with {rc}:\n{tail}")
    with sqlite3.connect(f"file:{spool / 'journal.sqlite3'}?mode=ro", uri=True) as j:
        verified = j.execute("SELECT count(*) FROM files WHERE state = 'verified'").fetchone()[0]
    shutil.rmtree(spool, ignore_errors=True)
    return wall, cpu, verified


def delta(a: dict, b: dict) -> dict:
    return {k: b.get(k, 0.0) - a.get(k, 0.0) for k in b}


def measure(target, key: str, camera: Path, files: list[Path], work: Path, cache: Cache, args, label: str) -> dict:
    total = sum(f.stat().st_size for f in files)
    settled = target.settle()
    wait = wait_for_idle(f"{label}", args.idle_timeout, own=target.pids)
    idle0 = target.cpu()
    time.sleep(IDLE_LOOK)
    idle = {k: v / IDLE_LOOK for k, v in delta(idle0, target.cpu()).items()}  # CPU s per s doing nothing
    cache.prepare(files)
    cpu0, busy0 = target.cpu(), machine_busy()
    wall, agent_cpu, verified = dock_session(target, key, camera, work, label)
    cpu1, busy1 = target.cpu(), machine_busy()
    if verified != len(files):
        raise RuntimeError(f"{label}: {verified} of {len(files)} files verified")
    after = target.settle()
    cpu2 = target.cpu()
    gb = total / GiB
    server = delta(cpu0, cpu1)
    other = max(0.0, (busy1 - busy0) - agent_cpu - sum(server.values()))
    res = {"label": label, "files": len(files), "bytes": total, "wall_s": wall, "mb_s": total / MiB / wall,
           "agent_cpu_s": agent_cpu, "server_cpu_s": server, "server_cpu_s_settled": delta(cpu0, cpu2),
           "settle_after_s": round(after, 1), "settled_before_s": round(settled, 1),
           "other_cpu_s": other, "idle_wait": wait.as_dict(), "idle_cpu_per_s": idle,
           "cpu_s_per_gb_net": {"agent": agent_cpu / gb,
                                **{k: max(0.0, v - idle.get(k, 0.0) * wall) / gb for k, v in server.items()}},
           "cpu_s_per_gb": {"agent": agent_cpu / gb, **{k: v / gb for k, v in server.items()}},
           "cpu_s_per_gb_settled": {"agent": agent_cpu / gb, **{k: v / gb for k, v in delta(cpu0, cpu2).items()}}}
    log(f"  {label}: {wall:.1f} s, {res['mb_s']:.1f} MB/s, agent {agent_cpu:.1f} CPU s, server "
        f"{sum(server.values()):.1f} CPU s, other processes {other:.1f} CPU s")
    return res


def warm_up(target, key: str, work: Path, name: str) -> None:
    cam = work / f"warm-{name}"
    make_set(cam, "BENCHW01", 1, MiB, datetime.now() - timedelta(days=3))
    dock_session(target, key, cam, work, f"warm-{name}")


def print_report(rep: dict) -> None:
    runs = rep["runs"]
    print()
    print(f"{'run':<28} {'wall s':>8} {'MB/s':>8} {'agent CPU s':>12} {'server CPU s':>13} {'other CPU s':>12}")
    for r in runs:
        print(f"{r['label']:<28} {r['wall_s']:>8.1f} {r['mb_s']:>8.1f} {r['agent_cpu_s']:>12.1f} "
              f"{sum(r['server_cpu_s'].values()):>13.1f} {r['other_cpu_s']:>12.1f}")
    if "ratio" in rep:
        print(f"\nthroughput cluster / single box (median MB/s): {rep['ratio']:.2f}×   (goal ≥ {GOAL}×: "
              f"{'met' if rep['ratio'] >= GOAL else 'MISSED'})")
    for topo in ("single", "cluster"):
        mine = [r for r in runs if r["topology"] == topo]
        if not mine:
            continue
        for field, title in (("cpu_s_per_gb", "until verified"), ("cpu_s_per_gb_net", "until verified, net of idle"),
                             ("cpu_s_per_gb_settled", "incl. media processing after")):
            names = sorted({k for r in mine for k in r[field]})
            vals = {k: statistics.median(r[field].get(k, 0.0) for r in mine) for k in names}
            total = sum(v for k, v in vals.items() if k != "serve")
            print(f"CPU s/GB {topo}, {title}: " + ", ".join(f"{k} {v:.2f}" for k, v in vals.items() if v >= 0.01)
                  + f"; all {total:.1f}")
    gave_up = [r["label"] for r in runs if r["idle_wait"].get("gave_up")]
    if gave_up:
        print("NOTE: measured on a busy machine (gave up waiting for idle): " + ", ".join(gave_up))
    print(f"page cache: {rep['cache']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--total-gb", type=float, default=2.0, help="size of the dock session in GB (default 2)")
    ap.add_argument("--files", type=int, default=200, help="files in the session (default 200)")
    ap.add_argument("--rounds", type=int, default=1, help="sessions per topology; the table shows the median (1)")
    ap.add_argument("--topologies", default="single,cluster")
    ap.add_argument("--replication", default="001", help="the cluster's SeaweedFS replication (001: 2 copies)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--keep", action="store_true")
    add_idle_option(ap)
    args = ap.parse_args()
    wanted = topologies_wanted(args.topologies)
    total = int(args.total_gb * GiB)
    # the camera, one spool, the single box's copy, the cluster's replicated copies, slack
    need = 6 * total + 2 * GiB
    if shutil.disk_usage(args.workdir).free < need:
        log(f"not enough free disk in {args.workdir}: {need / GiB:.1f} GB needed")
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-ingest-", dir=args.workdir))
    rep: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "goal": GOAL,
                 "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                 "machine": machine_info(work), "runs": [], "topologies": {}}
    cache = Cache()
    targets: dict = {}
    try:
        size = max(4096, total // args.files // 4096 * 4096)
        camera = work / "camera" / "BENCHC01"
        log(f"generating the session: {args.files} × {size / MiB:.2f} MB")
        files = make_set(camera, "BENCHC01", args.files, size, datetime.now().replace(microsecond=0) - timedelta(days=3))
        os.sync()
        for topo in wanted:  # one topology at a time: the other is stopped, so it cannot disturb
            folder = work / topo
            folder.mkdir()
            t = SingleBox(folder) if topo == "single" else ClusterTarget(folder, replication=args.replication)
            targets[topo] = t
            log(f"starting the {t.name}")
            t0 = time.monotonic()
            t.start()
            key = register_station(t)
            rep["topologies"][topo] = {**t.describe(), "start_s": round(time.monotonic() - t0, 1)}
            warm_up(t, key, work, topo)
            for rnd in range(args.rounds):
                if rnd:
                    touch_contents(files)  # new hashes, same sizes: no "already verified"
                log(f"round {rnd + 1}: dock session into the {t.name}")
                res = measure(t, key, camera.parent, files, work, cache, args, f"{topo} round {rnd + 1}")
                res["topology"] = topo
                rep["runs"].append(res)
            t.stop()
            del targets[topo]
        rep["cache"] = cache.note
        mbs = {topo: statistics.median(r["mb_s"] for r in rep["runs"] if r["topology"] == topo)
               for topo in {r["topology"] for r in rep["runs"]}}
        if "single" in mbs and "cluster" in mbs:
            rep["ratio"] = mbs["cluster"] / mbs["single"]
        path = save_report("cluster-ingest", rep)
        print_report(rep)
        log(f"results in {path}")
        return 0
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        for t in targets.values():
            t.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
