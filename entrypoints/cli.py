"""`evidence`: the server command line (single box, API, worker, administration, audit)."""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from entrypoints.cli_common import CLI, console
from entrypoints.cli_common import fail as _fail
from entrypoints.cli_coverage import coverage_app, ledger_app
from entrypoints.cli_keys import signing_app
from evidence import flows
from evidence.audit import anchor as audit_anchor
from evidence.audit import signing
from evidence.audit import service as audit
from evidence.cases import retention
from evidence.cases.export import write_export
from evidence.cases.models import Case
from evidence.config import get_settings
from evidence.db import session_scope
from evidence.errors import DomainError
from evidence.identity import service as identity
from evidence.identity.models import Role, User
from evidence.migrate import upgrade
from evidence.recordings import clock, processing
from evidence.recordings.models import ProcessingState, Recording
from evidence.store import get_store

app = typer.Typer(help="Body-camera evidence service.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
units_app = typer.Typer(help="Units (支队 → 大队 → 中队).", no_args_is_help=True)
users_app = typer.Typer(help="Users.", no_args_is_help=True)
stations_app = typer.Typer(help="Docking stations.", no_args_is_help=True)
devices_app = typer.Typer(help="Cameras and their assignments.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
media_app = typer.Typer(help="Media processing (proxies, thumbnails).", no_args_is_help=True)
cases_app = typer.Typer(help="Cases and court exports.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention sweep.", no_args_is_help=True)
app.add_typer(signing_app, name="signing-key")
for sub, name in ((db_app, "db"), (units_app, "units"), (users_app, "users"), (stations_app, "stations"),
                  (devices_app, "devices"), (audit_app, "audit"), (media_app, "media"),
                  (ledger_app, "ledger"), (coverage_app, "coverage"), (cases_app, "cases"),
                  (retention_app, "retention")):
    app.add_typer(sub, name=name)

@app.command()
def serve(no_worker: Annotated[bool, typer.Option(help="Do not start a worker")] = False) -> None:
    """Run the whole service on this machine: SeaweedFS, SQLite, embedded broker, worker, API."""
    from entrypoints.singlebox import serve as run

    raise typer.Exit(run(with_worker=not no_worker))


@app.command()
def cluster(root: Annotated[Path, typer.Option(help="Data and logs of every process")] = Path("data/cluster"),
            database_url: Annotated[str, typer.Option(help="PostgreSQL (created if missing); default: the "
                                                      "machine's, database evidence_cluster")] = "",
            redis_url: Annotated[str, typer.Option(help="Redis; default: the machine's")] = "",
            own_postgres: Annotated[bool, typer.Option(help="Run a private PostgreSQL in ROOT instead")] = False,
            own_redis: Annotated[bool, typer.Option(help="Run a private Redis in ROOT instead")] = False,
            apis: int = 2, fast_workers: int = 2, volumes: int = 3,
            replication: Annotated[str, typer.Option(help="SeaweedFS replication (001: a second copy on "
                                                     "another volume server of the rack)")] = "001",
            base_port: Annotated[int, typer.Option(help="First of the consecutive ports used (0: free ones)")] = 0,
            ) -> None:
    """Run the production topology as separate processes on this machine (README: production topology)."""
    from entrypoints.cluster.run import run

    raise typer.Exit(run(root, database_url=database_url or None, redis_url=redis_url or None,
                         own_postgres=own_postgres, own_redis=own_redis, api_count=apis, fast_workers=fast_workers,
                         volumes=volumes, replication=replication, base_port=base_port or None))


@app.command()
def api(host: str = "", port: int = 0) -> None:
    """Run only the HTTP API (production: behind a reverse proxy)."""
    import uvicorn

    s = get_settings()
    uvicorn.run("api.main:app", host=host or s.api_host, port=port or s.api_port, proxy_headers=True)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(ctx: typer.Context, queues: str = "fast,media,transcode", concurrency: int = 2,
           beat: Annotated[bool, typer.Option(help="Also run the scheduler (one per deployment)")] = False,
           nice: Annotated[int, typer.Option(help="Lower this worker's CPU priority by this much (media and "
                                                  "transcode workers: 10, so verification goes first)")] = 0) -> None:
    """Run a Celery worker (extra arguments are passed to celery)."""
    if nice:
        os.nice(nice)
    args = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q", queues,
            "--concurrency", str(concurrency), *(["-B"] if beat else []), *ctx.args]
    os.execv(sys.executable, args)


@app.command()
def beat() -> None:
    """Run the Celery scheduler (sweeps). Exactly one per deployment."""
    schedule = get_settings().data_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    os.execv(sys.executable, [sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat", "-s", str(schedule)])


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (creates the database schema on first run)."""
    url = get_settings().resolved_database_url()
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(url, revision)
    console.print(f"database at {revision}")


@app.command("create-admin")
def create_admin(police_id: Annotated[str, typer.Option(prompt=True)],
                 name: Annotated[str, typer.Option(prompt=True)],
                 password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                                       envvar="EVIDENCE_ADMIN_PASSWORD")]) -> None:
    """Create an administrator account (the first one, or another)."""
    try:
        with session_scope() as session:
            identity.create_user(session, CLI, police_id, name, Role.admin.value, password)
    except DomainError as exc:
        _fail(exc.message)
    console.print(f"admin {police_id} created")


@units_app.command("add")
def units_add(code: str, name: str, level: str = "unit", parent: str | None = None) -> None:
    """Add a unit under an optional parent unit code."""
    try:
        with session_scope() as session:
            unit = identity.create_unit(session, CLI, code, name, level, parent)
            console.print(f"unit {unit.code} created (id {unit.id})")
    except DomainError as exc:
        _fail(exc.message)


@users_app.command("add")
def users_add(police_id: str, name: str, role: Role, unit: str | None = None,
              password: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="EVIDENCE_USER_PASSWORD")] = "") -> None:
    """Add a user with a role in a unit."""
    try:
        with session_scope() as session:
            identity.create_user(session, CLI, police_id, name, role.value, password, unit)
    except DomainError as exc:
        _fail(exc.message)
    console.print(f"user {police_id} ({role.value}) created")


@stations_app.command("register")
def stations_register(name: str, unit: str | None = None) -> None:
    """Register a docking station and print its API key (shown once)."""
    try:
        with session_scope() as session:
            station, key = identity.register_station(session, CLI, name, unit)
            station_id = station.id
    except DomainError as exc:
        _fail(exc.message)
    console.print(f"station {station_id} registered. API key (store it in the dock agent's config now; "
                  f"it is not shown again):")
    print(key)


@stations_app.command("revoke")
def stations_revoke(station_id: int) -> None:
    """Revoke a station's API key at once."""
    try:
        with session_scope() as session:
            identity.revoke_station(session, CLI, station_id)
    except DomainError as exc:
        _fail(exc.message)
    console.print(f"station {station_id} revoked")


@devices_app.command("import-assignments")
def devices_import(csv_file: Path) -> None:
    """Import camera assignments: CSV with device_id,police_id,assigned_from,assigned_to."""
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {csv_file}: {exc}")
    try:
        with session_scope() as session:
            report = flows.import_assignments_csv(session, CLI, text)
    except DomainError as exc:
        _fail(exc.message)
    console.print(f"imported {report.imported}, updated {report.updated}, rejected {len(report.errors)}")
    for err in report.errors:
        console.print(f"  line {err['line']}: {err['reason']}")
    if report.errors:
        raise typer.Exit(1)


@devices_app.command("set-clock")
def devices_set_clock(serial: str,
                      device_time: Annotated[str, typer.Option(help="What the camera showed (ISO 8601, unit's zone)")],
                      actual_time: Annotated[str, typer.Option(help="The true time at that moment")],
                      all_flagged: Annotated[bool, typer.Option(
                          help="Also re-correct recordings corrected before")] = False) -> None:
    """Set a camera's clock offset: its recordings flagged `device clock implausible` move to their true time."""


    try:
        offset = clock.offset_from(datetime.fromisoformat(device_time), datetime.fromisoformat(actual_time))
        with session_scope() as session:
            out = flows.set_device_offset(session, CLI, serial, offset, only_uncorrected=not all_flagged)
    except ValueError as exc:
        _fail(f"not an ISO 8601 time: {exc}")
    except DomainError as exc:
        _fail(exc.message)
    console.print(f"camera {serial}: offset {offset} s, {out['recordings_corrected']} recording(s) corrected, "
                  f"{out['events_recomputed']} event(s) recomputed")


@audit_app.command("verify")
def audit_verify(chain_only: Annotated[bool, typer.Option(help="Skip the signed checkpoints in object "
                                                                "storage")] = False) -> None:
    """Check the audit log's hash chain, then its signed checkpoints (cut-off end, rewritten tail). Exit 1 if broken."""
    with session_scope() as session:
        report = audit.verify_chain(session)
        if report.ok:
            console.print(f"[green]audit chain intact[/]: {report.entries} entries")
        else:
            console.print(f"[red]audit chain BROKEN at entry {report.first_bad_id}[/]: {report.reason} "
                          f"({report.entries} entries before it are intact)")
        if chain_only:
            raise typer.Exit(0 if report.ok else 1)
        try:
            anchors = audit_anchor.verify(session, get_store())
        except Exception as exc:  # storage down or misconfigured: the log is not vouched for
            console.print(f"[red]checkpoints could not be read[/]: {exc}")
            raise typer.Exit(1)
    for problem in anchors.problems:
        console.print(f"[red]checkpoint:[/] {problem}", highlight=False)
    if anchors.last is None and not anchors.problems:
        console.print("[yellow]no checkpoint yet[/]: a cut-off end cannot be detected until one is written "
                      "(`evidence audit checkpoint`; the scheduler writes one periodically)")
    elif anchors.ok:
        n = anchors.unanchored
        console.print(f"[green]anchored[/]: checkpoint at entry {anchors.last['entry_id']} (signed "
                      f"{anchors.last['signed_at']}, {anchors.last['reason']}) matches; {n} "
                      f"{'entry' if n == 1 else 'entries'} after the last checkpoint", highlight=False)
    if not (report.ok and anchors.ok):
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head now and keep it in the object-locked bucket (the scheduler does this too)."""
    try:
        with session_scope() as session:
            cp = audit_anchor.take(session, get_store(), "cli")
    except DomainError as exc:
        _fail(exc.message)
    if cp is None:
        console.print("the audit log is empty: nothing to checkpoint")
        return
    console.print(f"checkpoint of entry {cp['entry_id']} (hash {cp['entry_hash']}) signed by key {cp['key_id']}, "
                  f"stored as {cp['object_key']}", highlight=False)


@media_app.command("reprocess")
def media_reprocess(recording: Annotated[int | None, typer.Option("--id", help="One recording")] = None,
                    state: Annotated[str | None, typer.Option(help="Every recording in this state, e.g. failed")] = None) -> None:
    """Re-run processing for one recording or for every recording in a state."""
    from workers.tasks import queue_processing

    if (recording is None) == (state is None):
        _fail("give either --id or --state", 2)
    try:
        with session_scope() as session:
            ids = [recording] if recording else processing.in_state(session, ProcessingState(state))
            for rec_id in ids:
                processing.request_reprocess(session, CLI, rec_id)
            important = {i: session.get(Recording, i).important for i in ids}
    except (DomainError, ValueError) as exc:
        _fail(getattr(exc, "message", str(exc)))
    for rec_id in ids:
        queue_processing(rec_id, important[rec_id])
    console.print(f"queued {len(ids)} recording(s) for processing")


@cases_app.command("export")
def cases_export(case_no: str, out: Path,
                 user: Annotated[str, typer.Option("--as", help="警号 of the case handler, supervisor or admin exporting")],
                 proxies: bool = False) -> None:
    """Write a case's court export ZIP (signed manifest, originals, audit entries, verifier)."""



    start = time.monotonic()
    try:
        with session_scope() as session:
            who = session.scalar(select(User).where(User.police_id == user))
            case = session.scalar(select(Case).where(Case.case_no == case_no))
            if who is None or case is None:
                _fail(f"no user {user}" if who is None else f"no case {case_no}")
            with open(out, "wb") as fh:
                record = write_export(session, get_store(), who, case, fh, proxies, ip="cli")
            size = record.size_bytes
    except DomainError as exc:
        out.unlink(missing_ok=True)
        _fail(exc.message)
    took = time.monotonic() - start

    fp = signing.fingerprint_of(signing.load_private())
    console.print(f"export written to {out}: {size / 1e6:.1f} MB of files in {took:.1f} s; "
                  f"verify with: evidence-verify-export {out} --fingerprint {fp}", highlight=False)


@retention_app.command("sweep")
def retention_sweep(apply: Annotated[bool, typer.Option(help="Delete (default: dry run, report only)")] = False) -> None:
    """Report (and with --apply delete) originals that are expired, unheld and on no case."""
    with session_scope() as session:
        report = retention.sweep(session, get_store(), dry_run=not apply, actor=CLI)
    console.print(f"{'deleted' if apply else 'would delete'}: {len(report['deleted'] if apply else report['candidates'])}"
                  f" recording(s); kept by object lock: {len(report['kept'])}")
    for item in (report["deleted"] if apply else report["candidates"])[:50]:
        console.print(f"  recording {item['id']} (kept until {item['retain_until']})")


if __name__ == "__main__":
    app()
