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

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx

from _common import log, proc_table, tree_cpu  # bench/ is on sys.path
from _stack import Stack

ROOT = Path(__file__).resolve().parent.parent
ADMIN_ID = "LOADADMIN"


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

    def settle(self) -> float:
        return self.stack.settle()

    def stop(self) -> None:
        self.stack.stop()


class ClusterTarget:
    """`entrypoints.cluster.Cluster` on the machine's PostgreSQL and Redis (its defaults)."""

    name = "cluster"
    key = "cluster"

    def __init__(self, root: Path, **options):
        from entrypoints.cluster import Cluster  # only when the cluster is asked for

        self.root = root
        self.cluster = Cluster(root, **options)
        self.options = options
        self.url = self.token = ""
        self.env: dict[str, str] = {}
        self.password = secrets.token_urlsafe(12) + "-Aa1"

    def start(self) -> "ClusterTarget":
        self.cluster.start()
        self.url = self.cluster.url
        self.env = self._settings()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}, **self.env,
               "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "entrypoints.cli", "create-admin", "--police-id", ADMIN_ID,
                        "--name", "Load admin", "--password", self.password], env=env, cwd=self.root,
                       check=True, capture_output=True, text=True)
        self.token = login(self.url, ADMIN_ID, self.password)
        return self

    def _settings(self) -> dict[str, str]:
        own = getattr(self.cluster, "env", None)
        own = own() if callable(own) else own
        env = {k: v for k, v in (own or {}).items() if k.startswith("EVIDENCE_")}
        env.setdefault("EVIDENCE_DATABASE_URL", self.cluster.database_url)
        env.setdefault("EVIDENCE_BROKER_URL", self.cluster.redis_url)
        env.setdefault("EVIDENCE_S3_ENDPOINT", self.cluster.s3_endpoint)
        return env

    def describe(self) -> dict:
        names = self.cluster.names()
        return {"topology": "entrypoints.cluster: " + ", ".join(names), "options": self.options}

    def cpu(self) -> dict[str, float]:
        return dict(self.cluster.cpu_seconds())

    def pids(self) -> list[int]:
        procs = getattr(self.cluster, "pids", None)
        if callable(procs):
            return list(procs())
        return []

    def settle(self, limit: float = 300) -> float:
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
        log("stopping the cluster")
        self.cluster.stop()


def cluster_available() -> bool:
    try:
        import entrypoints.cluster  # noqa: F401
    except ImportError:
        return False
    return True


def own_cpu_table(pids: list[int]) -> float:
    table = proc_table()
    return sum(tree_cpu(p, table) for p in pids)
