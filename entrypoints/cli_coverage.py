"""`evidence ledger` and `evidence coverage`: import enforcement events, recompute and report coverage."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entrypoints.cli_common import CLI, console
from entrypoints.cli_common import fail as _fail
from evidence.actors import WHOLE
from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.coverage import reports
from evidence.coverage.ledger_import import import_ledger
from evidence.coverage.service import recompute_all
from evidence.db import session_scope
from evidence.timeutil import to_utc

ledger_app = typer.Typer(help="Enforcement ledger (events from the systems that hold them).", no_args_is_help=True)
coverage_app = typer.Typer(help="Recording coverage of enforcement events.", no_args_is_help=True)


@ledger_app.command("import")
def ledger_import(ledger_file: Path) -> None:
    """Import events from CSV or XLSX; bad rows are listed by line, good rows import. Exit 1 if any was bad."""
    try:
        with ledger_file.open("rb") as stream, session_scope() as session:
            result = import_ledger(session, CLI, stream, ledger_file.name, get_settings().timezone)
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    console.print(f"events created {result.created}, updated {result.updated}, rejected {result.error_count}")
    for err in result.errors:
        console.print(f"  line {err['line']}: {err['reason']}")
    if result.error_count > len(result.errors):
        console.print(f"  … and {result.error_count - len(result.errors)} more bad rows")
    if result.error_count:
        raise typer.Exit(1)


@coverage_app.command("recompute")
def coverage_recompute() -> None:
    """Recompute the coverage of every event (after changing the coverage rules)."""
    start = time.monotonic()
    with session_scope() as session:
        n = recompute_all(session)
    console.print(f"{n} events recomputed in {time.monotonic() - start:.1f} s")


@coverage_app.command("report")
def coverage_report(
        group_by: Annotated[str, typer.Option(help="unit, officer, type, day, week or month")] = "unit",
        start_from: Annotated[str | None, typer.Option("--from", help="ISO date/time, unit's zone")] = None,
        start_to: Annotated[str | None, typer.Option("--to", help="ISO date/time, unit's zone (exclusive)")] = None,
        xlsx: Annotated[Path | None, typer.Option(help="Also write the summary, events and flagged lists to this .xlsx")] = None,
        csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the summary as CSV here")] = None) -> None:
    """Print the coverage summary; optionally export it (with the event list and flagged lists)."""
    tz = get_settings().timezone
    try:
        f = reports.EventFilter(start_from=to_utc(datetime.fromisoformat(start_from), tz) if start_from else None,
                                start_to=to_utc(datetime.fromisoformat(start_to), tz) if start_to else None)
    except ValueError as exc:
        _fail(f"bad time: {exc}", 2)
    reader = WHOLE  # the operator at the command line reads every unit
    with session_scope() as session:
        try:
            rows = reports.summary(session, reader, group_by, f)
        except ValueError as exc:
            _fail(str(exc), 2)
        audit.record(session, CLI, "coverage.summary", None, None, group_by=group_by, via="cli")
        if xlsx:
            events = reports.event_rows(session, reader, f)
            xlsx.write_bytes(reports.to_xlsx({
                f"by {group_by}": (reports.SUMMARY_COLUMNS, rows), "events": (reports.EVENT_COLUMNS, events),
                "roadside missing": (reports.EVENT_COLUMNS, [e for e in events if e["roadside"] and e["status"] == "missing"]),
            }))
    if csv_out:
        csv_out.write_bytes(reports.to_csv(rows, reports.SUMMARY_COLUMNS))
    table = Table(*reports.SUMMARY_COLUMNS)
    for r in rows:
        table.add_row(*(str(r[c]) if r[c] is not None else "-" for c in reports.SUMMARY_COLUMNS))
    console.print(table)
