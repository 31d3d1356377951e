"""The production topology as separate processes on one machine: a SeaweedFS cluster (master,
volume servers, filer, S3 gateway), PostgreSQL and Redis (the machine's, or private ones), API
processes behind a small reverse proxy, Celery workers by queue and one beat.

Each process is what one host (or container) runs in production; they find each other only by
address, so the same settings work across hosts (README: "Running the production topology").
Each one can be killed and started again alone, on the same ports and data.

Python use (the failure tests, the load test):

    cluster = Cluster(tmp_path, own_postgres=True, own_redis=True)
    cluster.start()                           # returns once every process is ready
    token = cluster.admin_token()             # an admin created through the CLI, logged in via the proxy
    cluster.kill("volume2"); cluster.restart("volume2")
    cluster.stop()

`create_admin(police_id, password)` makes an admin (as `evidence create-admin` does) and
`login(police_id, password)` returns a bearer token; `admin_token()` does both once. `env` holds
the EVIDENCE_* settings every server process gets (for in-process database access in a test).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

import entrypoints.cluster.checks as checks
from entrypoints.cluster.process import Process
from storage.seaweedfs import free_port, weed_binary, write_s3_config

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("EVIDENCE_PG_BIN", "/usr/local/bin"))
MACHINE_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MACHINE_REDIS = "redis://127.0.0.1:6379/0"
MEDIA_NICE = 10  # media and transcode give way to verification, as in docker-compose.yml
START_SECONDS = 120


class Cluster:
    def __init__(self, root: Path, *, database_url: str | None = None, redis_url: str | None = None,
                 own_postgres: bool = False, own_redis: bool = False, api_count: int = 2, fast_workers: int = 2,
                 volumes: int = 3, replication: str = "001", base_port: int | None = None,
                 fast_concurrency: int = 2, media_concurrency: int = 1, volume_size_limit_mb: int = 1024, env: dict | None = None):
        """`root` keeps every process's data and logs (root/logs/<name>.log); the same root and
        base_port start the same cluster again. `env` adds EVIDENCE_* settings for the server processes."""
        self.root = Path(root).resolve()
        self.own_postgres, self.own_redis = own_postgres, own_redis
        self.api_count, self.fast_workers, self.volumes = api_count, fast_workers, volumes
        self.replication, self.fast_concurrency = replication, fast_concurrency
        self.media_concurrency = media_concurrency
        self.volume_size_limit_mb = volume_size_limit_mb
        self.extra_env = dict(env or {})
        self._base_port = base_port
        self._used: set[int] = set()
        self.ports: dict[str, int] = {}
        for name in ("postgres", "redis", "master", *self._volume_names(), "filer", "s3",
                     *(f"api{i}" for i in range(1, api_count + 1)), "proxy"):
            self.ports[name] = self._port()
        host = "127.0.0.1"
        self.s3_endpoint = f"{host}:{self.ports['s3']}"
        self.api_urls = [f"http://{host}:{self.ports[f'api{i}']}" for i in range(1, api_count + 1)]
        self.url = f"http://{host}:{self.ports['proxy']}"
        if own_postgres:
            self.database_url = f"postgresql+psycopg://postgres@{host}:{self.ports['postgres']}/evidence"
        else:
            self.database_url = database_url or MACHINE_PG.rsplit("/", 1)[0] + "/evidence_cluster"
        self.redis_url = f"redis://{host}:{self.ports['redis']}/0" if own_redis else (redis_url or MACHINE_REDIS)
        self.processes: dict[str, Process] = {}
        self.order: list[list[str]] = []  # start stages; stopped in reverse
        self._admin: tuple[str, str] | None = None
        self._pg_dir: Path | None = None

    # -- ports and settings -------------------------------------------------------------------
    def _volume_names(self) -> list[str]:
        return [f"volume{i}" for i in range(1, self.volumes + 1)]

    def _port(self) -> int:
        if self._base_port is None:
            while True:
                port = free_port()
                if port not in self._used:
                    self._used.add(port)
                    return port
        port = self._base_port + len(self._used)
        self._used.add(port)
        return port

    def _secret(self, name: str) -> str:
        """A random secret made once per root, so a restart of the whole cluster keeps its tokens valid."""
        path = self.root / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text()

    @property
    def env(self) -> dict:
        """EVIDENCE_* settings of every server process (the same on every host but the addresses)."""
        prefix = "" if self.own_redis else "evidence-cluster-" + hashlib.sha1(str(self.root).encode()).hexdigest()[:8] + ":"
        return {
            "EVIDENCE_DATA_DIR": str(self.root / "data"),
            "EVIDENCE_DATABASE_URL": self.database_url,
            "EVIDENCE_BROKER_URL": self.redis_url,
            "EVIDENCE_BROKER_KEY_PREFIX": prefix,
            "EVIDENCE_S3_ENDPOINT": self.s3_endpoint,
            "EVIDENCE_S3_ACCESS_KEY": "evidence",
            "EVIDENCE_S3_SECRET_KEY": self._secret("s3_secret_key"),
            "EVIDENCE_SECRET_KEY": self._secret("token_key"),
            "EVIDENCE_LOG_LEVEL": "INFO",
            "EVIDENCE_LOG_JSON": "false",
            **self.extra_env,
        }

    def names(self) -> list[str]:
        return [name for stage in self.order for name in stage]

    # -- the processes --------------------------------------------------------------------------
    def _add(self, stage: list[str], name: str, argv: list[str], ready, env: dict | None = None, **kw) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
        self.processes[name] = Process(name, argv, {**base, **(env or {})}, self.root / "logs" / f"{name}.log",
                                       ready, cwd=PROJECT, **kw)
        stage.append(name)

    def _define(self) -> None:
        self.order, self.processes = [], {}
        host, weed, logdir = "127.0.0.1", weed_binary(), f"-logdir={self.root / 'logs'}"
        w = self.root / "seaweedfs"
        p = self.ports
        stage: list[str] = []
        if self.own_postgres:
            self._add(stage, "postgres", self._postgres_argv(),
                      lambda _: checks.postgres_answers(self.database_url.rsplit("/", 1)[0] + "/postgres"),
                      stop_signal=2)  # SIGINT: fast shutdown (SIGTERM would wait for every client)
        if self.own_redis:
            (self.root / "redis").mkdir(parents=True, exist_ok=True)
            # Append-only file as in production, so a stopped broker keeps the queued tasks.
            self._add(stage, "redis", ["redis-server", "--port", str(p["redis"]), "--bind", host, "--save", "",
                                       "--appendonly", "yes", "--dir", str(self.root / "redis")],
                      lambda _: checks.redis_answers(p["redis"]))
        if stage:
            self.order.append(stage)
        master = f"{host}:{p['master']}"
        stage = []
        self._add(stage, "master", [weed, logdir, "master", f"-ip={host}", f"-port={p['master']}",
                                    f"-port.grpc={p['master'] + 10000}", f"-mdir={w / 'master'}",
                                    f"-defaultReplication={self.replication}", "-peers=none", "-telemetry=false",
                                    f"-volumeSizeLimitMB={self.volume_size_limit_mb}"],
                  lambda _: checks.http_answers(f"http://{master}/cluster/status"))
        self.order.append(stage)
        stage = []
        for name in self._volume_names():
            vol = f"{host}:{p[name]}"
            # One rack: replication 001 keeps the second copy on another server of the same rack.
            self._add(stage, name, [weed, logdir, "volume", f"-ip={host}", f"-port={p[name]}",
                                    f"-port.grpc={p[name] + 10000}", f"-dir={w / name}", f"-master={master}",
                                    "-dataCenter=dc1", "-rack=rack1", "-max=0", "-preStopSeconds=0"],
                      lambda _, vol=vol: checks.volume_registered(master, vol))
        self.order.append(stage)
        stage = []
        self._add(stage, "filer", [weed, logdir, "filer", f"-ip={host}", f"-port={p['filer']}",
                                   f"-port.grpc={p['filer'] + 10000}", f"-master={master}",
                                   f"-defaultStoreDir={w / 'filer'}", f"-localSocket={w / 'filer.sock'}"],
                  lambda _: checks.http_answers(f"http://{host}:{p['filer']}/", (200, 404)))
        self.order.append(stage)
        stage = []
        self._add(stage, "s3", [weed, logdir, "s3", f"-filer={host}:{p['filer']}", f"-ip.bind={host}",
                                f"-port={p['s3']}", f"-port.grpc={p['s3'] + 10000}", f"-config={w / 's3.json'}",
                                "-port.iceberg=0", "-port.lance=0", f"-localSocket={w / 's3.sock'}"],
                  lambda _: checks.http_answers(f"http://{self.s3_endpoint}/", (200, 403)),
                  stop_seconds=5)  # stateless; on SIGTERM it waits out idle client connections (~20 s)
        self.order.append(stage)
        env = self.env
        api = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", host, "--no-access-log",
               "--proxy-headers", "--forwarded-allow-ips", host, "--port"]
        stage = []
        for i in range(1, self.api_count + 1):
            self._add(stage, f"api{i}", [*api, str(p[f"api{i}"])],
                      lambda _, u=self.api_urls[i - 1]: checks.http_answers(u + "/health"), env)
        celery = [sys.executable, "-m", "celery", "-A", "workers.celery_app"]
        ready = checks.logged(" ready.")
        for i in range(1, self.fast_workers + 1):
            self._add(stage, f"fast{i}", [*celery, "worker", "-Q", "fast", "-n", f"fast{i}@%h", "--concurrency",
                                          str(self.fast_concurrency), "--loglevel", "info"], ready, env)
        for queue in ("media", "transcode"):
            self._add(stage, queue, [*celery, "worker", "-Q", queue, "-n", f"{queue}@%h", "--concurrency",
                                     str(self.media_concurrency if queue == "media" else 1),
                                     "--loglevel", "info"], ready, env, nice=MEDIA_NICE)
        self._add(stage, "beat", [*celery, "beat", "-s", str(self.root / "data" / "celerybeat-schedule"),
                                  "--loglevel", "info"], checks.logged("beat: Starting"), env)
        self.order.append(stage)
        stage = []  # the proxy last: it is ready when it reaches an API process
        backends = [a for u in self.api_urls for a in ("--backend", u)]
        self._add(stage, "proxy", [sys.executable, "-m", "entrypoints.cluster.proxy", "--host", host,
                                   "--port", str(p["proxy"]), *backends],
                  lambda _: checks.http_answers(self.url + "/health"), stop_seconds=5)
        self.order.append(stage)

    def _postgres_argv(self) -> list[str]:
        run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return [*run_as, str(PG_BIN / "postgres"), "-D", str(self._pg_dir), "-p", str(self.ports["postgres"]),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self._pg_dir}",
                "-c", "max_connections=300", "-c", "fsync=off", "-c", "synchronous_commit=off"]

    def _init_postgres(self) -> None:
        """A private PostgreSQL cluster (tests: leaves the machine's alone), owned by `postgres` when we are root."""
        kept = self.root / "postgres.dir"
        if kept.exists() and Path(kept.read_text()).exists():
            self._pg_dir = Path(kept.read_text())
            return
        # Outside root: the test run folder is private to root, and PostgreSQL refuses to run as root.
        self._pg_dir = Path(tempfile.mkdtemp(prefix="evidence-cluster-pg-"))
        kept.write_text(str(self._pg_dir))
        run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if run_as:
            shutil.chown(self._pg_dir, "postgres", "postgres")
        subprocess.run([*run_as, str(PG_BIN / "initdb"), "-D", str(self._pg_dir / "data"), "-U", "postgres",
                        "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"],
                       check=True, capture_output=True, cwd="/")
        self._pg_dir = self._pg_dir / "data"
        kept.write_text(str(self._pg_dir))

    def _create_database(self) -> None:
        import psycopg

        admin_url, name = self.database_url.rsplit("/", 1)
        with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
                             autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start every process, stage by stage; return once each is ready. Stops all on failure.

        The database is migrated while SeaweedFS starts, and the buckets are made before the API
        processes and workers start together (none of them races another to create them)."""
        for sub in ("logs", "data", "seaweedfs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("master", "filer", *self._volume_names()):
            (self.root / "seaweedfs" / sub).mkdir(exist_ok=True)
        write_s3_config(self.root / "seaweedfs" / "s3.json", "evidence", self.env["EVIDENCE_S3_SECRET_KEY"])
        pool = ThreadPoolExecutor(1)
        migrated = None
        try:
            if self.own_postgres:
                self._init_postgres()
            self._define()
            for stage in self.order:
                if stage[0] == "api1":  # everything below the API is up
                    migrated.result()
                    self._make_buckets()
                for name in stage:
                    self.processes[name].start()
                self._wait_ready(stage)
                if migrated is None:  # the databases are up (or were never ours)
                    self._create_database()
                    migrated = pool.submit(self._evidence, "db", "upgrade")
        except BaseException:
            self.stop()
            raise
        finally:
            pool.shutdown()

    def _make_buckets(self) -> None:
        from storage.s3 import ObjectStore

        env = self.env
        ObjectStore(self.s3_endpoint, "evidence", env["EVIDENCE_S3_SECRET_KEY"],
                    originals_bucket=env.get("EVIDENCE_BUCKET_ORIGINALS", "evidence-originals"),
                    derived_bucket=env.get("EVIDENCE_BUCKET_DERIVED", "evidence-derived"),
                    lock_mode=env.get("EVIDENCE_OBJECT_LOCK_MODE", "COMPLIANCE")).ensure_buckets()

    def _wait_ready(self, names: list[str]) -> None:
        with ThreadPoolExecutor(len(names)) as pool:
            for f in [pool.submit(self.processes[n].wait_ready, START_SECONDS) for n in names]:
                f.result()

    def _evidence(self, *args: str, extra_env: dict | None = None) -> str:
        base = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
        done = subprocess.run([str(BIN / "evidence"), *args], env={**base, **self.env, **(extra_env or {})},
                              cwd=PROJECT, capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise RuntimeError(f"`evidence {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def kill(self, name: str) -> None:
        """SIGKILL that process and its children (a crash, an OOM kill, a host losing power)."""
        self.processes[name].kill()

    def stop_one(self, name: str) -> None:
        """Stop one process the way an operator would (SIGTERM, or SIGINT for PostgreSQL); `restart` brings it back."""
        self.processes[name].stop()

    def restart(self, name: str) -> None:
        """Start it again with the same ports and data (stopping it first if it runs), and wait until it is ready."""
        process = self.processes[name]
        if process.alive():
            process.stop()
        process.start()
        process.wait_ready(START_SECONDS)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) each process used so far, its children and earlier runs included."""
        return {name: self.processes[name].cpu_seconds() for name in self.names()}

    def stop(self, timeout: float | None = None) -> None:
        """Stop everything it started, last stage first; safe to call twice and after a failed start.
        `timeout` caps each process's graceful stop (a test that discards the data need not wait for
        workers to finish their tasks: they are acks_late and run again elsewhere)."""
        for stage in reversed(self.order):
            started = [self.processes[n] for n in stage if self.processes[n].proc is not None]
            if started:
                with ThreadPoolExecutor(len(started)) as pool:
                    list(pool.map(lambda p: p.stop(timeout), started))
        for port in self.ports.values():  # weed leaves gRPC unix sockets in /tmp named after its ports
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port + 10000}.sock"):
                sock.unlink(missing_ok=True)

    def discard(self) -> None:
        """After `stop`: delete the private PostgreSQL's data, kept outside root (tests call this)."""
        kept = self.root / "postgres.dir"
        if kept.exists():
            shutil.rmtree(Path(kept.read_text()).parent, ignore_errors=True)
            kept.unlink()

    def listening(self) -> list[tuple[str, str]]:
        """(process, where it listens or what it does), in start order."""
        where = {"postgres": self.database_url, "redis": self.redis_url, "s3": f"http://{self.s3_endpoint}",
                 "proxy": self.url, **{f"api{i + 1}": u for i, u in enumerate(self.api_urls)}}
        out = []
        for name in self.names():
            if name in where:
                out.append((name, where[name]))
            elif name in self.ports:
                out.append((name, f"http://127.0.0.1:{self.ports[name]}"))
            else:
                out.append((name, "queue " + ("fast" if name.startswith("fast") else name)
                            if name != "beat" else "scheduler"))
        return out

    # -- accounts ---------------------------------------------------------------------------------
    def create_admin(self, police_id: str, password: str, name: str = "Administrator") -> None:
        """An admin account, written straight to the database as `evidence create-admin` does (and
        audited the same way), without starting another interpreter."""
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from entrypoints.cli_common import CLI
        from evidence.identity import service as identity

        engine = create_engine(self.database_url)
        try:
            with Session(engine) as session:
                identity.create_user(session, CLI, police_id, name, "admin", password)
                session.commit()
        finally:
            engine.dispose()

    def login(self, police_id: str, password: str) -> str:
        r = httpx.post(self.url + "/api/v1/auth/login", json={"police_id": police_id, "password": password},
                       timeout=30)
        r.raise_for_status()
        return r.json()["access_token"]

    def admin_token(self) -> str:
        """A fresh token of an admin this cluster created on first use (police ID and password in `admin`)."""
        if self._admin is None:
            self._admin = ("CLUSTERADMIN" + secrets.token_hex(3).upper(), secrets.token_urlsafe(16))
            self.create_admin(*self._admin)
        return self.login(*self._admin)

    @property
    def admin(self) -> tuple[str, str] | None:
        return self._admin
