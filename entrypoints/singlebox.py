"""`evidence serve`: the whole service on one machine with no external service.

Starts a local SeaweedFS S3 server (data kept in data_dir/seaweedfs), migrates the SQLite
database, runs Celery workers and beat on the embedded SQLite broker and the API, and
stops them in reverse order on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

from rich.console import Console
from sqlalchemy import select

from entrypoints.children import Supervisor
from evidence import secrets_store
from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.db import reset_caches, session_scope
from evidence.identity import service as identity
from evidence.identity.models import Role, User
from evidence.migrate import upgrade
from storage.seaweedfs import SeaweedFS

console = Console()
MEDIA_NICE = 19  # media and transcode workers take what CPU verification, the API and storage leave


def ensure_first_admin(data_dir: Path) -> tuple[str, str] | None:
    """On first start, create an admin with a random password kept in data_dir/secrets."""
    with session_scope() as session:
        if session.scalar(select(User.id).where(User.role == Role.admin.value).limit(1)):
            return None
        password = secrets_store.initial_admin_password(data_dir)
        identity.create_user(session, audit.SYSTEM, "admin", "Administrator", Role.admin.value, password)
    return "admin", password


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "in use"
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve(with_worker: bool = True) -> int:
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, EVIDENCE_DATA_DIR=str(data_dir))
    os.environ.update(env)
    reset_caches()
    settings = get_settings()

    host, _, port = settings.s3_endpoint.rpartition(":")
    weed = SeaweedFS(data_dir / "seaweedfs", settings.s3_access_key, secrets_store.s3_secret(),
                     s3_port=int(port))
    children = Supervisor(console)
    stopping = failed = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for what, port_number in (("S3", int(port)), ("API", settings.api_port)):
        if not port_is_free(host or "127.0.0.1", port_number):
            console.print(f"[red]error:[/] port {port_number} for the {what} is already in use: is another "
                          f"`evidence serve` running? Stop it, or set EVIDENCE_{'S3_ENDPOINT' if what == 'S3' else 'API_PORT'}.")
            return 2
    try:
        console.print(f"[bold]Starting SeaweedFS[/] S3 on {settings.s3_endpoint} (data in {weed.data_dir})")
        weed.start()
        console.print("[bold]Migrating database[/] " + settings.resolved_database_url())
        upgrade(settings.resolved_database_url())
        created = ensure_first_admin(data_dir)
        if with_worker:
            celery = [sys.executable, "-m", "celery", "-A", "workers.celery_app"]
            if sys.stdout.isatty():
                celery.append("--quiet")  # no start-up banners between the log lines a person reads
            console.print("[bold]Starting workers[/] fast (verification, 4 processes), media (1), transcode (1) "
                          "and the scheduler")
            level = ["--loglevel", settings.log_level.lower()]
            # Verification has its own worker; media work and transcodes run in theirs at a lower CPU
            # priority, so neither a dock session's thumbnails nor a transcode backlog delays it.
            children.start("worker (fast)", [*celery, "worker", "-Q", "fast", "-n", "fast@%h", "--concurrency", "4",
                                             *level], env)
            for queue in ("media", "transcode"):
                children.start(f"worker ({queue})", [*celery, "worker", "-Q", queue, "-n", f"{queue}@%h",
                                                      "--concurrency", "1", *level], env, nice=MEDIA_NICE)
            children.start("scheduler", [*celery, "beat", "-s", str(data_dir / "celerybeat-schedule"), *level], env)
        children.start("api", [sys.executable, "-m", "uvicorn", "api.main:app", "--host", settings.api_host,
                               "--port", str(settings.api_port), "--no-access-log"], env)
        url = f"http://{settings.api_host}:{settings.api_port}"
        console.print(f"\n[bold green]Evidence service is up:[/] {url}   (API docs: {url}/docs)")
        if created:
            kept_in = secrets_store.secret_path(secrets_store.INITIAL_ADMIN_PASSWORD, data_dir)
            console.print(f"First start: log in as police ID [bold]{created[0]}[/] with password "
                          f"[bold]{created[1]}[/] (also kept in {kept_in})")
        else:
            console.print("Log in with your admin police ID and password; create more admins with "
                          "`evidence create-admin`.")
        console.print("Press Ctrl-C to stop.\n")
        while not stopping:
            reason = children.check()
            if reason:
                console.print(f"[red]{reason}; stopping everything[/]")
                stopping = failed = True
            time.sleep(0.5)
    finally:
        children.stop()
        console.print("Stopping SeaweedFS…")
        weed.stop()
        console.print("Stopped.")
    return 1 if failed else 0
