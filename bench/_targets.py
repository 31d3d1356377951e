"""The two topologies the cluster benches compare, behind one small interface.

- `SingleBox`: `evidence serve` through `_stack.Stack(box=True)` (SeaweedFS in one process, SQLite,
  the embedded broker, one API process and the workers).
- `ClusterTarget`: `entrypoints.cluster.Cluster`, the production topology as processes (SeaweedFS
  master + volume servers + filer + S3 gateway, PostgreSQL, Redis, API processes behind a proxy,
  fast/media/transcode workers and beat).

Both give: `url` (where clients talk to the API), `token` (an admin's), `env` (the EVIDENCE_*
settings that point a process at the target's database and storage, for set-up written straight
into the database), `cpu()` (CPU seconds per process, each with its children), `pids()` (the
processes the idle wait must not count) and `stop()`. A bench never needs to know which it holds.
"""

from __future__ import annotations

import signal
import os
import time
from pathlib import Path

import httpx

from _common import cmdline, log, proc_table  # bench/ is on sys.path
from _stack import Stack, create_pg, drop_pg



def point_here(env: dict[str, str]) -> None:
    """Point this process's settings, engine and object store at a target (set-up only)."""
    for key in [k for k in os.environ if k.startswith("EVIDENCE_")]:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("EVIDENCE_")})
    from evidence.db import reset_caches
    from evidence.store import get_store

    reset_caches()
    get_store.cache_clear()


def login(url: str, police_id: str, password: str) -> str:
    r = httpx.post(url + "/api/v1/auth/login", json={"police_id": police_id, "password": password}, timeout=60)
    r.raise_for_status()
    return r.json()["access_token"]


class SingleBox:
    name = "single box"
    key = "single"

    def __init__(self, root: Path):
        self.stack = Stack(root, box=True)
        self.url = self.token = ""
        self.env: dict[str, str] = {}

    def start(self) -> "SingleBox":
        self.stack.start()
        self.url, self.token = self.stack.api_url, self.stack.token
        secret = (self.stack.data / "secrets" / "s3_secret_key").read_text().strip()
        self.env = {**{k: v for k, v in self.stack.env.items() if k.startswith("EVIDENCE_")},
                    "EVIDENCE_S3_SECRET_KEY": secret}
        return self

    def describe(self) -> dict:
        return {"topology": "evidence serve: SeaweedFS (one process), SQLite, embedded broker, one API process, "
                            "fast/media/transcode workers, scheduler"}

    def cpu(self) -> dict[str, float]:
        self.stack.remember()
        return self.stack.cpu_snapshot()

    def pids(self) -> list[int]:
        return self.stack.pids()

    def settle(self, limit: float = 300) -> float:
        return self.stack.settle(limit)

    def stop(self) -> None:
        self.stack.stop()


class ClusterTarget:
    """`entrypoints.cluster.Cluster` on the machine's PostgreSQL (a fresh database, dropped at the
    end) and Redis (a key prefix of its own)."""

    name = "cluster"
    key = "cluster"

    def __init__(self, root: Path, **options):
        from entrypoints.cluster import Cluster  # only when the cluster is asked for

        self.root = root
        self.pg_url = create_pg(prefix="bench_cluster")
        self.cluster = Cluster(root, database_url=self.pg_url, **options)
        self.options = options
        self.url = self.token = ""
        self.env: dict[str, str] = {}

    def start(self) -> "ClusterTarget":
        self.cluster.start()
        self.url = self.cluster.url
        self.env = dict(self.cluster.env)
        self.token = self.cluster.admin_token()
        return self

    def describe(self) -> dict:
        return {"topology": "entrypoints.cluster: " + ", ".join(self.cluster.names()),
                "options": {k: v for k, v in self.options.items()}}

    def cpu(self) -> dict[str, float]:
        """Each cluster process, plus "postgres": the machine's PostgreSQL backends serving this
        cluster's database (found by its name in their process title; a backend that ended took
        its CPU with it, so this is a floor, and the pools keep most backends alive)."""
        out = dict(self.cluster.cpu_seconds())
        db = self.pg_url.rsplit("/", 1)[-1]
        table = proc_table()
        out["postgres"] = sum(table[pid][1] for pid in table
                              if (cmd := cmdline(pid)).startswith("postgres: ") and f" {db} " in cmd)
        return out

    def pids(self) -> list[int]:
        return [p.proc.pid for p in self.cluster.processes.values()
                if getattr(p, "proc", None) is not None and p.proc.poll() is None]

    def settle(self, limit: float = 300) -> float:
        """Wait until the cluster itself is idle (workers may still process the last files)."""
        t0 = time.monotonic()
        before = sum(self.cpu().values())
        while time.monotonic() - t0 < limit:
            time.sleep(2)
            now = sum(self.cpu().values())
            if now - before < 0.3:
                break
            before = now
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.pg_url:
            log("stopping the cluster")
            self.cluster.stop()
            try:
                drop_pg(self.pg_url)
            except Exception as exc:  # noqa: BLE001
                log(f"  could not drop {self.pg_url}: {exc}")
            self.pg_url = ""


def topologies_wanted(arg: str) -> list[str]:
    """The --topologies list, after making SIGTERM and Ctrl-C unwind the bench so that every
    topology it started is stopped (the targets' own exit paths run)."""
    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return [t.strip() for t in arg.split(",") if t.strip()]
