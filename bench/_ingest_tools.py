"""bench_ingest's parts: the timed station client, a measurement with CPU per part, the test
data, and the peers (boto3, rclone) pointed at the same storage."""

from __future__ import annotations

import os
import resource
import sqlite3
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from _common import children_cpu, log, machine_busy  # bench/ is on sys.path
from _idle import wait_for_idle
from _stack import ACCESS_KEY, Stack
from docking_station.client import StationClient

MiB = 1024 * 1024
GiB = 1024 * MiB
BOTO_BUCKET = "bench-boto3"
RCLONE_BUCKET = "bench-rclone"
ORIGINALS_BUCKET = "evidence-originals"
IDLE = {"timeout": 600.0, "waits": []}  # --idle-timeout, and every wait made (for the JSON)


def idle(phase: str, stack: Stack | None = None) -> None:
    """Wait for an idle machine before a measurement (the stack's own processes do not count)."""
    IDLE["waits"].append(wait_for_idle(phase, IDLE["timeout"], own=stack.pids if stack else ()).as_dict())


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

    def progress(self, session_id):
        t = time.perf_counter()
        try:
            return super().progress(session_id)
        finally:
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


def measure(svc: Stack | None, name: str, group: str, nbytes: int, files: int, fn, *, subprocess_client=False,
            wait: bool = True) -> Result:
    """Time `fn()` (after waiting for an idle machine, unless `wait` is False: the caller did)."""
    if wait:
        idle(name, svc)
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



def session_times(db_path: Path, session_ids: list[str]) -> list[tuple[str, datetime | None, datetime | None]]:
    """(status, completed_at, verified_at) of upload sessions, read-only from the stack's SQLite file:
    the HTTP API does not tell when the server completed and verified a session."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        rows = []
        for i in range(0, len(session_ids), 500):
            chunk = session_ids[i:i + 500]
            q = (f"SELECT status, completed_at, verified_at FROM upload_sessions WHERE id IN "
                 f"({','.join('?' * len(chunk))})")
            rows.extend(con.execute(q, chunk).fetchall())
    finally:
        con.close()

    def ts(v):
        return datetime.fromisoformat(v).replace(tzinfo=timezone.utc) if v else None

    return [(s, ts(c), ts(v)) for s, c, v in rows]
