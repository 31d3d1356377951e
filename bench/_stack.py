"""The one runner of the service stack for every benchmark: each bench asks for the parts it needs.

    with Stack(root, storage=True, database="sqlite", api=True, worker=2) as stack:
        stack.register_station()          # through the HTTP API, as an admin
        ...

Parts, each on free ports inside `root` (everything is stopped on exit, error and Ctrl-C):
- `box=True`: `evidence serve`, the whole single box (SeaweedFS, SQLite, embedded broker, the
  fast/media/transcode workers, the scheduler and the API); the other options are ignored;
- `storage`: a SeaweedFS S3 server (`storage.seaweedfs.SeaweedFS`);
- `database`: "sqlite" (a file in root) or "postgresql" (a fresh database on `pg_admin`, dropped
  at the end), migrated with `evidence db upgrade`; `database_url` names a database to use instead
  (created on `pg_admin` when a PostgreSQL one is missing) that is kept at the end;
- `api`: `uvicorn api.main:app` (`api_app` names another app object for uvicorn, e.g. a bench
  module that adds a mount to that same app; put its folder on PYTHONPATH through `env`);
  `worker` (processes): a Celery worker on the fast queue, with the embedded broker, or `broker`
  (e.g. redis://) when given.
`checkout` runs another checkout's code (its .venv) for the subprocesses.
`use_here()` points this process's settings at the stack, for benches that call the service
functions in-process. CPU per part is read from /proc for each process tree.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from _common import cmdline, descendants, log, proc_table, tree_cpu  # bench/ is on sys.path
from storage.seaweedfs import SeaweedFS, free_port

ROOT = Path(__file__).resolve().parent.parent
ACCESS_KEY = "evidence"
PG_ADMIN = os.environ.get("EVIDENCE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ADMIN_ID = "BENCHADMIN"


def create_pg(admin: str = PG_ADMIN, prefix: str = "bench") -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin.rsplit("/", 1)[0] + "/" + name


def ensure_pg(url: str, admin: str = PG_ADMIN) -> None:
    """Create the database `url` names on `admin` unless it is there."""
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}).first():
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def drop_pg(url: str, admin: str = PG_ADMIN) -> None:
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    engine.dispose()


class Stack:
    def __init__(self, root: Path, *, box: bool = False, storage: bool = True, database: str = "sqlite",
                 api: bool = False, api_app: str = "api.main:app", worker: int = 0,
                 celery_app: str = "workers.celery_app", broker: str = "",
                 checkout: Path = ROOT, pg_admin: str = PG_ADMIN, pg_prefix: str = "bench",
                 env: dict[str, str] | None = None, database_url: str = ""):
        self.kept_url = database_url
        self.root, self.box, self.storage, self.database = root, box, storage, database
        self.api, self.api_app, self.worker, self.celery_app, self.broker = api, api_app, worker, celery_app, broker
        self.checkout, self.pg_admin, self.pg_prefix, self.extra_env = checkout.resolve(), pg_admin, pg_prefix, env or {}
        self.data = root / "server"
        self.python = str(self.checkout / ".venv" / "bin" / "python") \
            if (self.checkout / ".venv" / "bin" / "python").exists() else sys.executable
        self.weed: SeaweedFS | None = None
        self.children: dict[str, subprocess.Popen] = {}
        self.known: dict[int, int] = {}  # pid -> start time of every process seen under `evidence serve`
        self.env: dict[str, str] = {}
        self.database_url = self.pg_url = ""
        self.api_url = self.s3_endpoint = self.station_key = self.token = ""
        self.s3_secret = secrets.token_urlsafe(24)
        self.admin_password = secrets.token_urlsafe(12)

    # -- start -------------------------------------------------------------------------------
    def __enter__(self) -> "Stack":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _cli(self, *args: str, **kw) -> subprocess.CompletedProcess:
        script = Path(self.python).parent / "evidence"  # the checkout's own `evidence` command
        cmd = [str(script)] if script.exists() else [self.python, "-m", "entrypoints.cli"]
        return subprocess.run([*cmd, *args], env=self.env, cwd=self.root,
                              check=True, capture_output=True, text=True, **kw)

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        # cwd is the run folder: no .env of the checkout is read (the settings come from self.env).
        proc = subprocess.Popen(cmd, env=self.env, cwd=self.root, stdin=subprocess.DEVNULL,
                                stdout=open(logs / f"{name}.log", "ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.children[name] = proc
        return proc

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
        self.env.update({"EVIDENCE_DATA_DIR": str(self.data), "EVIDENCE_LOG_LEVEL": "WARNING",
                         "PYTHONPATH": str(self.checkout)})
        api_port = free_port()
        if self.box:
            s3_port = free_port()
            while api_port in (s3_port, s3_port + 10000):
                api_port = free_port()
            self.s3_endpoint = f"127.0.0.1:{s3_port}"
            self.env.update({"EVIDENCE_S3_ENDPOINT": self.s3_endpoint, "EVIDENCE_API_PORT": str(api_port),
                             **self.extra_env})
            self.api_url = f"http://127.0.0.1:{api_port}"
            log(f"starting `evidence serve` (API {self.api_url}, S3 {self.s3_endpoint})")
            self._spawn("serve", [self.python, "-m", "entrypoints.cli", "serve"])
            self._wait_api(180)
            secrets_dir = self.data / "secrets"  # the single box made these on its first start
            self.admin_password = (secrets_dir / "initial_admin_password").read_text().strip()
            self.s3_secret = (secrets_dir / "s3_secret_key").read_text().strip()
            self.login("admin")
            return
        self.env.update({"EVIDENCE_S3_ACCESS_KEY": ACCESS_KEY, "EVIDENCE_S3_SECRET_KEY": self.s3_secret,
                         "EVIDENCE_SECRET_KEY": secrets.token_urlsafe(32), "EVIDENCE_API_HOST": "127.0.0.1",
                         "EVIDENCE_API_PORT": str(api_port)})
        if self.storage:
            log("starting SeaweedFS")
            self.weed = SeaweedFS(self.data / "seaweedfs", ACCESS_KEY, self.s3_secret).start()
            self.s3_endpoint = self.weed.endpoint
        else:
            self.s3_endpoint = "127.0.0.1:9"  # nothing listens: storage is not part of this bench
        self.env["EVIDENCE_S3_ENDPOINT"] = self.s3_endpoint
        if self.kept_url:
            self.database_url = self.kept_url
            if self.database == "postgresql":
                ensure_pg(self.kept_url, self.pg_admin)
        elif self.database == "postgresql":
            self.pg_url = self.database_url = create_pg(self.pg_admin, self.pg_prefix)
        else:
            self.database_url = f"sqlite:///{self.data / 'evidence.db'}"
        self.env["EVIDENCE_DATABASE_URL"] = self.database_url
        self.env["EVIDENCE_BROKER_URL"] = self.broker or f"sqla+sqlite:///{self.data / 'broker.db'}"
        if self.broker:
            self.env["EVIDENCE_BROKER_KEY_PREFIX"] = f"bench-{secrets.token_hex(3)}:"
        self.env.update(self.extra_env)
        log(f"migrating the database ({self.database})")
        self._cli("db", "upgrade")
        if self.worker:
            log(f"starting a Celery worker ({self.worker} processes, fast queue)")
            self._spawn("worker", [self.python, "-m", "celery", "-A", self.celery_app, "worker", "-Q", "fast",
                                   "--concurrency", str(self.worker), "--loglevel", "warning"])
        if self.api:
            self.start_api()

    def start_api(self, admin_id: str = ADMIN_ID) -> None:
        """The admin (`evidence create-admin`) and the API under uvicorn. Called by start() when
        api=True; a bench that bulk-loads rows with fixed ids first calls it after the load."""
        self._cli("create-admin", "--police-id", admin_id, "--name", "Bench admin",
                  "--password", self.admin_password)
        self._spawn("api", [self.python, "-m", "uvicorn", self.api_app, "--host", "127.0.0.1", "--port",
                            self.env["EVIDENCE_API_PORT"], "--no-access-log", "--log-level", "warning"])
        self.api_url = f"http://127.0.0.1:{self.env['EVIDENCE_API_PORT']}"
        self._wait_api(180)
        self.login(admin_id)

    def _wait_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.remember()
            self.check_alive()
            try:
                status = httpx.get(self.api_url + "/health", timeout=5).status_code
                # Without storage in the stack /health reports it down: any answer means the API is up.
                if status == 200 or (status == 503 and not self.storage and not self.box):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"/health did not answer 200 within {timeout:.0f} s; see {self.root / 'logs'}")
            time.sleep(0.3)
        self.remember()

    def use_here(self) -> None:
        """Point this process's settings at the stack (benches that call service functions)."""
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("EVIDENCE_")})
        from evidence.db import reset_caches

        reset_caches()

    # -- through the HTTP API ------------------------------------------------------------------
    def http(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, headers={"Authorization": f"Bearer {self.token}"},
                            timeout=kw.pop("timeout", 300), **kw)

    def login_as(self, police_id: str, password: str) -> str:
        """A token of another user made through the API (the stack's own token is unchanged)."""
        r = httpx.post(self.api_url + "/api/v1/auth/login", json={"police_id": police_id, "password": password},
                       timeout=60)
        r.raise_for_status()
        return r.json()["access_token"]

    def login(self, police_id: str) -> str:
        r = httpx.post(self.api_url + "/api/v1/auth/login", json={"police_id": police_id,
                                                                   "password": self.admin_password}, timeout=60)
        r.raise_for_status()
        self.token = r.json()["access_token"]
        return self.token

    def register_station(self, name: str = "bench-dock") -> str:
        with self.http() as api:
            r = api.post("/api/v1/stations", json={"name": name})
            r.raise_for_status()
        self.station_key = r.json()["api_key"]
        log("  station registered")
        return self.station_key

    # -- processes -----------------------------------------------------------------------------
    def remember(self) -> None:
        for proc in self.children.values():
            if proc.poll() is None:
                self.known.update(descendants(proc.pid))

    def pids(self) -> list[int]:
        out = [p.pid for p in self.children.values() if p.poll() is None]
        if self.weed and self.weed.process:
            out.append(self.weed.process.pid)
        return out

    def check_alive(self) -> None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}; see {self.root / 'logs'}")

    def cpu_snapshot(self) -> dict[str, float]:
        """CPU seconds per part (each with its children): api, worker-<queue>, scheduler, seaweedfs."""
        table = proc_table()
        snap: dict[str, float] = {}
        serve = self.children.get("serve")
        if serve is not None:
            if serve.pid not in table:
                return snap
            for pid, (ppid, _, _) in table.items():
                if ppid != serve.pid:
                    continue
                cmd = cmdline(pid)
                queue = re.search(r" -Q (\S+)", cmd)
                name = ("seaweedfs" if "weed" in cmd.split(" ")[0] else
                        f"worker-{queue.group(1) if queue else 'all'}" if " worker" in cmd else
                        "scheduler" if " beat" in cmd else "api" if "uvicorn" in cmd else f"pid{pid}")
                snap[name] = snap.get(name, 0.0) + tree_cpu(pid, table)
            snap["serve"] = table[serve.pid][1]
            return snap
        snap = {name: tree_cpu(proc.pid, table) for name, proc in self.children.items()}
        if self.weed and self.weed.process:
            snap["seaweedfs"] = tree_cpu(self.weed.process.pid, table)
        return snap

    def settle(self, limit: float = 300) -> float:
        """Wait until the stack itself is idle (a worker may still process the last run's files).
        Returns the seconds waited."""
        t0 = time.monotonic()
        self.remember()
        before = sum(self.cpu_snapshot().values())
        while time.monotonic() - t0 < limit:
            time.sleep(2)
            now_cpu = sum(self.cpu_snapshot().values())
            if now_cpu - before < 0.2:
                break
            before = now_cpu
        return time.monotonic() - t0

    def stop(self) -> None:
        self.remember()
        for name in ("serve", "api", "worker"):
            proc = self.children.get(name)
            if proc is None or proc.poll() is not None:
                continue
            log(f"stopping {name}")
            proc.send_signal(signal.SIGINT if name == "serve" else signal.SIGTERM)  # serve stops its children
            try:
                proc.wait(120 if name == "serve" else 30)
            except subprocess.TimeoutExpired:
                log(f"  {name} did not stop in time: killing it")
                proc.kill()
                proc.wait()
            if name != "serve":
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # its own process group: the Celery pool children
                except ProcessLookupError:
                    pass
        # Whatever they started and left behind: stopped by pid, if still the same process.
        table = proc_table()
        left = [pid for pid, started in self.known.items() if pid in table and table[pid][2] == started]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(2)
            table = proc_table()
            left = [pid for pid in left if pid in table and table[pid][2] == self.known[pid]]
        self.children.clear()
        if self.weed is not None:
            self.weed.stop()
            self.weed = None
        if self.pg_url:
            try:
                drop_pg(self.pg_url, self.pg_admin)
            except Exception as exc:  # noqa: BLE001
                log(f"  could not drop {self.pg_url}: {exc}")
            self.pg_url = ""
