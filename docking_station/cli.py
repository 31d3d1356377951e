"""`evidence-dock`: the docking-station agent's command line."""

from __future__ import annotations

import logging
import logging.handlers
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from docking_station.config import AgentSettings

app = typer.Typer(help="Docking-station agent: cameras → spool → evidence server.", no_args_is_help=True)
console = Console()
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="dock.env file (default: ./dock.env)")]


def load_settings(config: Path | None) -> AgentSettings:
    try:
        if config is not None:
            if not config.is_file():
                raise typer.BadParameter(f"config file {config} does not exist", param_hint="--config")
            return AgentSettings(_env_file=config)
        return AgentSettings()
    except ValidationError as exc:
        console.print(f"[red]configuration error:[/] {exc}")
        raise typer.Exit(2) from None


def setup_logging(settings: AgentSettings, verbose: bool) -> None:
    settings.spool_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(settings.resolved_log_file, maxBytes=20_000_000, backupCount=5,
                                                   encoding="utf-8", errors="backslashreplace")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if verbose or not console.is_terminal:
        err = logging.StreamHandler(sys.stderr)
        err.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        err.setLevel(logging.INFO if verbose else logging.WARNING)
        root.addHandler(err)


def _require_key(settings: AgentSettings) -> None:
    if not settings.station_key:
        console.print("[red]no station key:[/] register this dock (`evidence stations register NAME`) and put "
                      "the key in DOCK_STATION_KEY (or dock.env)")
        raise typer.Exit(2)


def _open_screen(settings: AgentSettings, state):
    from docking_station.screen import open_screen

    page, line = open_screen(state, settings.screen_host, settings.screen_port)
    console.print(line if page else f"[yellow]{line}[/]")
    return page


def _stop_on_signals(agent) -> None:
    def handler(signum, _frame):
        console.print(f"[yellow]received {signal.Signals(signum).name}: finishing the current step and stopping…[/]")
        agent.stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@app.command()
def ingest(cameras: Annotated[list[Path], typer.Argument(help="Camera folder(s) to ingest now")],
           config: ConfigOpt = None, wipe: Annotated[bool | None, typer.Option(help="Override the wipe policy")] = None,
           spool_only: Annotated[bool, typer.Option(help="Stage 1 only: copy to the spool, upload later")] = False,
           screen: Annotated[bool, typer.Option("--screen/--no-screen",
                                                help="Also show the dock screen's page (DOCK_SCREEN_PORT) while it runs")] = False,
           verbose: bool = False) -> None:
    """One shot: copy the given camera folders to the spool, upload, wait for verification.

    Exit code 0 only when every file is verified; 1 otherwise (the summary says why).
    """
    from docking_station.agent import Agent
    from docking_station.display import Display, summary
    from docking_station.dock_state import DockState

    settings = load_settings(config)
    if wipe is not None:
        settings.wipe = wipe
    _require_key(settings)
    missing = [str(c) for c in cameras if not c.is_dir()]
    if missing:
        console.print(f"[red]not a folder:[/] {', '.join(missing)}")
        raise typer.Exit(2)
    setup_logging(settings, verbose)
    state = DockState(forget_after=settings.screen_forget_minutes * 60)
    page = _open_screen(settings, state) if screen else None
    with Display(console, state) as display:
        agent = Agent(settings, stage1_events=display, upload_events=display.upload_events())
        _stop_on_signals(agent)
        try:
            reports = agent.ingest(cameras, upload=not spool_only)
            roots = {str(r.root) for r in reports}
            done = ("spooled", "uploading", "verifying", "verified") if spool_only else ("verified",)
            problems = [e for e in agent.journal.all() if e.state not in done and e.camera_root in roots]
            counts = agent.journal.counts()
        finally:
            agent.close()
            if page:
                page.stop()
    summary(console, reports, agent.uploader.outcome, counts, problems)
    failed = problems or any(r.waiting for r in reports)
    raise typer.Exit(1 if failed else 0)


@app.command()
def run(config: ConfigOpt = None, verbose: bool = False) -> None:
    """Service mode: watch the mount roots, ingest every camera docked, upload continuously.

    The dock screen's page (DOCK_SCREEN_HOST:DOCK_SCREEN_PORT, 0 turns it off) runs with it."""
    from docking_station.agent import Agent
    from docking_station.dock_state import DockState

    settings = load_settings(config)
    _require_key(settings)
    if not settings.mount_roots:
        console.print("[red]no mount roots:[/] set DOCK_MOUNT_ROOTS, e.g. '[\"/media/cameras\"]'")
        raise typer.Exit(2)
    setup_logging(settings, verbose)
    state = DockState(forget_after=settings.screen_forget_minutes * 60)
    agent = Agent(settings, stage1_events=state, upload_events=state.upload_events())
    _stop_on_signals(agent)
    page = _open_screen(settings, state)
    logging.getLogger(__name__).info("agent started: watching %s, spool %s, wipe=%s",
                                     [str(r) for r in settings.mount_roots], settings.spool_dir, settings.wipe)
    try:
        agent.run_forever()
    finally:
        agent.close()
        if page:
            page.stop()


@app.command()
def heartbeat(config: ConfigOpt = None) -> None:
    """Report this station's state to the server once (what `run` does every DOCK_HEARTBEAT_SECONDS):
    a quick check that the key and the server address work. Exit code 1 when not delivered."""
    from docking_station.agent import Agent

    settings = load_settings(config)
    _require_key(settings)
    setup_logging(settings, False)
    agent = Agent(settings)
    try:
        delivered = agent.heartbeat()
    finally:
        agent.close()
    if not delivered:
        console.print(f"[red]heartbeat not delivered[/] to {settings.server_url}: see the log "
                      f"{settings.resolved_log_file}")
        raise typer.Exit(1)
    console.print(f"heartbeat delivered to {settings.server_url}")


@app.command()
def status(config: ConfigOpt = None, all_files: Annotated[bool, typer.Option("--all")] = False) -> None:
    """Show the journal: files pending, uploading, verified, refused, with last errors."""
    from docking_station.journal import Journal

    settings = load_settings(config)
    if not settings.journal_path.exists():
        console.print(f"no journal at {settings.journal_path}: nothing ingested yet")
        raise typer.Exit(0)
    journal = Journal(settings.journal_path)
    counts = journal.counts()
    console.print("Journal: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"))
    rows = journal.all() if all_files else [e for e in journal.all() if e.state != "verified"]
    table = Table("camera", "file", "state", "size", "recording", "wiped", "last error")
    for e in rows[-500:]:
        table.add_row(e.camera, e.display_path, e.state, f"{e.size / 1e6:.1f} MB", str(e.recording_id or ""),
                      "yes" if e.wiped_at else "", (e.last_error or "")[:80])
    console.print(table)
    journal.close()
    raise typer.Exit(1 if counts.get("refused") else 0)


if __name__ == "__main__":
    app()
