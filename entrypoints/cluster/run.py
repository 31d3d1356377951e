"""`evidence cluster` (scripts/cluster): start the production topology as processes on this machine,
show where each listens, bring back any process that dies, and stop everything on Ctrl-C.

A person tries the multi-host layout here before spreading it over hosts: every process can be
killed (`kill -9 <pid>`) and is started again on its own ports and data, as a process manager
(systemd, a container runtime) would on the real hosts.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from entrypoints.cluster.topology import Cluster

console = Console()
WATCH_SECONDS = 1.0


def _first_admin(cluster: Cluster) -> tuple[str, str, bool]:
    """The admin this cluster root was given on its first start (police ID, password, new?)."""
    kept = cluster.root / "secrets" / "first_admin"
    if kept.exists():
        police_id, password = kept.read_text().split("\n")[:2]
        return police_id, password, False
    import secrets

    police_id, password = "admin", secrets.token_urlsafe(12)
    cluster.create_admin(police_id, password)
    kept.write_text(f"{police_id}\n{password}\n")
    kept.chmod(0o600)
    return police_id, password, True


def _show(cluster: Cluster) -> None:
    table = Table(title="Evidence cluster", show_lines=False)
    for column in ("process", "listens on / serves", "pid", "log"):
        table.add_column(column)
    for name, where in cluster.listening():
        process = cluster.processes[name]
        table.add_row(name, where, str(process.proc.pid), str(process.log.relative_to(cluster.root)))
    console.print(table)


def run(root: Path, **options) -> int:
    cluster = Cluster(root, **options)
    console.print(f"[bold]Starting the cluster[/] in {cluster.root} (database {cluster.database_url}, "
                  f"broker {cluster.redis_url}) …")
    try:
        cluster.start()
    except KeyboardInterrupt:
        console.print("Interrupted; everything started so far was stopped.")
        return 130
    except RuntimeError as exc:
        console.print(f"[red]The cluster did not start:[/] {exc}")
        return 1
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        police_id, password, new = _first_admin(cluster)
        _show(cluster)
        console.print(f"\n[bold green]Up:[/] {cluster.url}  (S3 {cluster.s3_endpoint}; logs in {cluster.root / 'logs'})")
        console.print(f"Log in as police ID [bold]{police_id}[/]" +
                      (f" with password [bold]{password}[/]" if new else "") +
                      f" (kept in {cluster.root / 'secrets' / 'first_admin'}).")
        console.print("A process that dies is started again. Press Ctrl-C to stop everything.\n")
        while not stopping:
            for name in cluster.names():
                process = cluster.processes[name]
                if not stopping and not process.alive():
                    console.print(f"[yellow]{name} exited with code {process.proc.returncode}; starting it again[/]")
                    try:
                        cluster.restart(name)
                        console.print(f"{name} is back (pid {process.proc.pid})")
                    except RuntimeError as exc:
                        console.print(f"[red]{name} did not come back:[/] {exc}\nStopping everything.")
                        return 1
            time.sleep(WATCH_SECONDS)
        return 0
    finally:
        console.print("Stopping…")
        cluster.stop()
        console.print("Stopped.")
