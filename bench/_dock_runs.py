"""bench_dock's two measurements: stage 1 (camera → spool) against cp and friends, and a whole dock
session (`evidence-dock ingest`) against rclone into the same SeaweedFS of an `evidence serve`."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import children_cpu, log, machine_busy  # bench/ is on sys.path
from _dock_fair import Cache, machine_iowait, measured, own_cpu, wait_for_other_bench
from _stack import ACCESS_KEY, Stack
from docking_station.spool import Spool

MiB = 1024 * 1024
GiB = 1024 * MiB
BINDIR = Path(sys.executable).parent
RCLONE_BUCKET = "bench-rclone"
POLICE_ID = "010203"


# -- test data ----------------------------------------------------------------------------------
def make_set(folder: Path, serial: str, count: int, size: int, base: datetime) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        start = base + timedelta(minutes=7 * i)
        path = folder / f"{serial}_{POLICE_ID}_{start:%Y%m%d%H%M%S}_{i + 1:04d}.mp4"
        with open(path, "wb", buffering=0) as fh:
            left = size
            while left:
                n = min(left, 8 * MiB)
                fh.write(os.urandom(n))
                left -= n
        paths.append(path)
    return paths


def touch_contents(paths: list[Path]) -> None:
    """New content (so new hashes) at the same sizes: rewrite the first 64 bytes of each file."""
    for p in paths:
        with open(p, "r+b", buffering=0) as fh:
            fh.write(os.urandom(64))


# -- stage 1 ------------------------------------------------------------------------------------
def stage1_variant(name: str, files: list[Path], dest: Path) -> dict:
    """Run one variant into the fresh folder `dest`; returns wall and CPU seconds (and hashes)."""
    out: dict = {"variant": name}
    if name == "ours":
        spool = Spool(dest, budget_bytes=1 << 62, min_free_bytes=0)
        c0, t0 = own_cpu(), time.perf_counter()
        hashes = {}
        for i, f in enumerate(files):
            sha, _, _ = spool.copy_in(f, f"bench{i}")
            hashes[f.name] = sha
        out["wall_s"] = time.perf_counter() - t0
        out["cpu_s"] = own_cpu() - c0
        out["hashes"] = hashes
        return out
    dest.mkdir(parents=True)
    steps = [["cp", "--", *map(str, files), str(dest)]]
    copies = [str(dest / f.name) for f in files]
    if "sha256sum" in name:
        steps.append(["sha256sum", "--", *copies])
    if name.endswith("sync"):
        steps.append(["sync"])
    c0, t0 = children_cpu(), time.perf_counter()
    hashes = {}
    for step in steps:
        r = subprocess.run(step, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, check=True,
                           start_new_session=True)
        if step[0] == "sha256sum":
            for line in r.stdout.decode().splitlines():
                digest, path = line.split(maxsplit=1)
                hashes[Path(path.lstrip("*")).name] = digest
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = children_cpu() - c0
    if hashes:
        out["hashes"] = hashes
    return out


def run_stage1(files: list[Path], work: Path, rounds: int, cache: Cache, waits: list) -> dict:
    total = sum(f.stat().st_size for f in files)
    variants = ["ours", "cp", "cp+sync", "cp+sha256sum", "cp+sha256sum+sync"]
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    reference: dict[str, str] = {}
    for r in range(rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order:
            dest = work / "stage1-dest"

            def one(v=v, dest=dest):
                shutil.rmtree(dest, ignore_errors=True)
                cache.prepare(files)
                busy0, io0 = machine_busy(), machine_iowait()
                res = stage1_variant(v, files, dest)
                res["machine_busy_s"] = machine_busy() - busy0
                res["other_cpu_s"] = max(0.0, res["machine_busy_s"] - res["cpu_s"])
                res["iowait_s"] = machine_iowait() - io0
                return res

            res = measured(f"stage 1 round {r + 1} {v}", waits, one, other_limit=0.6)
            copied = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
            if copied != total:
                raise RuntimeError(f"stage 1 {v}: {copied} bytes in the destination, expected {total}")
            hashes = res.pop("hashes", None)
            if hashes:
                if reference and hashes != reference:
                    raise RuntimeError(f"stage 1 {v}: hashes differ from the other tool's")
                reference = reference or hashes
            res["mb_s"] = total / MiB / res["wall_s"]
            res["cpu_s_per_gb"] = res["cpu_s"] / (total / GiB)
            runs[v].append(res)
            log(f"  round {r + 1} {v:<18} {res['wall_s']:6.2f} s  {res['mb_s']:7.1f} MB/s  "
                f"CPU {res['cpu_s']:5.2f} s ({res['cpu_s_per_gb']:.2f} s/GB)")
            shutil.rmtree(dest, ignore_errors=True)
    os.sync()
    summary = {}
    for v, all_runs in runs.items():
        rs = [x for x in all_runs if not x.get("disturbed")] or all_runs  # undisturbed rounds if any
        wall = statistics.median(x["wall_s"] for x in rs)
        cpu = statistics.median(x["cpu_s"] for x in rs)
        summary[v] = {"wall_s": wall, "mb_s": total / MiB / wall, "cpu_s": cpu, "cpu_s_per_gb": cpu / (total / GiB),
                      "best_mb_s": total / MiB / min(x["wall_s"] for x in rs), "rounds_used": len(rs),
                      "wall_s_all": [round(x["wall_s"], 3) for x in all_runs]}
    ours = summary["ours"]["mb_s"]
    ratios = {f"ours/({v})" if "+" in v else f"ours/{v}": ours / summary[v]["mb_s"] for v in variants[1:]}
    return {"files": len(files), "bytes": total, "rounds": rounds, "runs": runs, "summary": summary,
            "ratios": ratios, "hashes_match_sha256sum": bool(reference)}


# -- the whole session ----------------------------------------------------------------------------
def _epoch(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    d = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp()


def _stats(values: list[float]) -> dict:
    values = sorted(v for v in values if v is not None)
    if not values:
        return {}
    return {"n": len(values), "median": statistics.median(values), "p90": values[int(0.9 * (len(values) - 1))],
            "max": values[-1], "sum": sum(values)}


def session_breakdown(journal_path: Path, server_db: Path, t_start: float, t_end: float) -> dict:
    """Where the session's time went, from the agent's journal and the server's upload sessions."""
    out: dict = {}
    with sqlite3.connect(f"file:{journal_path}?mode=ro", uri=True) as j:
        rows = j.execute("SELECT state, sha256, spooled_at, verified_at FROM files").fetchall()
    out["journal_states"] = {s: sum(1 for r in rows if r[0] == s) for s in {r[0] for r in rows}}
    spooled = [_epoch(r[2]) for r in rows if r[2]]
    agent_verified = {r[1]: _epoch(r[3]) for r in rows if r[3]}
    if spooled:
        out["stage1_s"] = max(spooled) - t_start  # includes the agent's start-up
        out["stage2_s"] = t_end - max(spooled)
    shas = [r[1] for r in rows if r[1]]
    with sqlite3.connect(f"file:{server_db}?mode=ro", uri=True, timeout=30) as s:
        marks = ",".join("?" * len(shas))
        sess = s.execute(f"SELECT sha256, created_at, completed_at, verified_at FROM upload_sessions "
                         f"WHERE sha256 IN ({marks})", shas).fetchall() if shas else []
    created = [_epoch(r[1]) for r in sess]
    completed = [_epoch(r[2]) for r in sess]
    verified = [_epoch(r[3]) for r in sess]
    out["server_sessions"] = len(sess)
    out["open_to_complete_s"] = _stats([c - a for a, c in zip(created, completed) if a and c])
    out["complete_to_verified_s"] = _stats([v - c for c, v in zip(completed, verified) if c and v])
    out["server_verified_to_agent_saw_s"] = _stats(
        [agent_verified[r[0]] - v for r, v in zip(sess, verified) if v and agent_verified.get(r[0])])
    out["open_to_agent_saw_s"] = _stats(
        [agent_verified[r[0]] - a for r, a in zip(sess, created) if a and agent_verified.get(r[0])])
    if created and spooled:
        out["first_session_opened_after_last_spooled_s"] = min(created) - max(spooled)
    return out


def run_dock(label: str, camera: Path, server: Stack, work: Path, cache: Cache, waits: list,
             extra: dict[str, str], files: list[Path]) -> dict:
    spool = work / f"spool-{label}"
    envfile = work / f"dock-{label}.env"
    settings = {"DOCK_SERVER_URL": server.api_url, "DOCK_STATION_KEY": server.station_key,
                "DOCK_SPOOL_DIR": str(spool), "DOCK_WIPE": "false", **extra}
    envfile.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCK_")}
    total = sum(f.stat().st_size for f in files)
    settled = server.settle()
    if files:
        cache.prepare(files)
    snap0, busy0, c0 = server.cpu_snapshot(), machine_busy(), children_cpu()
    t_wall0, t0 = time.time(), time.perf_counter()
    with open(work / f"dock-{label}.log", "ab") as out:
        proc = subprocess.Popen([str(BINDIR / "evidence-dock"), "ingest", str(camera), "-c", str(envfile)], cwd=work,
                                env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    wall = time.perf_counter() - t0
    t_wall1 = time.time()
    cpu = children_cpu() - c0
    busy = machine_busy() - busy0
    snap1 = server.cpu_snapshot()
    server.remember()
    if rc != 0:
        tail = (work / f"dock-{label}.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"evidence-dock ingest ({label}) exited with {rc}:\n{tail}")
    res = {"label": label, "settings": {k: v for k, v in extra.items()}, "files": len(files), "bytes": total,
           "waited_for_idle_server_s": round(settled, 1),
           "wall_s": wall, "cpu_s": cpu, "machine_busy_s": busy,
           "server_cpu_s": {k: snap1.get(k, 0) - snap0.get(k, 0) for k in snap1}}
    res["other_cpu_s"] = max(0.0, busy - cpu - sum(res["server_cpu_s"].values()))
    if files:
        res["mb_s"] = total / MiB / wall
        res["cpu_s_per_gb"] = cpu / (total / GiB)
        res["server_cpu_s_per_gb"] = {k: v / (total / GiB) for k, v in res["server_cpu_s"].items()}
        res["breakdown"] = session_breakdown(spool / "journal.sqlite3", server.data / "evidence.db", t_wall0, t_wall1)
        states = res["breakdown"]["journal_states"]
        if states.get("verified") != len(files):
            raise RuntimeError(f"evidence-dock ingest ({label}): journal states {states}, expected {len(files)} verified")
    shutil.rmtree(spool, ignore_errors=True)
    return res


def rclone_env(server: Stack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_CONFIG_BENCH_")}
    env.update({"RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
                "RCLONE_CONFIG_BENCH_ENDPOINT": f"http://{server.s3_endpoint}",
                "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": ACCESS_KEY,
                "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": server.s3_secret})
    return env


def rclone(args: list[str], env: dict, logfile: Path, capture: bool = False) -> subprocess.CompletedProcess:
    with open(logfile, "ab") as err:
        return subprocess.run(["env", "-u", "AWS_CA_BUNDLE", "rclone", *args], env=env, check=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if capture else err, stderr=err,
                              start_new_session=True)


def run_rclone(camera: Path, files: list[Path], server: Stack, work: Path, cache: Cache, waits: list,
               transfers: int) -> dict:
    env = rclone_env(server)
    logfile = work / "rclone.log"
    total = sum(f.stat().st_size for f in files)
    server.settle()
    cache.prepare(files)
    snap0, busy0, c0 = server.cpu_snapshot(), machine_busy(), children_cpu()
    t0 = time.perf_counter()
    rclone(["copy", str(camera), f"bench:{RCLONE_BUCKET}/session", "--transfers", str(transfers)], env, logfile)
    wall = time.perf_counter() - t0
    cpu = children_cpu() - c0
    busy = machine_busy() - busy0
    snap1 = server.cpu_snapshot()
    size = json.loads(rclone(["size", "--json", f"bench:{RCLONE_BUCKET}/session"], env, logfile, capture=True).stdout)
    if size.get("count") != len(files) or size.get("bytes") != total:
        raise RuntimeError(f"rclone: the bucket holds {size}, expected {len(files)} files, {total} bytes")
    server_cpu = {k: snap1.get(k, 0) - snap0.get(k, 0) for k in snap1}
    return {"label": "rclone", "settings": {"transfers": transfers}, "files": len(files), "bytes": total,
            "wall_s": wall, "mb_s": total / MiB / wall, "cpu_s": cpu, "cpu_s_per_gb": cpu / (total / GiB),
            "machine_busy_s": busy, "server_cpu_s": server_cpu,
            "other_cpu_s": max(0.0, busy - cpu - sum(server_cpu.values())),
            "server_cpu_s_per_gb": {k: v / (total / GiB) for k, v in server_cpu.items()}}


def run_session(files: list[Path], camera: Path, work: Path, cache: Cache, waits: list, transfers: int) -> dict:
    server = Stack(work, box=True)
    results: dict = {}
    try:
        server.start()
        server.register_station()
        # Warm-ups (not timed): one small file through the whole agent path, and one object into the
        # rclone bucket, so that bucket and volume creation and first imports are not measured.
        log("warm-up: one small file through evidence-dock, one object through rclone")
        warm_cam = work / "warmup-camera"
        make_set(warm_cam, "BENCHW01", 1, 1 * MiB, datetime.now() - timedelta(days=3))
        run_dock("warmup", warm_cam, server, work, cache, waits, {}, [])
        env = rclone_env(server)
        rclone(["mkdir", f"bench:{RCLONE_BUCKET}"], env, work / "rclone.log")
        rclone(["copyto", str(next(warm_cam.iterdir())), f"bench:{RCLONE_BUCKET}/warmup/warm.mp4"], env,
               work / "rclone.log")
        log("server CPU while idle (10 s)")
        wait_for_other_bench(waits, "server idle", server.pids)
        snap0 = server.cpu_snapshot()
        time.sleep(10)
        snap1 = server.cpu_snapshot()
        results["server_idle_cpu_per_s"] = {k: (snap1.get(k, 0) - snap0.get(k, 0)) / 10 for k in snap1}
        runs = []
        for label, extra in (("default", {}), ("8-files-8-parts", {"DOCK_FILE_CONCURRENCY": "8",
                                                              "DOCK_PART_CONCURRENCY": "8"})):
            if runs:
                touch_contents(files)  # new hashes: the server must not answer "already verified"
            log(f"timing evidence-dock ingest ({label}) of {len(files)} files")
            r = measured(f"session {label}", waits,
                         lambda label=label, extra=extra: run_dock(label, camera, server, work, cache, waits, extra, files),
                         before_retry=lambda: touch_contents(files), own=server.pids)
            b = r["breakdown"]
            log(f"  {r['wall_s']:.1f} s, {r['mb_s']:.1f} MB/s, agent CPU {r['cpu_s']:.1f} s "
                f"(stage 1 {b.get('stage1_s', 0):.1f} s, stage 2 {b.get('stage2_s', 0):.1f} s)")
            runs.append(r)
        log(f"timing rclone copy --transfers {transfers} of the same folder")
        rc = measured("session rclone", waits, lambda: run_rclone(camera, files, server, work, cache, waits, transfers),
                      before_retry=lambda: rclone(["purge", f"bench:{RCLONE_BUCKET}/session"], rclone_env(server),
                                                  work / "rclone.log"), own=server.pids)
        log(f"  {rc['wall_s']:.1f} s, {rc['mb_s']:.1f} MB/s, rclone CPU {rc['cpu_s']:.1f} s")
        runs.append(rc)
        results["runs"] = runs
        results["ratios"] = {f"ours({r['label']})/rclone": r["mb_s"] / rc["mb_s"] for r in runs[:-1]}
    finally:
        server.stop()
    return results

