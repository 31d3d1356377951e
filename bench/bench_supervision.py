#!/usr/bin/env python
"""Supervision pages on a brigade month: p95 of every API call the home page (首页) and the
coverage explorer make, against a static-file floor, and the home page fully drawn in Chromium.

For each backend (PostgreSQL, SQLite) it starts SeaweedFS and a fresh migrated database through
`_stack.Stack`, bulk-loads bench_coverage's generated month as untimed set-up (`--scale 1`: 500
officers, 300,000 events, 600,000 recordings; `evidence/coverage/generated_month.py`, `_coverage_measure.load`),
computes its coverage once with `recompute_all` (untimed), then starts the real API (uvicorn,
`_library_floor.py`: the project's app plus one static mount serving the floor from the same
process) and makes a supervisor of one 大队 through the HTTP API.

Timed, per call (after waiting for an idle machine, `_idle.py`): `--requests` requests of each
API call the two pages make, as the supervisor and as the admin, interleaved with the same JSON
body served as a static file by the same server (the floor). Printed: p50/p95 of both and the
ratio. Then, in Debian's Chromium, the home page fully drawn (its charts and to-do counts on
screen: both charts' SVG and the to-do list), median of `--page-rounds` fresh loads, against the
application's sign-in page (the same bundle's shell, no data) loaded the same way.

    .venv/bin/python bench/bench_supervision.py [--scale 1] [--backends postgresql,sqlite]
                                                [--requests 40] [--page-rounds 10] [--idle-timeout 600]
                                                [--keep-db DIR]

Goal (issue 13): every call's p95 ≤ 300 ms, the home page drawn within 2 s (median of 10).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402

from _common import log  # noqa: E402
from _floor import save_floor, time_against_floor  # noqa: E402
from _idle import add_idle_option, wait_for_idle  # noqa: E402
from _stack import Stack, drop_pg  # noqa: E402

SUPERVISOR, PASSWORD = "700001", "Bench-Supervisor-2026!"
ROOT_ADMIN = "BENCHROOT"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
READY = ("[data-test=chart-rate] svg", "[data-test=chart-counts] svg", "[data-test=todo]")


def calls(month_start: date, brigade_id: int, event_id: int, police_id: str) -> list[tuple[str, str, str, dict]]:
    """(name, caller, path, params): what the home page and the coverage explorer ask for."""
    first = (month_start + timedelta(days=15)).replace(day=1)  # the calendar month the generated one mostly covers
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    week = first + timedelta(days=7 - first.weekday())
    span = {"from": first.isoformat(), "to": last.isoformat()}
    out = [(f"{who}-{name}", who, path, {}) for who in ("supervisor", "admin")
           for name, path in (("me", "/api/v1/auth/me"), ("site", "/api/v1/site"), ("units", "/api/v1/units"))]
    for who in ("supervisor", "admin"):
        out += [
            (f"{who}-overview-month", who, "/api/v1/supervision/overview", {"period": "month", "start": first.isoformat()}),
            (f"{who}-overview-week", who, "/api/v1/supervision/overview", {"period": "week", "start": week.isoformat()}),
            (f"{who}-overview-day", who, "/api/v1/supervision/overview", {"period": "day", "start": (week + timedelta(days=2)).isoformat()}),
            (f"{who}-explorer-units", who, "/api/v1/coverage/explorer/units", span),
            (f"{who}-explorer-officers", who, "/api/v1/coverage/explorer/officers", {**span, "unit_id": brigade_id}),
            (f"{who}-unit-events", who, "/api/v1/coverage/explorer/events",
             {**span, "unit_id": brigade_id, "status": "missing,partial"}),
            (f"{who}-officer-events", who, "/api/v1/coverage/explorer/events", {**span, "officer": police_id}),
            (f"{who}-event-gaps", who, f"/api/v1/coverage/events/{event_id}/gaps", {}),
            (f"{who}-roadside-missing", who, "/api/v1/coverage/roadside-missing",  # the first page, as the tab asks
             {"start_from": f"{first}T00:00:00", "start_to": f"{last + timedelta(days=1)}T00:00:00", "limit": 50}),
            (f"{who}-accident-cases", who, "/api/v1/coverage/accident-cases-without-recording",
             {"start_from": f"{first}T00:00:00", "start_to": f"{last + timedelta(days=1)}T00:00:00", "limit": 50}),
        ]
    return out


def measure(client: httpx.Client, name: str, path: str, params: dict, token: str, n: int, floor_dir: Path,
            stack: Stack, idle_timeout: float) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        r = save_floor(client, path, params, headers, floor_dir, name, warm=2)
    except httpx.HTTPStatusError as exc:
        return {"name": name, "path": path, "error": f"{exc.response.status_code} {exc.response.text[:200]}"}
    wait = wait_for_idle(name, idle_timeout, own=stack.pids)
    return {"name": name, "path": path, "params": params, "bytes": len(r.content),
            **time_against_floor(client, path, params, headers, name, n), "idle_wait": wait.as_dict()}


def page_times(base_url: str, rounds: int, idle_timeout: float, stack: Stack, supervisor: str = SUPERVISOR) -> dict:
    """Home page drawn (median of fresh loads) against the sign-in page of the same bundle."""
    from playwright.sync_api import sync_playwright

    home, shell = [], []
    with sync_playwright() as p:
        p.selectors.set_test_id_attribute("data-test")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            token = httpx.post(base_url + "/api/v1/auth/login", json={"police_id": supervisor, "password": PASSWORD},
                               timeout=60).json()["access_token"]
            for i in range(rounds):
                wait_for_idle(f"page round {i + 1}", idle_timeout, own=stack.pids)
                for which in (("home", "shell") if i % 2 == 0 else ("shell", "home")):
                    context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=base_url)
                    if which == "home":  # signed in from the stored token, as a returning supervisor is
                        context.add_init_script(f"localStorage.setItem('token', {json.dumps(token)})")
                    page = context.new_page()
                    t = time.perf_counter()
                    if which == "home":
                        page.goto("/overview")
                        for selector in READY:
                            page.wait_for_selector(selector, timeout=30_000)
                        home.append((time.perf_counter() - t) * 1000)
                    else:
                        page.goto("/login")
                        page.get_by_test_id("sign-in").wait_for(timeout=30_000)
                        shell.append((time.perf_counter() - t) * 1000)
                    context.close()
        finally:
            browser.close()
    return {"home_ms": home, "shell_ms": shell, "home_median": statistics.median(home),
            "shell_median": statistics.median(shell)}


def run_backend(backend: str, args, work: Path) -> dict:
    from _coverage_measure import load
    from evidence.coverage.generated_month import generate
    from evidence import db as evdb
    from evidence.coverage import service as coverage

    floor_dir = work / f"floor-{backend}"
    floor_dir.mkdir(parents=True)
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]), "BENCH_FLOOR_DIR": str(floor_dir)}
    kept_url, marker = "", None
    if args.keep_db:  # a database kept between runs: set up once, then reused (migrated again by the stack)
        args.keep_db.mkdir(parents=True, exist_ok=True)
        tag = f"{args.scale:g}".replace(".", "_") + f"_{args.officers}"
        marker = args.keep_db / f"supervision-{backend}-{tag}.json"
        kept_url = (args.pg_admin.rsplit("/", 1)[0] + f"/bench_supervision_kept_{tag}" if backend == "postgresql"
                    else f"sqlite:///{(args.keep_db / f'supervision-{tag}.db').resolve()}")
        if not marker.is_file():  # not set up to the end before: start from an empty database
            if backend == "postgresql":
                drop_pg(kept_url, args.pg_admin)
            else:
                Path(kept_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    stack = Stack(work / backend, storage=True, database=backend, api=False, api_app="_library_floor:app",
                  pg_admin=args.pg_admin, pg_prefix="bench_supervision", env=env, database_url=kept_url)
    out: dict = {"backend": backend}
    try:
        (work / backend).mkdir()
        stack.start()
        stack.use_here()
        t0 = time.monotonic()
        kept = json.loads(marker.read_text()) if marker is not None and marker.is_file() else None
        if kept:
            m = generate(args.scale, args.officers, first=date.fromisoformat(kept["first"]))
            out["reused"] = kept
            log(f"{backend}: reusing the month set up on {kept['made']} in {kept_url}")
        else:
            m = generate(args.scale, args.officers)
            out["load_seconds"] = load(m, backend)
            with evdb.session_scope() as s:
                out["events"] = coverage.recompute_all(s)
            if marker is not None:
                marker.write_text(json.dumps({"first": m.start.date().isoformat(), "url": kept_url,
                                              "made": time.strftime("%Y-%m-%d %H:%M:%S")}))
        out["setup_seconds"] = round(time.monotonic() - t0, 1)
        log(f"{backend}: {len(m.events)} events, {m.recordings} recordings loaded and covered in {out['setup_seconds']} s")
        root_admin, supervisor = ROOT_ADMIN, SUPERVISOR
        if kept:  # the kept database holds the earlier runs' accounts: new ones for this run
            suffix = secrets.randbelow(90000) + 10000
            root_admin, supervisor = f"{ROOT_ADMIN}{suffix}", f"7{suffix}"
        stack.start_api(root_admin)
        brigade = next(u for u in m.units if u["code"] == "DD1")
        with stack.http(timeout=60) as api:
            api.post("/api/v1/users", json={"police_id": supervisor, "name": "王督察", "role": "supervisor",
                                            "password": PASSWORD, "unit_code": "DD1"}).raise_for_status()
        tokens = {"admin": stack.token, "supervisor": stack.login_as(supervisor, PASSWORD)}
        squadrons = {u["id"] for u in m.units if u.get("parent_id") == brigade["id"]}  # the supervisor's reach
        officer = next(o for o in m.officers if o["unit_id"] in squadrons)
        event_id = next(e[0] for e in m.events if e[8] in squadrons)
        results = []
        with httpx.Client(base_url=stack.api_url, timeout=60) as client:
            for name, who, path, params in calls(m.start.date(), brigade["id"], event_id, officer["police_id"]):
                res = measure(client, name, path, params, tokens[who], args.requests, floor_dir, stack, args.idle_timeout)
                if "error" in res:
                    log(f"  {name:32s} ERROR {res['error']}")
                else:
                    log(f"  {name:32s} {res['bytes']:>8} B  api p95 {res['api_p95']:6.1f} ms  floor p95 {res['floor_p95']:5.1f} ms"
                        f"  ratio {res['api_p95'] / res['floor_p95']:.1f}×")
                results.append(res)
        out["calls"] = results
        if args.page_rounds:
            out["page"] = page_times(stack.api_url, args.page_rounds, args.idle_timeout, stack, supervisor)
            log(f"  home page drawn: median {out['page']['home_median']:.0f} ms; sign-in shell "
                f"{out['page']['shell_median']:.0f} ms; ratio {out['page']['home_median'] / out['page']['shell_median']:.2f}×")
        return out
    finally:
        evdb.reset_caches()  # close this process's connections before the database is dropped
        stack.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of the full brigade month (1: 300,000 events)")
    ap.add_argument("--officers", type=int, default=500)
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--requests", type=int, default=40, help="timed requests per call (and as many of the floor)")
    ap.add_argument("--page-rounds", type=int, default=10, help="Chromium loads of the home page (0: skip)")
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--keep-db", type=Path, metavar="DIR",
                    help="keep the set-up databases (PostgreSQL: bench_supervision_kept_<scale>_<officers>; SQLite: a file "
                         "in DIR) and reuse them on the next run with the same DIR, --scale and --officers")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    add_idle_option(ap)
    args = ap.parse_args()
    if args.page_rounds and not (ROOT / "web" / "dist" / "index.html").is_file():
        log("building web/ (npm --prefix web run build)")
        import subprocess

        subprocess.run(["npm", "--prefix", str(ROOT / "web"), "run", "build"], check=True)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_supervision_") as tmp:
        for backend in args.backends.split(","):
            runs.append(run_backend(backend, args, Path(tmp)))
    path = args.out / f"supervision-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(runs, indent=2, default=str))
    print()
    print(f"{'backend':10s} {'call':32s} {'api p95':>9s} {'floor p95':>10s} {'ratio':>6s}")
    worst = 0.0
    for run in runs:
        for c in run.get("calls", []):
            if "error" in c:
                print(f"{run['backend']:10s} {c['name']:32s} ERROR")
                continue
            worst = max(worst, c["api_p95"])
            print(f"{run['backend']:10s} {c['name']:32s} {c['api_p95']:7.1f}ms {c['floor_p95']:8.1f}ms "
                  f"{c['api_p95'] / c['floor_p95']:5.1f}×")
        if "page" in run:
            print(f"{run['backend']:10s} home page drawn (median)       {run['page']['home_median']:7.0f}ms "
                  f"{run['page']['shell_median']:8.0f}ms {run['page']['home_median'] / run['page']['shell_median']:5.2f}×")
    print(f"\nworst API p95 {worst:.0f} ms (goal ≤ 300); figures in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
