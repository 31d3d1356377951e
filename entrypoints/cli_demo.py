"""`evidence demo-month`: fill a box with a generated brigade month to try the supervisor pages on."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from entrypoints.cli_common import console
from entrypoints.cli_common import fail as _fail
from evidence.config import get_settings
from evidence.coverage import generated_load
from evidence.coverage.generated_month import generate, month_days
from evidence.db import get_engine


def _last_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def demo_month(
        month: Annotated[str | None, typer.Option(help="YYYY-MM; default last month. Only days already over are filled")] = None,
        scale: Annotated[float, typer.Option(help="share of a full brigade month (1: 300,000 events, 600,000 "
                                                  "recordings)")] = 0.01,
        officers: Annotated[int, typer.Option(help="officers, spread over the 中队")] = 60,
        brigades: Annotated[int, typer.Option(help="大队 under the one 支队")] = 2,
        squadrons: Annotated[int, typer.Option(help="中队 in each 大队")] = 3,
        seed: Annotated[int, typer.Option(help="the same seed and options write the same month")] = 20261129,
        prefix: Annotated[str, typer.Option(help="starts every unit code, 警号, camera serial and event id")] = "",
        force: Annotated[bool, typer.Option(help="write even though the database already holds events")] = False,
) -> None:
    """Write a generated month (units, officers, cameras and assignments, ledger events, recordings that
    cover, partly cover or miss them) into the configured database and compute its coverage.

    The recordings are rows without media: they count on every report but cannot be played."""
    tz = ZoneInfo(get_settings().timezone)
    today = datetime.now(tz).date()
    try:
        first, days = month_days(month or _last_month(today), today)
    except ValueError as exc:
        _fail(str(exc))
    if scale <= 0 or officers < 1 or brigades < 1 or squadrons < 1:
        _fail("--scale, --officers, --brigades and --squadrons must be positive")
    engine = get_engine()
    with engine.connect() as conn:
        held = generated_load.event_count(conn)
        base = generated_load.id_base(conn)
    if held and not force:
        _fail(f"this database already holds {held} enforcement events: a generated month would mix with them. "
              "Use a fresh box, or --force (with --prefix so codes do not clash) to add it anyway.")
    t0 = time.monotonic()
    m = generate(scale, officers, seed, first=first, days=days, brigades=brigades, squadrons=squadrons,
                 prefix=prefix, tz=tz, base=base)
    with engine.connect() as conn:
        taken = generated_load.taken_codes(conn, m)
    if taken:
        _fail(f"these codes are taken already: {', '.join(taken[:5])}{' …' if len(taken) > 5 else ''}; "
              "pick another --prefix")
    computed = generated_load.load(engine, m)
    console.print(f"{first:%Y-%m}: {days} days, {len(m.units)} units, {len(m.officers)} officers, {len(m.devices)} "
                  f"cameras, {len(m.events)} events, {m.recordings} recordings (planned {m.plan}); "
                  f"coverage of {computed} events computed in {time.monotonic() - t0:.1f} s")
    console.print(f"Units: {', '.join(u['code'] for u in m.units)}. Sign in as admin and add a supervisor of "
                  f"{m.units[1]['code']}:  evidence users add <警号> <name> supervisor --unit {m.units[1]['code']}")
