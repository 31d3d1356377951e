#!/usr/bin/env python
"""Benchmark of the docking-station agent: stage 1 (camera → spool) against cp, and a whole
dock session (`evidence-dock ingest`) against `rclone copy` to the same SeaweedFS.

    .venv/bin/python bench/bench_dock.py [--total-gb 2] [--files 200] [--workdir DIR]

One run:

1. Generates a "camera" folder in a fresh run folder (default under /tmp): set A, --total-gb in
   --stage1-files large files (16 × 128 MB at full size), and set B, --total-gb in --files files
   (~10 MB each), both named with the agent's built-in pattern
   `{serial}_{police_id}_{YYYYMMDDhhmmss}_{seq}.mp4` and filled with random bytes.
2. Stage 1 on set A: `docking_station.spool.Spool.copy_in` per file (one read of the source, an
   in-kernel copy with SHA-256 of the copy in a second thread, fsync, rename), against `cp`, `cp` + `sync`, `cp` + `sha256sum` of the copies
   and `cp` + `sha256sum` + `sync`, each into a fresh folder on the same filesystem, with the page
   cache dropped before every run (--rounds rounds, the order rotated each round, median shown).
3. A whole dock session on set B: starts `evidence serve` (SeaweedFS, SQLite, embedded broker,
   worker, API) on free ports in the run folder, registers a station over HTTP, then times
   `evidence-dock ingest <set B> -c dock.env` from start to exit (stage 1 + stage 2 + server-side
   verification) with the default settings and with 8 files and 8 parts in flight, against
   `rclone copy --transfers 4` of the same folder to the same SeaweedFS. Between the two agent
   runs the first 64 bytes of every file are rewritten, so the server cannot answer
   "already verified".
4. Writes everything to bench/out/dock-<timestamp>.json and prints a table.

Before each measured phase it waits for an idle machine (bench/_idle.py, at most --idle-timeout s).
MB here is MiB and GB is GiB. Every process the bench starts is stopped on exit, on error and
on Ctrl-C; the run folder is deleted unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import log  # noqa: E402  (bench/ is on sys.path)
from _dock_fair import IDLE, Cache  # noqa: E402
from _dock_runs import make_set, run_session, run_stage1  # noqa: E402
from _idle import add_idle_option  # noqa: E402

MiB = 1024 * 1024
GiB = 1024 * MiB
GOALS = {"stage1_ours_vs_cp": 0.9, "session_ours_vs_rclone": 0.8}

# -- report -----------------------------------------------------------------------------------
def machine_info(work: Path) -> dict:
    info = {"cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()}
    try:
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
        info["mem_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB, 1)
        info["fs"] = subprocess.run(["findmnt", "-no", "SOURCE,FSTYPE", "-T", str(work)], capture_output=True,
                                    text=True).stdout.strip()
        info["rclone"] = subprocess.run(["rclone", "version"], capture_output=True, text=True).stdout.splitlines()[0]
        info["cp"] = subprocess.run(["cp", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, StopIteration, IndexError):
        pass
    return info


def _disturbed(r: dict) -> bool:
    return bool(r.get("disturbed"))


def print_table(result: dict) -> None:
    rows: list[tuple] = [("stage 1: camera → spool, set A", None)]
    s1 = result.get("stage1")
    if s1:
        gb = s1["bytes"] / GiB
        for v, s in s1["summary"].items():
            name = "ours: Spool.copy_in" if v == "ours" else v
            other = statistics.median(x.get("other_cpu_s", 0) for x in s1["runs"][v] if not x.get("disturbed")) \
                if any(not x.get("disturbed") for x in s1["runs"][v]) else statistics.median(
                    x.get("other_cpu_s", 0) for x in s1["runs"][v])
            rows.append((f"  {name}", f"{s['wall_s']:.2f}", f"{s['mb_s']:.1f}", f"{s['best_mb_s']:.1f}", f"{s['cpu_s']:.2f}",
                         f"{s['cpu_s'] / gb:.2f}", f"{other:.2f}"))
    sess = result.get("session")
    if sess and sess.get("runs"):
        rows.append(("whole dock session, set B", None))
        for r in sess["runs"]:
            name = f"  evidence-dock ingest ({r['label']})" if r["label"] != "rclone" else \
                f"  rclone copy --transfers {r['settings']['transfers']}"
            rows.append((name, f"{r['wall_s']:.2f}", f"{r['mb_s']:.1f}", f"{r['cpu_s']:.2f}", f"{r['cpu_s_per_gb']:.2f}",
                         f"{sum(r['server_cpu_s'].values()):.1f}", f"{r.get('other_cpu_s', 0):.2f}"))
    w = max(len(r[0]) for r in rows)
    print()
    heads = {"stage": ["wall s", "MB/s", "best MB/s", "CPU s", "CPU s/GB", "other CPU s"],
             "session": ["wall s", "MB/s", "CPU s", "CPU s/GB", "server CPU s", "other CPU s"]}
    for name, *vals in rows:
        if vals[0] is None:
            print(f"{name:<{w}}  " + "  ".join(f"{h:>12}" for h in heads["stage" if name.startswith("stage") else "session"]))
        else:
            print(f"{name:<{w}}  " + "  ".join(f"{v:>12}" for v in vals))
    print("(stage 1: median and best of the undisturbed rounds; CPU: the tool's own, RUSAGE; server CPU: every process under `evidence serve`; other CPU: the rest of the\n"
          " machine's busy time during the run, which includes the kernel's writeback and IO work)")
    print()
    if s1:
        for k, v in s1["ratios"].items():
            goal = f"   (goal ≥ {GOALS['stage1_ours_vs_cp']}×: {'met' if v >= GOALS['stage1_ours_vs_cp'] else 'MISSED'})" \
                if k == "ours/cp" else ""
            print(f"stage 1 {k:<28} {v:5.2f}×{goal}")
    if sess and sess.get("ratios"):
        g = GOALS["session_ours_vs_rclone"]
        for k, v in sess["ratios"].items():
            print(f"session {k:<28} {v:5.2f}×   (goal ≥ {g}×: {'met' if v >= g else 'MISSED'})")
        for r in sess["runs"]:
            if "server_cpu_s_per_gb" in r:
                parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["server_cpu_s_per_gb"].items()) if v >= 0.05)
                print(f"server CPU s/GB during {r['label']}: {parts}")
            b = r.get("breakdown")
            if b:
                cv = b.get("complete_to_verified_s", {})
                lag = b.get("server_verified_to_agent_saw_s", {})
                print(f"  {r['label']}: stage 1 {b.get('stage1_s', 0):.1f} s then stage 2 {b.get('stage2_s', 0):.1f} s; "
                      f"per file complete→verified median {cv.get('median', 0):.2f} s, verified→agent saw it "
                      f"median {lag.get('median', 0):.2f} s")
    if sess and sess.get("server_idle_cpu_per_s"):
        idle = sess["server_idle_cpu_per_s"]
        print("server CPU while idle, CPU s per s: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(idle.items())))
    noisy = []
    for v, rs in (s1 or {}).get("runs", {}).items():
        noisy += [f"stage 1 {v} round {i + 1}" for i, x in enumerate(rs) if _disturbed(x)]
    noisy += [f"session {r['label']}" for r in (sess or {}).get("runs", []) if _disturbed(r)]
    print("measurements still disturbed after 3 tries (see 'disturbed' in the JSON): "
          + (", ".join(noisy) if noisy else "none"))
    print(f"page cache: {result['cache']}")
    waited = [w for w in result["waits"] if w["waited_s"] >= 1]
    gave_up = [w["phase"] for w in result["waits"] if w.get("gave_up")]
    if gave_up:
        print("NOTE: the machine was still busy (gave up waiting) before: " + ", ".join(gave_up))
    print("waited for an idle machine: " + (", ".join(f"{w['phase']} {w['waited_s']:.0f} s" for w in waited) if waited else "no"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--total-gb", type=float, default=2.0, help="size of each data set in GB (default 2)")
    ap.add_argument("--files", type=int, default=200, help="files in the whole-session set (default 200)")
    ap.add_argument("--stage1-files", type=int, default=16, help="files in the stage-1 set (default 16)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of the stage-1 comparison (default 5)")
    ap.add_argument("--transfers", type=int, default=4, help="rclone --transfers (default 4)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp"), help="the run folder is created inside it (default /tmp)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--keep", action="store_true", help="keep the run folder")
    ap.add_argument("--skip-stage1", action="store_true")
    ap.add_argument("--skip-session", action="store_true")
    add_idle_option(ap)
    args = ap.parse_args()
    IDLE["timeout"] = args.idle_timeout

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored (`cmd &`)
    if not shutil.which("rclone") and not args.skip_session:
        log("rclone is not on the PATH: install it with `apt-get install -y rclone`")
        return 2

    total = int(args.total_gb * GiB)
    args.workdir.mkdir(parents=True, exist_ok=True)
    df = subprocess.run(["df", "-h", str(args.workdir)], capture_output=True, text=True).stdout
    print(df, end="")
    # set A + set B + one stage-1 copy + one spool + SeaweedFS (two agent runs and rclone) + slack
    need = 7 * total + 2 * GiB
    free = shutil.disk_usage(args.workdir).free
    if free < need:
        log(f"not enough free disk in {args.workdir}: {free / GiB:.1f} GB free, {need / GiB:.1f} GB needed")
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-dock-", dir=args.workdir))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    result: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "args": {
        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "machine": machine_info(work),
        "goals": GOALS, "waits": []}
    cache = Cache()
    t_run = time.monotonic()
    log(f"run folder {work}")
    try:
        base = datetime.now().replace(microsecond=0) - timedelta(days=3)
        a_size = max(MiB, total // args.stage1_files // MiB * MiB)
        b_size = max(4096, total // args.files // 4096 * 4096)
        if not args.skip_stage1:
            log(f"generating set A: {args.stage1_files} × {a_size / MiB:.1f} MB")
            set_a = make_set(work / "camera-a", "BENCHA01", args.stage1_files, a_size, base)
        if not args.skip_session:
            log(f"generating set B: {args.files} × {b_size / MiB:.2f} MB")
            set_b = make_set(work / "camera-b" / "BENCHB01", "BENCHB01", args.files, b_size, base)
        os.sync()
        if not args.skip_stage1:
            log(f"stage 1: {args.rounds} round(s) (median shown) of ours, cp, cp+sync, cp+sha256sum, cp+sha256sum+sync")
            result["stage1"] = run_stage1(set_a, work, args.rounds, cache, result["waits"])
            shutil.rmtree(work / "camera-a", ignore_errors=True)
        if not args.skip_session:
            result["session"] = run_session(set_b, work / "camera-b" / "BENCHB01", work, cache, result["waits"],
                                            args.transfers)
        result["cache"] = cache.note
        result["elapsed_s"] = time.monotonic() - t_run
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"dock-{stamp}.json"
        path.write_text(json.dumps(result, indent=2))
        print_table(result)
        log(f"results in {path} (whole run {result['elapsed_s'] / 60:.1f} min)")
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
