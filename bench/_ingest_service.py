"""The server side that bench_ingest measures, started piece by piece on free ports: SeaweedFS,
a SQLite database with a unit and a docking station, the API under uvicorn and a Celery worker on
the embedded broker; CPU per component, and a clean stop."""

from __future__ import annotations

import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx

from _common import log, proc_table, tree_cpu
from storage.seaweedfs import SeaweedFS, free_port

ACCESS_KEY = "evidence"


@dataclass
class Service:
    root: Path
    weed: SeaweedFS | None = None
    children: dict[str, subprocess.Popen] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    api_url: str = ""
    station_key: str = ""
    secret_key: str = ""

    @property
    def server_dir(self) -> Path:
        return self.root / "server"

    @property
    def db_path(self) -> Path:
        return self.server_dir / "evidence.db"

    def cpu_snapshot(self) -> dict[str, float]:
        table = proc_table()
        snap = {name: tree_cpu(proc.pid, table) for name, proc in self.children.items()}
        if self.weed and self.weed.process:
            snap["seaweedfs"] = tree_cpu(self.weed.process.pid, table)
        return snap

    def start(self, worker_concurrency: int, celery_app: str = "workers.celery_app") -> None:
        self.server_dir.mkdir(parents=True, exist_ok=True)
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        self.secret_key = secrets.token_urlsafe(24)
        log("starting SeaweedFS")
        self.weed = SeaweedFS(self.server_dir / "seaweedfs", ACCESS_KEY, self.secret_key)
        self.weed.start()
        api_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
        self.env.update({
            "EVIDENCE_DATA_DIR": str(self.server_dir),
            "EVIDENCE_DATABASE_URL": f"sqlite:///{self.db_path}",
            "EVIDENCE_BROKER_URL": f"sqla+sqlite:///{self.server_dir / 'broker.db'}",
            "EVIDENCE_S3_ENDPOINT": self.weed.endpoint,
            "EVIDENCE_S3_PUBLIC_ENDPOINT": "",
            "EVIDENCE_S3_ACCESS_KEY": ACCESS_KEY,
            "EVIDENCE_S3_SECRET_KEY": self.secret_key,
            "EVIDENCE_SECRET_KEY": secrets.token_urlsafe(32),
            "EVIDENCE_API_HOST": "127.0.0.1",
            "EVIDENCE_API_PORT": str(api_port),
            "EVIDENCE_LOG_LEVEL": "WARNING",
        })
        bindir = Path(sys.executable).parent
        log("migrating the SQLite database")
        subprocess.run([str(bindir / "evidence"), "db", "upgrade"], env=self.env, cwd=self.root, check=True,
                       stdout=subprocess.DEVNULL, stderr=open(logs / "migrate.log", "ab"))
        self.station_key = self._create_station()
        log("starting the API and a Celery worker")
        self.children["worker"] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", celery_app, "worker", "-Q", "fast",
             "--concurrency", str(worker_concurrency), "--loglevel", "warning"],
            env=self.env, cwd=self.root, stdin=subprocess.DEVNULL, stdout=open(logs / "worker.log", "ab"),
            stderr=subprocess.STDOUT, start_new_session=True)
        self.children["api"] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(api_port),
             "--no-access-log", "--log-level", "warning"],
            env=self.env, cwd=self.root, stdin=subprocess.DEVNULL, stdout=open(logs / "api.log", "ab"),
            stderr=subprocess.STDOUT, start_new_session=True)
        self.api_url = f"http://127.0.0.1:{api_port}"
        self._wait_api(60)

    def _create_station(self) -> str:
        """Unit, admin and a docking station through the service functions (in a child process,
        so this process holds no database connection during the measurements)."""
        code = (
            "from evidence.audit import service as audit\n"
            "from evidence.identity import service as identity\n"
            "from evidence.db import session_scope\n"
            "with session_scope() as s:\n"
            "    identity.create_unit(s, audit.SYSTEM, 'BENCH', 'Bench unit')\n"
            "    identity.create_user(s, audit.SYSTEM, 'benchadmin', 'Bench admin', 'admin', '"
            + secrets.token_urlsafe(12) + "')\n"
            "    _, key = identity.register_station(s, audit.SYSTEM, 'bench-dock', 'BENCH')\n"
            "print(key)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], env=self.env, cwd=self.root, check=True,
                             capture_output=True, text=True)
        return out.stdout.strip().splitlines()[-1]

    def _wait_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.children.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {proc.returncode}; see {self.root / 'logs'}")
            try:
                r = httpx.get(self.api_url + "/health", timeout=5)
                if r.status_code == 200 and r.json().get("storage", {}).get("ok", True):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"API did not become healthy within {timeout:.0f}s; see {self.root / 'logs'}")

    def check_alive(self) -> None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}; see {self.root / 'logs'}")

    def stop(self) -> None:
        for name in ("api", "worker"):
            proc = self.children.get(name)
            if proc is None or proc.poll() is not None:
                continue
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop within 30 s; killing it")
            # The process group also holds the Celery pool children.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        if self.weed is not None:
            self.weed.stop()

    def session_times(self, session_ids: list[str]) -> list[tuple[str, datetime | None, datetime | None]]:
        """(status, completed_at, verified_at) read straight from the SQLite file (read-only)."""
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
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
