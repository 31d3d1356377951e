#!/usr/bin/env python
"""Benchmark of the coverage computation and the monthly summaries on a generated brigade month.

For each backend (PostgreSQL, SQLite) and each scale it creates a fresh database, migrates it,
generates a month (30 days) of a brigade of `--officers` officers: scale × 300,000 enforcement
events and scale × 600,000 verified recordings (bulk inserts, psycopg COPY on PostgreSQL),
arranged so that about 70 % of events are covered, 15 % partial and 15 % missing. It then times:

  a. the full computation: `recompute_all(session)` inside `session_scope()` (commit included);
  b. the monthly summaries: `reports.summary()` by unit, officer, type and day, and
     `reports.roadside_missing()`, as an admin;
  c. the incremental update after one dock session: 50 new recordings of 5 officers on one day,
     then `recompute_for_recordings(session, ids)` + commit (3 sessions, median and max).

It prints a table with the growth exponent between scales (compared with n log n), profiles
`recompute_all` (cProfile) at the largest scale of each backend, and writes everything as JSON
to bench/out/coverage-<timestamp>.json (the profile also as a .prof file).

    .venv/bin/python bench/bench_coverage.py [--scales 0.1,0.333,1] [--backends postgresql,sqlite]
                                             [--officers 500] [--profile largest|all|none]

PostgreSQL is reached at --pg-admin (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres,
trust auth); each run creates a database bench_coverage_<random> and drops it at the end, also on
error and Ctrl-C. SQLite runs use a file in a temporary folder that is deleted afterwards.
Before each measured phase the bench waits (up to 20 min) while another benchmark
(bench_ingest, bench_dock, bench_media) runs, and records how long it waited.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import random
import resource
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from evidence import db as evdb  # noqa: E402
from evidence.coverage import reports, service  # noqa: E402
from evidence.coverage.models import (EnforcementEvent, EventCoverage, EventOfficer,  # noqa: E402
                                      EventOfficerCoverage, RecordingEventLink)
from evidence.coverage.rules import DEFAULT_MINUTES  # noqa: E402
from evidence.devices.models import Device
from evidence.identity.models import Unit, User  # noqa: E402
from evidence.migrate import upgrade  # noqa: E402
from evidence.recordings.models import Recording

from _common import CLK_TCK, cmdline, descendants, log, machine_busy, proc_table  # noqa: E402
from _coverage_month import (EO_COLS, EVENT_COLS, REC_COLS, TZ, Month, generate,  # noqa: E402  (bench/ is on sys.path)
                            recording_rows)

BATCH = 20_000
GOALS = {"full_recompute_s": 30.0, "incremental_s": 1.0}
# What `pgrep -f "bench_(ingest|dock|media)"` finds, plus any other bench/bench_*.py of this repository.
OTHER_BENCH = re.compile(r"bench_(ingest|dock|media)|bench_(?!coverage)[A-Za-z0-9]+\.py")
PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# -- fairness -----------------------------------------------------------------------------------
# Other benchmarks wait for each other too (bench_dock waits while any bench/bench_*.py runs), so
# a benchmark that is present but idle is taken to be waiting for us and is not waited for.
def other_bench_pids() -> list[int]:
    """Processes of the other benchmarks, read from /proc (like pgrep -f, with the wider pattern)."""
    me = os.getpid()
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) != me and OTHER_BENCH.search(cmdline(int(e)))]


def other_bench_cpu() -> dict[int, float]:
    """CPU seconds so far of every process of the other benchmarks (each process tree)."""
    roots = other_bench_pids()
    if not roots:
        return {}
    table = proc_table()
    return {pid: table[pid][1] for root in roots for pid in (root, *descendants(root, table)) if pid in table}


# The rest of the machine: engineers run tests and tools on it too. CPU used by anything but this
# process and the PostgreSQL processes serving its database ("foreign" CPU) is read from
# /proc/stat; a phase waits until the machine is quiet, and a measurement during which foreign
# work used more than CONTENDED_SHARE of one core is marked contended (and measured again).
QUIET_SHARE = 0.2
CONTENDED_SHARE = 0.10
CURRENT_DB: str | None = None  # name of this run's PostgreSQL database
PG_AUX = ("walwriter", "checkpointer", "background writer", "autovacuum", "logical replication")


def _own_pg_seconds() -> float:
    """CPU of the PostgreSQL backends of this run's database and of the server's own helpers."""
    if CURRENT_DB is None:
        return 0.0
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        cmd = cmdline(int(entry))
        if not cmd.startswith("postgres:") or not (CURRENT_DB in cmd or any(a in cmd for a in PG_AUX)):
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(f[11]) + int(f[12])) / CLK_TCK
    return total


def _sample() -> tuple[float, float, float, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (machine_busy(), r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime, _own_pg_seconds(),
            sum(other_bench_cpu().values()))


def _foreign(a, b) -> tuple[float, float]:
    """(foreign CPU-s, of which other benchmarks) between two samples."""
    return max(0.0, (b[0] - a[0]) - (b[1] - a[1]) - (b[2] - a[2])), max(0.0, b[3] - a[3])


def wait_for_others(phase: str, limit: float = 1200.0, poll: float = 10.0) -> float:
    """Wait while another benchmark or anything else works (poll every 10 s, up to `limit`).

    A benchmark that is present but idle is taken to be waiting for us. Returns seconds waited
    beyond the first 3-second look."""
    t0 = time.monotonic()
    announced = False
    look = 3.0  # a short first look; then every `poll` seconds
    while True:
        a = _sample()
        time.sleep(look)
        b = _sample()
        foreign, bench = _foreign(a, b)
        if foreign < QUIET_SHARE * look:
            if bench > 0 and not announced:
                log(f"  another benchmark is present but idle: not waiting before {phase}")
            break
        waited = time.monotonic() - t0
        if waited >= limit:
            log(f"  still busy after {waited:.0f} s ({phase}): measuring anyway")
            break
        if not announced:
            who = " (another benchmark)" if bench >= 0.5 * foreign else ""
            log(f"  the machine is busy: {foreign:.1f} CPU-s of other work in {look:.0f} s{who}; waiting "
                f"before {phase}")
            announced = True
        look = poll
    waited = max(0.0, time.monotonic() - t0 - 3.0)
    if announced:
        log(f"  waited {waited:.0f} s before {phase}")
    return round(waited, 1)


class Watch:
    """Foreign CPU (and other benchmarks' share) during a measurement."""

    def __enter__(self) -> "Watch":
        self.t0 = time.monotonic()
        self.a = _sample()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.monotonic() - self.t0
        self.foreign, self.bench = _foreign(self.a, _sample())

    @property
    def other_cpu(self) -> float:
        return round(self.foreign, 2)

    @property
    def contended(self) -> bool:
        return self.foreign > max(1.0, CONTENDED_SHARE * self.wall)

    @property
    def seen(self) -> list[str]:
        return [f"{self.foreign:.1f} CPU-s foreign, {self.bench:.1f} of it other benchmarks"]


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- database ---------------------------------------------------------------------------------
def create_pg(admin: str) -> str:
    name = f"bench_coverage_{secrets.token_hex(4)}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_pg(admin: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def use_database(url: str) -> None:
    os.environ["EVIDENCE_DATABASE_URL"] = url
    evdb.reset_caches()


def _chunks(rows, size=BATCH):
    batch = []
    for r in rows:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load(m: Month, backend: str) -> dict:
    """Bulk-load the month (setup, not measured); returns the seconds per step."""
    engine = evdb.get_engine()
    rng = random.Random(7)
    times = {}
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(Unit.__table__.insert(), m.units)
        conn.execute(User.__table__.insert(), m.officers)
        conn.execute(Device.__table__.insert(), m.devices)
        tables = [(EnforcementEvent.__table__, EVENT_COLS, m.events),
                  (EventOfficer.__table__, EO_COLS, m.event_officers),
                  (Recording.__table__, REC_COLS, recording_rows(m, rng))]
        if backend == "postgresql":
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:
                for table, cols, rows in tables:
                    t1 = time.perf_counter()
                    with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    times[table.name] = round(time.perf_counter() - t1, 2)
            for table in ("units", "users", "devices", "enforcement_events", "event_officers", "recordings"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
        else:
            for table, cols, rows in tables:
                t1 = time.perf_counter()
                for batch in _chunks(rows):
                    conn.execute(table.insert(), [dict(zip(cols, r)) for r in batch])
                times[table.name] = round(time.perf_counter() - t1, 2)
    t1 = time.perf_counter()
    if backend == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    times["analyze"] = round(time.perf_counter() - t1, 2)
    times["total"] = round(time.perf_counter() - t0, 2)
    return times


def clear_coverage() -> None:
    """Empty the computed tables so a second full computation starts from the same state."""
    with evdb.session_scope() as s:
        for model in (RecordingEventLink, EventOfficerCoverage, EventCoverage):
            s.execute(sa.delete(model))
    if evdb.get_engine().dialect.name == "postgresql":
        with evdb.get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE event_coverage, event_officer_coverage, recording_event_links")


# -- measurements -----------------------------------------------------------------------------
def measure_full() -> tuple[float, int]:
    t0 = time.perf_counter()
    with evdb.session_scope() as s:
        n = service.recompute_all(s)
    return time.perf_counter() - t0, n


def status_counts() -> dict:
    with evdb.session_scope() as s:
        events = dict(s.execute(sa.select(EventCoverage.status, sa.func.count()).group_by(EventCoverage.status)).all())
        officers = dict(s.execute(sa.select(EventOfficerCoverage.status, sa.func.count())
                                  .group_by(EventOfficerCoverage.status)).all())
        late = s.scalar(sa.select(sa.func.count()).where(EventCoverage.late_upload.is_(True)))
        links = s.scalar(sa.select(sa.func.count()).select_from(RecordingEventLink))
    return {"events": events, "officer_slots": officers, "late_upload_events": late, "auto_links": links}


def measure_summaries(m: Month) -> dict:
    admin = User(id=0, police_id="bench", name="bench", role="admin", password_hash="")
    f = reports.EventFilter(start_from=m.start, start_to=m.end)
    out = {}
    with evdb.session_scope() as s:
        for group in ("unit", "officer", "type", "day"):
            t0 = time.perf_counter()
            rows = reports.summary(s, admin, group, f)
            out[group] = {"seconds": round(time.perf_counter() - t0, 3), "rows": len(rows),
                          "events": sum(r["events"] for r in rows)}
        t0 = time.perf_counter()
        rows = reports.roadside_missing(s, admin, f)
        out["roadside_missing"] = {"seconds": round(time.perf_counter() - t0, 3), "rows": len(rows)}
    out["total_seconds"] = round(sum(v["seconds"] for v in out.values()), 3)
    return out


def dock_session(m: Month, day: int, squadron: int, rng: random.Random) -> tuple[list[int], list[int]]:
    """Insert (and commit) the 50 recordings of one dock session: 10 for each of 5 officers of one
    中队, covering their events of that day that lacked footage. Returns (recording ids, events)."""
    lo = m.start + timedelta(days=day)
    hi = lo + timedelta(days=1)
    officers = [o for o in m.officers if o["unit_id"] == squadron][:5]
    rows, touched = [], []
    with evdb.session_scope() as s:
        for o in officers:
            q = (sa.select(EnforcementEvent.id, EnforcementEvent.started_at, EnforcementEvent.ended_at,
                           EnforcementEvent.event_type, EventCoverage.status)
                 .join(EventOfficer, EventOfficer.event_id == EnforcementEvent.id)
                 .join(EventCoverage, EventCoverage.event_id == EnforcementEvent.id)
                 .where(EventOfficer.user_id == o["id"], EnforcementEvent.started_at >= lo,
                        EnforcementEvent.started_at < hi)
                 .order_by(EventCoverage.status.desc(), EnforcementEvent.started_at))  # missing, partial first
            evs = [e for e in s.execute(q).all() if e.status != "covered"][:10]
            spans = []
            for e in evs:
                end = e.ended_at or e.started_at + timedelta(minutes=DEFAULT_MINUTES[e.event_type])
                spans.append((e.started_at - timedelta(seconds=20), end + timedelta(seconds=20)))
                touched.append(e.id)
            night = lo + timedelta(hours=2)  # the rest: short clips outside duty hours
            while len(spans) < 10:
                spans.append((night, night + timedelta(seconds=90)))
                night += timedelta(minutes=5)
            for a, b in spans:
                sha = secrets.token_hex(32)
                uploaded = b + timedelta(hours=2)
                rows.append(Recording(
                    sha256=sha, size_bytes=int((b - a).total_seconds() * 1_250_000), media_kind="video",
                    original_filename=f"DSJ{o['id']:06d}_{o['police_id']}_{a.astimezone(TZ):%Y%m%d%H%M%S}.MP4",
                    object_key=f"originals/{sha[:2]}/{sha}", device_serial=f"DSJ{o['id']:06d}", device_id=o["id"],
                    declared_police_id=o["police_id"], officer_id=o["id"], officer_source="assignment",
                    unit_id=o["unit_id"], started_at_device=a.astimezone(TZ).replace(tzinfo=None), started_at=a,
                    clock_offset_seconds=0, time_source="device", docked_at=uploaded, uploaded_at=uploaded,
                    verified_at=uploaded, status="verified", created_at=uploaded, processing_state="ready",
                    ended_at=b, duration_seconds=(b - a).total_seconds()))
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    return ids, touched


def measure_incremental(m: Month) -> dict:
    rng = random.Random(11)
    runs = []
    for k, day in enumerate((10, 15, 20)):
        squadron = m.squadrons[(3 + 7 * k) % len(m.squadrons)]
        ids, touched = dock_session(m, day, squadron, rng)
        with evdb.session_scope() as s:
            before = dict(s.execute(sa.select(EventCoverage.event_id, EventCoverage.status)
                                    .where(EventCoverage.event_id.in_(touched))).all()) if touched else {}
        wait = wait_for_others("incremental update")
        with Watch() as watch:
            t0 = time.perf_counter()
            with evdb.session_scope() as s:
                n = service.recompute_for_recordings(s, ids)
            dt = time.perf_counter() - t0
        with evdb.session_scope() as s:
            after = dict(s.execute(sa.select(EventCoverage.event_id, EventCoverage.status)
                                   .where(EventCoverage.event_id.in_(touched))).all()) if touched else {}
        changed = sum(1 for e in touched if before.get(e) != after.get(e))
        runs.append({"day": day, "squadron_unit_id": squadron, "recordings": len(ids), "seconds": round(dt, 3),
                     "events_recomputed": n, "target_events": len(touched), "target_events_changed": changed,
                     "waited_s": wait, "contended": watch.contended,
                     "other_cpu_s": watch.other_cpu})
        log(f"  incremental #{k + 1}: {dt:.3f} s, {n} events recomputed, {changed}/{len(touched)} target events "
            f"changed status")
    secs = [r["seconds"] for r in runs]
    return {"runs": runs, "median_seconds": statistics.median(secs), "max_seconds": max(secs)}


PROFILE_FUNCS = [("service.py", "recompute_all"), ("service.py", "__init__"), ("service.py", "_store"),
                 ("service.py", "_compute"), ("service.py", "_bulk_insert"), ("service.py", "_apply_links"),
                 ("service.py", "_load_batch"), ("service.py", "_fetch"), ("service.py", "_unchecked"),
                 ("_copy.py", "finish"), ("_copy.py", "write_row"),
                 ("psycopg/connection.py", "wait"), ("sqlite3.Cursor", "executemany"),
                 ("service.py", "around"), ("engine.py", "evaluate"), ("engine.py", "best_shift"),
                 ("session.py", "commit"), ("session.py", "scalars"),
                 ("session.py", "execute"), ("cursor.py", "execute"), ("cursor.py", "executemany"),
                 ("cursor.py", "fetchall"), ("result.py", "all"), ("json/__init__.py", "dumps")]


def profile_full(out_dir: Path, tag: str) -> dict:
    clear_coverage()
    wait = wait_for_others("profiled full computation")
    prof = cProfile.Profile()
    with Watch() as watch:
        t0 = time.perf_counter()
        prof.enable()
        with evdb.session_scope() as s:
            service.recompute_all(s)
        prof.disable()
        wall = time.perf_counter() - t0
    path = out_dir / f"coverage-{tag}.prof"
    prof.dump_stats(str(path))
    texts = {}
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(30)
        texts[key] = buf.getvalue()
    stats = pstats.Stats(prof).stats
    breakdown = {}
    for (filename, _line, func), (_cc, ncalls, tt, ct, _callers) in stats.items():
        for suffix, name in PROFILE_FUNCS:
            if func == name and filename.endswith(suffix) and ("coverage" in filename or suffix not in
                                                                ("service.py", "engine.py")):
                label = f"{Path(filename).parent.name}/{Path(filename).name}:{func}"
                prev = breakdown.get(label)
                if prev is None or ct > prev["cumulative_s"]:
                    breakdown[label] = {"calls": ncalls, "tottime_s": round(tt, 3), "cumulative_s": round(ct, 3)}
    return {"wall_seconds_profiled": round(wall, 2), "waited_s": wait, "contended": watch.contended,
            "other_cpu_s": watch.other_cpu, "prof_file": str(path),
            "breakdown": breakdown, "top_cumulative": texts["cumulative"], "top_tottime": texts["tottime"]}


# -- one backend × scale ------------------------------------------------------------------------
def run_one(backend: str, scale: float, args, out_dir: Path, profile: bool, tag: str) -> dict:
    res: dict = {"backend": backend, "scale": scale}
    tmp = pg_url = None
    res["setup_waited_s"] = wait_for_others("data setup")  # setup is not measured, but spare the others
    try:
        global CURRENT_DB
        if backend == "postgresql":
            pg_url = create_pg(args.pg_admin)
            url = pg_url
            CURRENT_DB = pg_url.rsplit("/", 1)[1]
        else:
            tmp = Path(tempfile.mkdtemp(prefix="bench_coverage_"))
            url = f"sqlite:///{tmp / 'evidence.db'}"
        log(f"{backend} scale {scale}: database {url.rsplit('/', 1)[1]}")
        if tmp is None:
            os.environ["EVIDENCE_DATA_DIR"] = tempfile.gettempdir()
        else:
            os.environ["EVIDENCE_DATA_DIR"] = str(tmp)
        upgrade(url)
        use_database(url)
        t0 = time.perf_counter()
        m = generate(scale, args.officers)
        res["generate_seconds"] = round(time.perf_counter() - t0, 2)
        res.update(events=len(m.events), event_officers=len(m.event_officers), recordings=m.recordings,
                   spans=len(m.spans), plan=m.plan, overfull_team_days=m.overfull_team_days,
                   month=[m.start.isoformat(), m.end.isoformat()])
        log(f"  generated {len(m.events)} events, {len(m.event_officers)} event officers, {m.recordings} "
            f"recordings in {res['generate_seconds']} s (plan {m.plan})")
        res["load_seconds"] = load(m, backend)
        log(f"  loaded in {res['load_seconds']['total']} s {res['load_seconds']}")

        res["full_waited_s"] = 0.0
        for attempt in range(3):
            res["full_waited_s"] += wait_for_others("full computation")
            res["loadavg_before_full"] = loadavg()
            with Watch() as watch:
                secs, n = measure_full()
            res["full_seconds"] = round(secs, 3)
            res["full_events"] = n
            res["full_contended"] = watch.contended
            res["full_other_cpu_s"] = watch.other_cpu
            log(f"  full computation: {secs:.2f} s for {n} events")
            if not watch.contended:
                break
            log(f"  other work used {watch.other_cpu} CPU-s during it: measuring again")
            clear_coverage()
        res["status_counts"] = status_counts()
        log(f"  status counts: {res['status_counts']}")

        # The same computation again over existing coverage (a nightly rebuild): the links exist.
        res["rebuild_waited_s"] = wait_for_others("rebuild")
        with Watch() as watch:
            secs, _ = measure_full()
        res["rebuild_seconds"] = round(secs, 3)
        res["rebuild_contended"] = watch.contended
        res["rebuild_other_cpu_s"] = watch.other_cpu
        log(f"  rebuild over existing coverage: {secs:.2f} s" + (" (contended)" if watch.contended else ""))

        res["summary_waited_s"] = 0.0
        for attempt in range(3):
            res["summary_waited_s"] += wait_for_others("summaries")
            with Watch() as watch:
                res["summaries"] = measure_summaries(m)
            res["summaries"]["contended"] = watch.contended
            res["summaries"]["other_cpu_s"] = watch.other_cpu
            if not watch.contended:
                break
            log(f"  other work used {watch.other_cpu} CPU-s during the summaries: measuring again")
        log("  summaries: " + ", ".join(f"{k} {v['seconds']:.2f} s" for k, v in res["summaries"].items()
                                        if isinstance(v, dict)))

        res["incremental"] = measure_incremental(m)
        if profile:
            log("  profiling recompute_all (cProfile) ...")
            res["profile"] = profile_full(out_dir, f"{tag}-{backend}-{scale}")
            log(f"  profiled run: {res['profile']['wall_seconds_profiled']} s; breakdown:")
            for k, v in sorted(res["profile"]["breakdown"].items(), key=lambda kv: -kv[1]["cumulative_s"]):
                log(f"    {k:45s} calls {v['calls']:>9} tottime {v['tottime_s']:8.2f} cum {v['cumulative_s']:8.2f}")
        if backend == "postgresql":
            with evdb.get_engine().connect() as conn:
                res["db_size_mb"] = round(conn.exec_driver_sql(
                    "SELECT pg_database_size(current_database())").scalar() / 2**20, 1)
        else:
            res["db_size_mb"] = round(sum(p.stat().st_size for p in tmp.iterdir()) / 2**20, 1)
    except Exception as exc:  # keep the other runs going; the error is in the JSON
        import traceback
        traceback.print_exc()
        res["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        CURRENT_DB = None
        evdb.reset_caches()
        if pg_url:
            try:
                drop_pg(args.pg_admin, pg_url)
            except Exception as exc:  # noqa: BLE001
                log(f"  could not drop {pg_url}: {exc}")
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return res


# -- report -----------------------------------------------------------------------------------
def nlogn_exponent(n1: float, n2: float) -> float:
    return math.log((n2 * math.log(n2)) / (n1 * math.log(n1))) / math.log(n2 / n1)


def growth(results: list[dict]) -> list[dict]:
    out = []
    for backend in dict.fromkeys(r["backend"] for r in results):
        rs = sorted((r for r in results if r["backend"] == backend and "full_seconds" in r), key=lambda r: r["events"])
        pairs = list(zip(rs, rs[1:]))
        if len(rs) > 2:
            pairs.append((rs[0], rs[-1]))
        for a, b in pairs:
            if b["events"] <= a["events"]:
                continue
            g = {"backend": backend, "from_scale": a["scale"], "to_scale": b["scale"],
                 "n_ratio": round(b["events"] / a["events"], 3),
                 "nlogn_exponent": round(nlogn_exponent(a["events"], b["events"]), 3)}
            for name, ta, tb in (("full", a["full_seconds"], b["full_seconds"]),
                                 ("summaries", a["summaries"]["total_seconds"], b["summaries"]["total_seconds"]),
                                 ("incremental", a["incremental"]["median_seconds"],
                                  b["incremental"]["median_seconds"])):
                g[f"{name}_exponent"] = round(math.log(tb / ta) / math.log(b["events"] / a["events"]), 3) \
                    if ta > 0 and tb > 0 else None
            out.append(g)
    return out


def print_table(results: list[dict], growths: list[dict]) -> None:
    head = (f"{'backend':10s} {'scale':>6s} {'events':>8s} {'recs':>8s} {'full s':>8s} {'rebuild':>7s} {'unit s':>7s} "
            f"{'officer s':>9s} {'type s':>7s} {'day s':>7s} {'roadside s':>10s} {'incr med':>8s} {'incr max':>8s}  "
            f"covered/partial/missing/pending")
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        if "full_seconds" not in r:
            print(f"{r['backend']:10s} {r['scale']:>6} ERROR {r.get('error')}")
            continue
        s = r["summaries"]
        inc = r.get("incremental", {})
        st = r["status_counts"]["events"]
        print(f"{r['backend']:10s} {r['scale']:>6} {r['events']:>8d} {r['recordings']:>8d} {r['full_seconds']:>8.2f} "
              f"{r.get('rebuild_seconds', float('nan')):>7.2f} "
              f"{s['unit']['seconds']:>7.2f} {s['officer']['seconds']:>9.2f} {s['type']['seconds']:>7.2f} "
              f"{s['day']['seconds']:>7.2f} {s['roadside_missing']['seconds']:>10.2f} "
              f"{inc.get('median_seconds', float('nan')):>8.3f} {inc.get('max_seconds', float('nan')):>8.3f}  "
              + "/".join(str(st.get(k, 0)) for k in ("covered", "partial", "missing", "pending"))
              + ("  [contended]" if r.get("full_contended") or s.get("contended") else ""))
    if growths:
        print()
        print("growth exponents log(t2/t1)/log(n2/n1) (n = events; n log n would give the nlogn column)")
        print(f"{'backend':10s} {'scales':>12s} {'n ratio':>8s} {'nlogn':>6s} {'full':>6s} {'summaries':>9s} "
              f"{'incr':>6s}")
        for g in growths:
            fmt = lambda v: f"{v:.2f}" if v is not None else "n/a"  # noqa: E731
            print(f"{g['backend']:10s} {str(g['from_scale']) + '→' + str(g['to_scale']):>12s} {g['n_ratio']:>8.2f} "
                  f"{g['nlogn_exponent']:>6.2f} {fmt(g['full_exponent']):>6s} {fmt(g['summaries_exponent']):>9s} "
                  f"{fmt(g['incremental_exponent']):>6s}")
    print()
    for r in results:
        if "full_seconds" in r and r["scale"] >= 0.999:
            ok_full = r["full_seconds"] <= GOALS["full_recompute_s"]
            ok_inc = r["incremental"]["max_seconds"] <= GOALS["incremental_s"]
            print(f"goals at full size, {r['backend']}: full computation {r['full_seconds']:.1f} s "
                  f"(≤ {GOALS['full_recompute_s']:.0f} s: {'met' if ok_full else 'NOT met'}), incremental max "
                  f"{r['incremental']['max_seconds']:.3f} s (≤ {GOALS['incremental_s']:.0f} s: "
                  f"{'met' if ok_inc else 'NOT met'})")


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        mem = next(line.split(":", 1)[1].strip() for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    import sqlite3
    git = {}
    try:
        run = lambda *a: subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True).stdout.strip()  # noqa: E731
        git = {"head": run("rev-parse", "HEAD"), "head_subject": run("log", "-1", "--format=%s"),
               "coverage_changes": run("status", "--short", "evidence/coverage", "evidence/recordings/models.py", "evidence/db.py")}
    except OSError:
        pass
    return {"git": git, "cpus": os.cpu_count(), "cpu_model": cpu, "mem_total": mem, "python": platform.python_version(),
            "sqlalchemy": sa.__version__, "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)  # also when started in the background (SIGINT ignored)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="0.1,0.333,1")
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--officers", type=int, default=500)
    ap.add_argument("--profile", choices=("largest", "all", "none"), default="largest",
                    help="cProfile recompute_all at the largest scale of each backend (default), every scale or none")
    ap.add_argument("--pg-admin", default=os.environ.get("EVIDENCE_BENCH_PG", PG_ADMIN_DEFAULT))
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    args = ap.parse_args()
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = time.strftime("%Y%m%d-%H%M%S")
    info = machine()
    log(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), {info['mem_total']}; scales {scales}, "
        f"backends {backends}, {args.officers} officers")
    if "postgresql" in backends:
        engine = sa.create_engine(args.pg_admin)
        with engine.connect() as conn:
            info["postgresql"] = conn.exec_driver_sql("SHOW server_version").scalar()
            info["pg_settings"] = {k: conn.exec_driver_sql(f"SHOW {k}").scalar()
                                   for k in ("shared_buffers", "work_mem", "synchronous_commit")}
        engine.dispose()
    results = []
    t_start = time.perf_counter()
    for backend in backends:
        for scale in scales:
            profile = args.profile == "all" or (args.profile == "largest" and scale == max(scales))
            results.append(run_one(backend, scale, args, out_dir, profile, tag))
    growths = growth(results)
    print_table(results, growths)
    for r in results:
        if "profile" in r:
            print(f"\n== cProfile of recompute_all, {r['backend']} scale {r['scale']} "
                  f"({r['profile']['wall_seconds_profiled']} s under the profiler) ==")
            print("\n".join(r["profile"]["top_cumulative"].splitlines()[:45]))
    waited = sum(r.get("setup_waited_s", 0) + r.get("full_waited_s", 0) + r.get("rebuild_waited_s", 0) + r.get("summary_waited_s", 0)
                 + sum(x["waited_s"] for x in r.get("incremental", {}).get("runs", []))
                 + r.get("profile", {}).get("waited_s", 0) for r in results)
    out = {"tag": tag, "args": vars(args), "machine": info, "goals": GOALS, "waited_for_other_benches_s": waited,
           "total_seconds": round(time.perf_counter() - t_start, 1), "results": results, "growth": growths}
    path = out_dir / f"coverage-{tag}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    log(f"waited for other benchmarks: {waited:.0f} s in total; results in {path}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
