#!/usr/bin/env python
"""Benchmark of server-side ingest: our station protocol against boto3 and rclone.

One run starts a fresh local SeaweedFS and the service (SQLite, embedded broker, API, one
Celery worker) in a temporary folder, generates random test data, and uploads the same
bytes with:

  1. our protocol: docking_station.client.StationClient.upload() (presigned multipart parts
     PUT in parallel straight to S3, complete, then the server re-reads and hashes the object);
  2. boto3 upload_file (default TransferConfig, and max_concurrency=4);
  3. rclone copy (--transfers 4 --s3-upload-concurrency 4);

then measures the verification read (ObjectStore.hash_original of the stored object) against
sha256sum and Python hashlib of the local file. It prints a table and the goal ratios, and
writes everything as JSON to bench/out/ingest-<timestamp>.json.

    .venv/bin/python bench/bench_ingest.py [--big-mb 1024] [--small-count 500] [--small-mb 2]
                                           [--workdir DIR] [--concurrency 4] [--file-concurrency 4]

MB here is MiB (2**20 bytes) and GB is GiB. Every process the bench starts is stopped on exit,
on error and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from docking_station.client import StationClient, sha256_file  # noqa: E402
from storage.s3 import ObjectStore  # noqa: E402
from _common import children_cpu, log, machine_busy  # noqa: E402  (bench/ is on sys.path)
from _ingest_service import ACCESS_KEY, Service  # noqa: E402

MiB = 1024 * 1024
GiB = 1024 * MiB
BOTO_BUCKET = "bench-boto3"
RCLONE_BUCKET = "bench-rclone"
ORIGINALS_BUCKET = "evidence-originals"
GOALS = {"ours_vs_boto3": 1.0, "ours_vs_rclone": 0.9, "small_overhead_ms": 50.0}


# -- CPU accounting -----------------------------------------------------------------------------
def self_cpu() -> float:
    """CPU seconds of this process, all threads (in-process clients)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- an instrumented station client -------------------------------------------------------------
class TimedStationClient(StationClient):
    """StationClient that records when complete() returned and how long each call took."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.completed_at: float | None = None
        self.cpu_at_complete: float | None = None
        self.on_complete = None  # called right after complete() returns (server CPU snapshot)
        self.calls: dict[str, list[float]] = {}

    def _note(self, what: str, seconds: float) -> None:
        self.calls.setdefault(what, []).append(seconds)  # list.append is atomic in CPython

    def open_session(self, meta):
        t = time.perf_counter()
        try:
            return super().open_session(meta)
        finally:
            self._note("open", time.perf_counter() - t)

    def put_part(self, *a, **kw):
        t = time.perf_counter()
        try:
            return super().put_part(*a, **kw)
        finally:
            self._note("put_part", time.perf_counter() - t)

    def complete(self, session_id):
        t = time.perf_counter()
        out = super().complete(session_id)
        self._note("complete", time.perf_counter() - t)
        self.completed_at = time.perf_counter()
        self.cpu_at_complete = self_cpu()
        if self.on_complete:
            self.on_complete()
        return out

    def _call(self, method, url, **kw):
        t = time.perf_counter()
        try:
            return super()._call(method, url, **kw)
        finally:
            if method == "GET":
                self._note("status_poll", time.perf_counter() - t)


def pool_map(fn, items, workers: int) -> list:
    """ThreadPoolExecutor.map that drops the queued items on Ctrl-C instead of running them all."""
    pool = ThreadPoolExecutor(workers)
    try:
        return list(pool.map(fn, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def call_stats(samples: list[float]) -> dict:
    if not samples:
        return {}
    s = sorted(samples)
    return {"n": len(s), "mean_ms": 1000 * statistics.fmean(s), "p50_ms": 1000 * s[len(s) // 2],
            "p95_ms": 1000 * s[min(len(s) - 1, int(len(s) * 0.95))], "max_ms": 1000 * s[-1]}


# -- results ------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    group: str  # big, small, hash, prep
    bytes: int
    files: int
    wall_s: float
    client_cpu_s: float
    server_cpu_s: dict[str, float] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def mb_s(self) -> float:
        return self.bytes / MiB / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_per_gb(self) -> float:
        return self.client_cpu_s / (self.bytes / GiB) if self.bytes else 0.0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["mb_per_s"] = self.mb_s
        d["client_cpu_s_per_gb"] = self.cpu_per_gb
        d["server_cpu_s_per_gb"] = {k: v / (self.bytes / GiB) for k, v in self.server_cpu_s.items()} if self.bytes else {}
        return d


def _delta(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: b.get(k, 0.0) - a.get(k, 0.0) for k in a}


def measure(svc: Service | None, name: str, group: str, nbytes: int, files: int, fn, *, subprocess_client=False) -> Result:
    cpu = children_cpu if subprocess_client else self_cpu
    snap0 = svc.cpu_snapshot() if svc else {}
    m0, c0, t0 = machine_busy(), cpu(), time.perf_counter()
    extra = fn() or {}
    wall = time.perf_counter() - t0
    c1, m1 = cpu(), machine_busy()
    snap1 = svc.cpu_snapshot() if svc else {}
    res = Result(name, group, nbytes, files, wall, c1 - c0, _delta(snap0, snap1), extra)
    # Whatever else ran meanwhile (another test suite on the box skews every figure).
    res.extra["machine_cpu_s"] = m1 - m0
    res.extra["other_cpu_s"] = (m1 - m0) - res.client_cpu_s - sum(res.server_cpu_s.values())
    log(f"{name}: {wall:.2f} s, {res.mb_s:.1f} MB/s, client {res.cpu_per_gb:.2f} CPU-s/GB")
    if svc:
        svc.check_alive()
    return res


# -- test data ----------------------------------------------------------------------------------
def write_random(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, 16 * MiB)
            fh.write(os.urandom(n))
            left -= n


def make_data(root: Path, big_mb: int, rounds: int, small_count: int, small_mb: float) -> tuple[list[Path], list[Path]]:
    """One big file per round (each tool uploads every one of them, so all see the same bytes;
    distinct files because the server answers a repeated hash with "already verified")."""
    data = root / "data"
    (data / "small").mkdir(parents=True, exist_ok=True)
    (data / "big").mkdir(exist_ok=True)
    log(f"writing {rounds} file(s) of {big_mb} MB of random bytes and {small_count} files of {small_mb} MB")
    bigs = []
    for r in range(rounds):
        p = data / "big" / f"BENCH_big_{r + 1}.mp4"
        write_random(p, big_mb * MiB)
        bigs.append(p)
    smalls = []
    for i in range(small_count):
        p = data / "small" / f"BENCH_{i:05d}.mp4"
        write_random(p, int(small_mb * MiB))
        smalls.append(p)
    return bigs, smalls


def aggregate(name: str, samples: list[Result]) -> Result:
    """Median wall time of the rounds; CPU figures are the mean per round."""
    walls = [r.wall_s for r in samples]
    n = len(samples)
    server = {k: statistics.fmean(r.server_cpu_s.get(k, 0.0) for r in samples) for k in samples[0].server_cpu_s}
    extra = {"rounds": n, "wall_s_each": walls, "mb_s_each": [r.mb_s for r in samples],
             "extra_each": [r.extra for r in samples]}
    return Result(name, samples[0].group, samples[0].bytes, samples[0].files, statistics.median(walls),
                  statistics.fmean(r.client_cpu_s for r in samples), server, extra)


def meta_for(path: Path, sha: str) -> dict:
    return {"sha256": sha, "size_bytes": path.stat().st_size, "filename": path.name, "device_serial": "BENCH-CAM-1",
            "time_source": "unknown"}


# -- the clients --------------------------------------------------------------------------------
def boto3_client(endpoint: str, secret: str, pool: int = 10):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=f"http://{endpoint}", aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret,
        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, max_pool_connections=pool))


def rclone_env(endpoint: str, secret: str, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE" and not k.startswith("RCLONE_")}
    env.update({
        "RCLONE_CONFIG": str(root / "rclone-none.conf"),  # not created: the remote comes from the env
        "RCLONE_CONFIG_BENCH_TYPE": "s3",
        "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
        "RCLONE_CONFIG_BENCH_ENDPOINT": f"http://{endpoint}",
        "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": ACCESS_KEY,
        "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": secret,
        "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
    })
    return env


def run_rclone(env: dict[str, str], src: Path, dest: str, concurrency: int) -> dict:
    cmd = ["rclone", "copy", str(src), dest, "--transfers", str(concurrency), "--s3-upload-concurrency",
           str(concurrency), "-q"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"rclone failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return {"command": "env -u AWS_CA_BUNDLE " + " ".join(cmd)}


def tool_version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()[0]
    except Exception as exc:  # noqa: BLE001
        return f"unknown ({exc})"


# -- the benchmark ------------------------------------------------------------------------------
def run(args, root: Path) -> dict:
    results: list[Result] = []
    notes: list[str] = []
    bigs, smalls = make_data(root, args.big_mb, args.rounds, args.small_count, args.small_mb)
    big = bigs[0]
    big_bytes = big.stat().st_size
    small_bytes = sum(p.stat().st_size for p in smalls)
    nsmall = len(smalls)

    # Client-side hashing: on a dock this happens during the stage-1 copy, so it is not timed
    # as part of the uploads below.
    hashes: dict[Path, str] = {}
    results.append(measure(None, "client sha256_file (big)", "prep", big_bytes, 1,
                           lambda: hashes.__setitem__(big, sha256_file(big))))
    hashes.update({p: sha256_file(p) for p in bigs[1:]})
    results.append(measure(None, f"client sha256_file ({nsmall} small)", "prep", small_bytes, nsmall,
                           lambda: hashes.update({p: sha256_file(p) for p in smalls})))

    svc = Service(root)
    try:
        svc.start(args.worker_concurrency, args.celery_app)
        endpoint = svc.weed.endpoint
        client = TimedStationClient(svc.api_url, svc.station_key, concurrency=args.concurrency, timeout=300)
        s3 = boto3_client(endpoint, svc.secret_key)
        have_rclone = shutil.which("rclone") is not None
        renv = rclone_env(endpoint, svc.secret_key, root)
        if not have_rclone:
            notes.append("rclone not found: install it with `apt-get install -y rclone`; rclone rows skipped")
            log(notes[-1])

        # Warm-up: the protocol end to end (worker up, originals bucket has volumes), and one
        # object in each comparison bucket so volume growth is not timed.
        log("warming up")
        warm = root / "data" / "BENCH_warmup.mp4"
        write_random(warm, 4 * MiB)
        w = client.upload(warm, meta_for(warm, sha256_file(warm)), wait=False)
        deadline = time.monotonic() + 120
        while w.status == "verifying" and time.monotonic() < deadline:
            svc.check_alive()
            time.sleep(0.2)
            w.status = client.progress(w.session_id)["status"]
        if w.status != "verified":
            raise RuntimeError(f"warm-up upload ended {w.status!r} (is the worker running? see "
                               f"{root / 'logs' / 'worker.log'} with --keep)")
        for bucket in (BOTO_BUCKET, RCLONE_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.upload_file(str(warm), bucket, "warmup/BENCH_warmup.mp4")
        client.calls.clear()

        # Big file: the tools take turns, round after round, on the same files.
        from boto3.s3.transfer import TransferConfig

        c = args.concurrency
        names = ["ours: upload until complete (big)", "ours: upload + server verification (big)",
                 "boto3 upload_file default (big)", f"boto3 upload_file max_concurrency={c} (big)",
                 "rclone copy (big)"]
        samples: dict[str, list[Result]] = {n: [] for n in names}
        for rnd, bigfile in enumerate(bigs, 1):
            log(f"big file round {rnd}/{len(bigs)} ({args.big_mb} MB, {c} parts in flight)")
            box: dict = {}

            def ours_big():
                r = client.upload(bigfile, meta_for(bigfile, hashes[bigfile]), wait=True)
                if r.status != "verified":
                    raise RuntimeError(f"our upload of {bigfile.name} ended {r.status}: {r.reason}")
                return {"status": r.status, "session_id": r.session_id}

            client.calls.clear()
            client.completed_at = None
            client.on_complete = lambda: box.__setitem__("snap_complete", svc.cpu_snapshot())
            snap0, c0, t0 = svc.cpu_snapshot(), self_cpu(), time.perf_counter()
            res_total = measure(svc, names[1], "big", big_bytes, 1, ours_big)
            client.on_complete = None
            t_complete = client.completed_at - t0
            # Server-side time from complete to verified, from the database (the client's status
            # polling backs off up to 2 s, so its own figure is coarse).
            [(_, completed_at, verified_at)] = svc.session_times([res_total.extra["session_id"]])
            server_verify_s = (verified_at - completed_at).total_seconds()
            res_complete = Result(names[0], "big", big_bytes, 1, t_complete, client.cpu_at_complete - c0,
                                  _delta(snap0, box["snap_complete"]),
                                  {"calls": {k: call_stats(v) for k, v in client.calls.items() if k != "status_poll"}})
            res_total.extra.update({
                "server_verify_s_from_db": server_verify_s,
                "upload_plus_verify_s_from_db": t_complete + server_verify_s,
                "client_wait_after_complete_s": res_total.wall_s - t_complete,
                "status_poll_calls": call_stats(client.calls.get("status_poll", [])),
            })
            log(f"  ours: complete after {t_complete:.2f} s ({res_complete.mb_s:.1f} MB/s); server verification "
                f"took {server_verify_s:.2f} s by the database clock")
            samples[names[0]].append(res_complete)
            samples[names[1]].append(res_total)

            samples[names[2]].append(measure(svc, names[2], "big", big_bytes, 1, lambda: s3.upload_file(
                str(bigfile), BOTO_BUCKET, "default/" + bigfile.name)))
            samples[names[3]].append(measure(svc, names[3], "big", big_bytes, 1, lambda: s3.upload_file(
                str(bigfile), BOTO_BUCKET, "c4/" + bigfile.name, Config=TransferConfig(max_concurrency=c))))
            if have_rclone:
                samples[names[4]].append(measure(
                    svc, names[4], "big", big_bytes, 1,
                    lambda: run_rclone(renv, bigfile, f"bench:{RCLONE_BUCKET}/big/", c), subprocess_client=True))
        results += [aggregate(n, samples[n]) for n in names if samples[n]]
        client.calls.clear()

        # Small files, our protocol: file-concurrency files in flight, one part each.
        log(f"ours: {nsmall} small files, {args.file_concurrency} files in flight")
        ours_small_box: dict = {}

        def ours_small():
            start_wall = datetime.now(timezone.utc)
            per_file = []

            def one(p: Path):
                t = time.perf_counter()
                r = client.upload(p, meta_for(p, hashes[p]), wait=False)
                per_file.append(time.perf_counter() - t)
                return r

            out = pool_map(one, smalls, args.file_concurrency)
            ours_small_box.update(results=out, start_wall=start_wall, per_file=per_file,
                                  t_done=time.perf_counter())
            bad = [r for r in out if r.status not in ("verifying", "verified")]
            if bad:
                raise RuntimeError(f"{len(bad)} small uploads ended badly, e.g. {bad[0]}")
            return {"per_file_upload": call_stats(per_file)}

        snap_s0, c_s0, t_s0 = svc.cpu_snapshot(), self_cpu(), time.perf_counter()
        res_small = measure(svc, "ours: upload until complete (small)", "small", small_bytes, nsmall, ours_small)
        res_small.extra["calls"] = {k: call_stats(v) for k, v in client.calls.items()}
        results.append(res_small)
        # Then until the server verified all of them (read from the database, 0.1 s poll).
        ids = [r.session_id for r in ours_small_box["results"]]
        deadline = time.monotonic() + args.verify_timeout
        while True:
            rows = svc.session_times(ids)
            if all(s in ("verified", "failed") for s, _, _ in rows) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        t_s_all = time.perf_counter() - t_s0
        failed = [s for s, _, _ in rows if s != "verified"]
        if failed:
            raise RuntimeError(f"{len(failed)} small files not verified (statuses {set(failed)})")
        lags = [(v - c).total_seconds() for _, c, v in rows]
        snap_s1 = svc.cpu_snapshot()
        res_small_v = Result("ours: upload + server verification (small)", "small", small_bytes, nsmall, t_s_all,
                             self_cpu() - c_s0, _delta(snap_s0, snap_s1),
                             {"complete_to_verified": call_stats(lags)})
        log(f"ours small: all verified after {t_s_all:.2f} s")
        results.append(res_small_v)
        client.close()

        # boto3 and rclone on the small files (file-concurrency files in flight as well).
        def boto_small():
            pool_map(lambda p: s3.upload_file(str(p), BOTO_BUCKET, "small/" + p.name), smalls, args.file_concurrency)

        results.append(measure(svc, "boto3 upload_file default (small)", "small", small_bytes, nsmall, boto_small))
        if have_rclone:
            results.append(measure(svc, "rclone copy (small)", "small", small_bytes, nsmall,
                                   lambda: run_rclone(renv, smalls[0].parent, f"bench:{RCLONE_BUCKET}/small/",
                                                      args.concurrency), subprocess_client=True))

        # 4. Verification read: the server's hash of the stored object against local hashing.
        store = ObjectStore(endpoint, ACCESS_KEY, svc.secret_key, originals_bucket=ORIGINALS_BUCKET,
                            derived_bucket="evidence-derived")
        key = f"originals/{hashes[big][:2]}/{hashes[big][2:4]}/{hashes[big]}"

        def server_hash():
            digest, size = store.hash_original(key)
            if digest != hashes[big] or size != big_bytes:
                raise RuntimeError(f"stored object hashes to {digest} ({size} bytes), expected {hashes[big]}")
            return {"sha256": digest}

        def read_only():
            n = sum(len(b) for b in store.iter_original(key))
            return {"bytes_read": n}

        def sha256sum():
            out = subprocess.run(["sha256sum", str(big)], capture_output=True, text=True, check=True)
            if out.stdout.split()[0] != hashes[big]:
                raise RuntimeError("sha256sum disagrees with hashlib")

        results.append(measure(svc, "server verify read: ObjectStore.hash_original", "hash", big_bytes, 1, server_hash))
        if hasattr(store, "download_original"):
            # What the worker's verification does now: hash and keep a local copy for processing.
            copy = root / "verify-copy.bin"

            def server_download():
                digest, size = store.download_original(key, copy)
                copy.unlink(missing_ok=True)
                if digest != hashes[big] or size != big_bytes:
                    raise RuntimeError(f"stored object hashes to {digest} ({size} bytes), expected {hashes[big]}")

            results.append(measure(svc, "server verify read: ObjectStore.download_original", "hash", big_bytes, 1,
                                   server_download))
        results.append(measure(svc, "server read only: ObjectStore.iter_original", "hash", big_bytes, 1, read_only))
        results.append(measure(None, "local sha256sum", "hash", big_bytes, 1, sha256sum, subprocess_client=True))
        results.append(measure(None, "local Python hashlib (sha256_file)", "hash", big_bytes, 1,
                               lambda: {"sha256": sha256_file(big)}))
    finally:
        log("stopping the service")
        svc.stop()

    return summarize(args, results, notes, big_bytes, small_bytes, nsmall)


def summarize(args, results: list[Result], notes: list[str], big_bytes: int, small_bytes: int, nsmall: int) -> dict:
    by = {r.name: r for r in results}
    c = args.concurrency

    def get(name):
        return by.get(name)

    ours_big = get("ours: upload until complete (big)")
    ours_big_v = get("ours: upload + server verification (big)")
    boto_def, boto_c = get("boto3 upload_file default (big)"), get(f"boto3 upload_file max_concurrency={c} (big)")
    rclone_big = get("rclone copy (big)")
    ratios: dict[str, float | None] = {}
    if ours_big and boto_def:
        ratios["ours/boto3 default throughput (big, until complete)"] = ours_big.mb_s / boto_def.mb_s
    if ours_big and boto_c:
        ratios[f"ours/boto3 max_concurrency={c} throughput (big, until complete)"] = ours_big.mb_s / boto_c.mb_s
    if ours_big and rclone_big:
        ratios["ours/rclone throughput (big, until complete)"] = ours_big.mb_s / rclone_big.mb_s
    if ours_big_v and boto_def:
        ratios["ours incl. verification/boto3 default throughput (big)"] = ours_big_v.mb_s / boto_def.mb_s

    overhead: dict[str, float] = {}

    def per_file(small: Result | None, bigr: Result | None) -> float | None:
        if not small or not bigr:
            return None
        return 1000 * (small.wall_s - small_bytes / (bigr.bytes / bigr.wall_s)) / nsmall

    overhead["ours (until complete)"] = per_file(get("ours: upload until complete (small)"), ours_big)
    overhead["ours (incl. server verification)"] = per_file(get("ours: upload + server verification (small)"),
                                                             ours_big_v)
    overhead["boto3 default"] = per_file(get("boto3 upload_file default (small)"), boto_def)
    overhead["rclone"] = per_file(get("rclone copy (small)"), rclone_big)

    srv, s256, hl = (get("server verify read: ObjectStore.hash_original"), get("local sha256sum"),
                     get("local Python hashlib (sha256_file)"))
    if srv and s256:
        ratios["server hash_original MB/s / local sha256sum MB/s"] = srv.mb_s / s256.mb_s
    if srv and hl:
        ratios["server hash_original MB/s / local hashlib MB/s"] = srv.mb_s / hl.mb_s

    goals = {}
    if "ours/boto3 default throughput (big, until complete)" in ratios:
        goals["ours/boto3 default >= 1.0"] = ratios["ours/boto3 default throughput (big, until complete)"] >= GOALS["ours_vs_boto3"]
    if f"ours/boto3 max_concurrency={c} throughput (big, until complete)" in ratios:
        goals[f"ours/boto3 max_concurrency={c} >= 1.0"] = (
            ratios[f"ours/boto3 max_concurrency={c} throughput (big, until complete)"] >= GOALS["ours_vs_boto3"])
    if "ours/rclone throughput (big, until complete)" in ratios:
        goals["ours/rclone >= 0.9"] = ratios["ours/rclone throughput (big, until complete)"] >= GOALS["ours_vs_rclone"]
    if overhead["ours (until complete)"] is not None:
        goals["small-file overhead (until complete) <= 50 ms"] = overhead["ours (until complete)"] <= GOALS["small_overhead_ms"]

    return {
        "results": results, "ratios": ratios, "per_file_overhead_ms": overhead, "goals": goals, "notes": notes,
    }


def print_report(summary: dict) -> None:
    results: list[Result] = summary["results"]
    server_names = ["api", "worker", "seaweedfs"]
    head = (f"{'test':<50} {'files':>5} {'MB':>7} {'wall s':>7} {'MB/s':>7} {'cli CPU s':>9} {'cli s/GB':>8}  "
            + "  ".join(f"{n + ' s/GB':>12}" for n in server_names))
    print("\n" + "=" * len(head))
    print("Server-side ingest benchmark (MB = MiB, GB = GiB; server columns: CPU seconds per GB)")
    print("=" * len(head))
    print(head)
    print("-" * len(head))
    group = None
    for r in results:
        if group is not None and r.group != group:
            print()
        group = r.group
        srv = r.as_dict()["server_cpu_s_per_gb"]
        cells = "  ".join(f"{srv[n]:>12.2f}" if n in srv else f"{'-':>12}" for n in server_names)
        print(f"{r.name:<50} {r.files:>5} {r.bytes / MiB:>7.0f} {r.wall_s:>7.2f} {r.mb_s:>7.1f} "
              f"{r.client_cpu_s:>9.2f} {r.cpu_per_gb:>8.2f}  {cells}")
    print("-" * len(head))
    for r in results:
        if r.extra.get("rounds", 0) > 1:
            print(f"{r.name}: MB/s per round " + ", ".join(f"{v:.1f}" for v in r.extra["mb_s_each"])
                  + " (the table shows the median round)")
    for r in results:
        if r.name == "ours: upload + server verification (big)":
            for i, e in enumerate(r.extra.get("extra_each", [r.extra]), 1):
                p = e.get("status_poll_calls") or {}
                print(f"big file, ours, round {i}: server verification {e['server_verify_s_from_db']:.2f} s by the "
                      f"database clock (upload + verification {e['upload_plus_verify_s_from_db']:.2f} s); client "
                      f"waited {e['client_wait_after_complete_s']:.2f} s after complete"
                      + (f"; {p['n']} status polls, slowest {p['max_ms']:.0f} ms" if p else ""))
        if r.name == "ours: upload until complete (big)":
            for i, e in enumerate(r.extra.get("extra_each", [r.extra]), 1):
                calls = e.get("calls", {})
                print(f"big file, ours, round {i}, per call: " + ", ".join(
                    f"{k} n={v['n']} p50 {v['p50_ms']:.0f} ms max {v['max_ms']:.0f} ms" for k, v in calls.items()))
        if r.name == "ours: upload until complete (small)" and r.extra.get("calls"):
            calls = r.extra["calls"]
            print("small files, ours, per call: " + ", ".join(
                f"{k} p50 {v['p50_ms']:.0f} ms p95 {v['p95_ms']:.0f} ms" for k, v in calls.items()))
            if r.extra.get("per_file_upload"):
                v = r.extra["per_file_upload"]
                print(f"small files, ours, whole upload() per file: p50 {v['p50_ms']:.0f} ms, p95 {v['p95_ms']:.0f} ms")
        if r.name == "ours: upload + server verification (small)" and r.extra.get("complete_to_verified"):
            v = r.extra["complete_to_verified"]
            print(f"small files, ours, complete -> verified (database clock): p50 {v['p50_ms']:.0f} ms, "
                  f"p95 {v['p95_ms']:.0f} ms, max {v['max_ms']:.0f} ms")
    busy = []
    for r in results:
        for e in r.extra.get("extra_each", [r.extra]):
            other, machine = e.get("other_cpu_s", 0.0), e.get("machine_cpu_s", 0.0)
            if other > max(1.0, 0.15 * machine):
                busy.append(f"{r.name}: {other:.1f} of {machine:.1f} CPU-s")
    if busy:
        print("WARNING: other processes used the CPU during: " + "; ".join(busy[:6])
              + ". Figures are skewed; run again on an idle machine.")
    print("\nRatios:")
    for k, v in summary["ratios"].items():
        print(f"  {k:<66} {v:6.2f}x")
    print("Per-file overhead on small files ((time − bytes / own big-file throughput) / files):")
    for k, v in summary["per_file_overhead_ms"].items():
        print(f"  {k:<66} {'n/a' if v is None else f'{v:6.1f} ms'}")
    print("Goals:")
    for k, ok in summary["goals"].items():
        print(f"  {k:<66} {'PASS' if ok else 'FAIL'}")
    for n in summary["notes"]:
        print("Note: " + n)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big-mb", type=int, default=1024, help="size of the big file in MiB (default 1024)")
    ap.add_argument("--small-count", type=int, default=500, help="number of small files (default 500)")
    ap.add_argument("--small-mb", type=float, default=2, help="size of each small file in MiB (default 2)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="folder in which a temporary run folder is made (default: the system temp dir)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="big-file rounds: one distinct big file per round, every tool uploads each; the table "
                         "shows the median round (default 3)")
    ap.add_argument("--concurrency", type=int, default=4,
                    help="parts in flight per file for ours, boto3 (second run) and rclone (default 4)")
    ap.add_argument("--file-concurrency", type=int, default=4,
                    help="small files in flight for ours and boto3 (rclone uses --concurrency transfers)")
    ap.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    ap.add_argument("--celery-app", default="workers.celery_app",
                    help="Celery app module for the worker (to try a changed configuration)")
    ap.add_argument("--verify-timeout", type=float, default=600, help="seconds to wait for verification")
    ap.add_argument("--wait-idle", type=float, default=0,
                    help="wait up to this many seconds for the machine to be idle before starting")
    ap.add_argument("--keep", action="store_true", help="keep the run folder (data, logs, SeaweedFS) at the end")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="folder for the JSON results")
    args = ap.parse_args()

    # Another workload on the box skews every figure: wait (up to --wait-idle s) for quiet.
    deadline = time.monotonic() + args.wait_idle
    while True:
        m0 = machine_busy()
        time.sleep(2)
        background = (machine_busy() - m0) / 2
        if background < 0.25 or time.monotonic() >= deadline:
            break
        log(f"machine busy ({background:.2f} cores in use); waiting for it to be idle")
    if background >= 0.25:
        log(f"WARNING: {background:.2f} cores already busy before the start; figures will be skewed")

    base = args.workdir.resolve() if args.workdir else None
    if base:
        base.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=base))
    need = (args.big_mb * args.rounds * 5 + args.small_count * args.small_mb * 4) * MiB
    free = shutil.disk_usage(root).free
    if free < need * 1.2:
        print(f"not enough disk space in {root}: about {need / GiB:.1f} GiB needed, {free / GiB:.1f} GiB free")
        shutil.rmtree(root, ignore_errors=True)
        return 2

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    started = datetime.now(timezone.utc)
    log(f"run folder {root}")
    try:
        summary = run(args, root)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    print_report(summary)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    path = args.out / f"ingest-{stamp}.json"
    doc = {
        "benchmark": "server-side ingest",
        "started_at": started.isoformat(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": {"cpus": os.cpu_count(), "busy_cores_before_start": background, "platform": platform.platform(), "python": sys.version.split()[0]},
        "versions": {"seaweedfs": tool_version([str(Path(sys.executable).parent / "weed"), "version"]),
                     "rclone": tool_version(["rclone", "version"]) if shutil.which("rclone") else None,
                     "boto3": __import__("boto3").__version__, "httpx": httpx.__version__},
        "results": [r.as_dict() for r in summary["results"]],
        "ratios": summary["ratios"],
        "per_file_overhead_ms": summary["per_file_overhead_ms"],
        "goals": summary["goals"],
        "notes": summary["notes"],
    }
    path.write_text(json.dumps(doc, indent=2, default=str))
    print(f"\nresults written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
