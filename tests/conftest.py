"""Test session: real PostgreSQL and Redis as the machine runs them, a SeaweedFS S3 server
started here on free ports, the API served over HTTP by uvicorn, and a real Celery worker
process. Nothing is mocked.

Override the service addresses with EVIDENCE_TEST_PG (admin URL of PostgreSQL) and
EVIDENCE_TEST_REDIS.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from storage.seaweedfs import SeaweedFS, free_port

PG_ADMIN = os.environ.get("EVIDENCE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("EVIDENCE_TEST_REDIS", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parent.parent


def create_pg_database() -> str:
    name = f"evidence_test_{secrets.token_hex(4)}"
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"), "test-access", secrets.token_hex(16)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_url():
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@dataclass
class Service:
    base_url: str
    env: dict
    data_dir: Path
    worker: subprocess.Popen
    transcoder: subprocess.Popen | None = None
    media: subprocess.Popen | None = None
    http: httpx.Client = field(repr=False, default=None)


def _start_uvicorn(port: int):
    import uvicorn

    from api.main import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("API server did not start")
        time.sleep(0.05)
    return server, thread


def start_worker(env: dict, log: Path, queue: str = "fast", concurrency: int = 4) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q", queue,
         "-n", f"{queue}-{secrets.token_hex(3)}@%h", "--pool", "threads", "--concurrency", str(concurrency),
         "--loglevel", "warning"],
        env=env, cwd=ROOT, stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def service(seaweed, pg_url, tmp_path_factory):
    """The whole server on PostgreSQL + Redis + SeaweedFS, reachable over HTTP."""
    from evidence.db import reset_caches
    from evidence.migrate import upgrade

    data_dir = tmp_path_factory.mktemp("data")
    tag = secrets.token_hex(4)
    env = {
        "EVIDENCE_DATA_DIR": str(data_dir),
        "EVIDENCE_DATABASE_URL": pg_url,
        "EVIDENCE_BROKER_URL": REDIS,
        "EVIDENCE_BROKER_KEY_PREFIX": f"evidence-test-{tag}:",
        "EVIDENCE_S3_ENDPOINT": seaweed.endpoint,
        "EVIDENCE_S3_ACCESS_KEY": seaweed.access_key,
        "EVIDENCE_S3_SECRET_KEY": seaweed.secret_key,
        "EVIDENCE_BUCKET_ORIGINALS": f"originals-{tag}",
        "EVIDENCE_BUCKET_DERIVED": f"derived-{tag}",
        "EVIDENCE_SECRET_KEY": secrets.token_urlsafe(32),
        "EVIDENCE_PART_SIZE_MIB": "5",
        "EVIDENCE_PROCESSING_STALE_SECONDS": "6",
        "EVIDENCE_PROCESSING_HEARTBEAT_SECONDS": "1",
        "EVIDENCE_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    reset_caches()
    upgrade(pg_url)
    full_env = dict(os.environ)
    worker = start_worker(full_env, data_dir / "worker.log")
    media_worker = start_worker(full_env, data_dir / "media.log", "media", 2)
    transcoder = start_worker(full_env, data_dir / "transcoder.log", "transcode", 2)
    port = free_port()
    server, thread = _start_uvicorn(port)
    svc = Service(f"http://127.0.0.1:{port}", full_env, data_dir, worker, transcoder, media_worker)
    svc.http = httpx.Client(base_url=svc.base_url, timeout=60)
    yield svc
    svc.http.close()
    server.should_exit = True
    thread.join(10)
    stop_process(svc.worker)
    for proc in (svc.transcoder, svc.media):
        if proc is not None:
            stop_process(proc)
    reset_caches()
    _drop_broker_keys(env["EVIDENCE_BROKER_KEY_PREFIX"])


def _drop_broker_keys(prefix: str) -> None:
    """Leave the machine's Redis as we found it."""
    import redis

    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def store(service):
    from evidence.store import get_store

    return get_store()


def unique(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[:8]


@dataclass
class World:
    """Units, users and a station created through the admin API for one test module."""

    service: Service
    admin_token: str
    units: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)  # role name -> (police_id, password, token)
    station_key: str = ""
    station_id: int = 0

    def headers(self, who: str) -> dict:
        if who == "station":
            return {"X-Station-Key": self.station_key}
        return {"Authorization": f"Bearer {self.users[who][2]}"}


def login(http: httpx.Client, police_id: str, password: str) -> str:
    r = http.post("/api/v1/auth/login", json={"police_id": police_id, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture(scope="session")
def admin_token(service):
    from evidence.audit import service as audit
    from evidence.identity import service as identity
    from evidence.db import session_scope

    police_id, password = unique("A"), secrets.token_urlsafe(12)
    with session_scope() as session:
        identity.create_user(session, audit.SYSTEM, police_id, "Test Admin", "admin", password)
    return login(service.http, police_id, password)


def build_world(service: Service, admin_token: str) -> World:
    """支队 → two 大队 → a 中队 under the first; officers, supervisors, the other roles; a station."""
    http, auth = service.http, {"Authorization": f"Bearer {admin_token}"}
    world = World(service, admin_token)
    tag = unique()
    for key, level, parent in (("zd", "detachment", None), ("dd1", "brigade", "zd"), ("dd2", "brigade", "zd"),
                               ("zhd1", "squadron", "dd1")):
        code = f"{key}-{tag}"
        r = http.post("/api/v1/units", headers=auth, json={"code": code, "name": f"{key} unit", "level": level,
                                                           "parent_code": world.units.get(parent, {}).get("code")})
        assert r.status_code == 201, r.text
        world.units[key] = r.json()
    people = {
        "officer_a": ("officer", "zhd1"), "officer_b": ("officer", "zhd1"), "officer_c": ("officer", "dd2"),
        "supervisor_dd1": ("supervisor", "dd1"), "supervisor_dd2": ("supervisor", "dd2"),
        "case_handler": ("case_handler", "dd1"), "auditor": ("auditor", None), "admin2": ("admin", None),
    }
    for name, (role, unit) in people.items():
        police_id, password = unique("P").upper(), secrets.token_urlsafe(12)
        r = http.post("/api/v1/users", headers=auth, json={
            "police_id": police_id, "name": name, "role": role, "password": password,
            "unit_code": world.units[unit]["code"] if unit else None})
        assert r.status_code == 201, r.text
        world.users[name] = (police_id, password, login(http, police_id, password))
    r = http.post("/api/v1/stations", headers=auth, json={"name": f"dock-{tag}", "unit_code": world.units["dd1"]["code"]})
    assert r.status_code == 201, r.text
    world.station_key, world.station_id = r.json()["api_key"], r.json()["id"]
    return world


@pytest.fixture(scope="module")
def world(service, admin_token) -> World:
    return build_world(service, admin_token)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


# -- the browser (tests/web and the dock screen share one: Playwright allows one sync driver per process)
CHROMIUM = os.environ.get("EVIDENCE_TEST_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling out of this closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        p.selectors.set_test_id_attribute("data-test")
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
