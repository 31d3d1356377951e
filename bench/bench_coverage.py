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
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from evidence import db as evdb  # noqa: E402
from evidence.coverage import reports, service  # noqa: E402
from evidence.coverage.models import (EnforcementEvent, EventCoverage, EventOfficer,  # noqa: E402
                                      EventOfficerCoverage, RecordingEventLink)
from evidence.coverage.rules import DEFAULT_MINUTES  # noqa: E402
from evidence.ledger_parse import ROADSIDE_BY_DEFAULT  # noqa: E402
from evidence.migrate import upgrade  # noqa: E402
from evidence.models import Device, Recording, Unit, User  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
FULL_EVENTS = 300_000
FULL_RECORDINGS = 600_000
DAYS = 30
BATCH = 20_000
GOALS = {"full_recompute_s": 30.0, "incremental_s": 1.0}
# What `pgrep -f "bench_(ingest|dock|media)"` finds, plus any other bench/bench_*.py of this repository.
OTHER_BENCH = re.compile(r"bench_(ingest|dock|media)|bench_(?!coverage)[A-Za-z0-9]+\.py")
PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Event types: share of events, duration range in minutes (ledger end − start).
TYPES = [("ticket", 0.40, (5, 12)), ("check", 0.25, (5, 15)), ("dispatch", 0.12, (10, 45)),
         ("accident", 0.08, (20, 60)), ("vehicle_seizure", 0.05, (10, 30)), ("license_seizure", 0.04, (10, 20)),
         ("admin_measure", 0.03, (10, 30)), ("emergency", 0.01, (20, 60)), ("other", 0.02, (5, 30))]
# Planned footage per event kind (covered, partial, missing): accidents are recorded well,
# roadside enforcement least (the gap the brigade wants to see); overall about 70/15/15.
PLAN = {"accident": (0.92, 0.05), "roadside": (0.651, 0.169), "other": (0.80, 0.12)}
DUTY_START_H, DUTY_END_H = 6, 24  # local duty hours in which events start and end
MIN_GAP = 270  # seconds between two events of one team (> 60 s slack + 60 s clock drift + 120 s tolerance)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- fairness -----------------------------------------------------------------------------------
# Other benchmarks wait for each other too (bench_dock waits while any bench/bench_*.py runs), so
# a benchmark that is present but idle is taken to be waiting for us and is not waited for.
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float, float]]:
    """pid -> (ppid, own CPU seconds + waited children's, start time in s since boot)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry)] = (int(f[1]), sum(int(x) for x in f[11:15]) / CLK_TCK, int(f[19]) / CLK_TCK)
    return out


def other_bench_pids() -> list[int]:
    """Processes of the other benchmarks, read from /proc (like pgrep -f, with the wider pattern)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if OTHER_BENCH.search(cmd):
                out.append(int(entry))
    return out


def other_bench_cpu() -> dict[int, float]:
    """CPU seconds so far of every process of the other benchmarks (each process tree)."""
    roots = other_bench_pids()
    if not roots:
        return {}
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu, _st) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = {}, list(roots)
    while todo:
        pid = todo.pop()
        if pid in table and pid not in out:
            out[pid] = table[pid][1]
            todo.extend(children.get(pid, ()))
    return out


def _uptime() -> float:
    with open("/proc/uptime") as fh:
        return float(fh.read().split()[0])


# The rest of the machine: engineers run tests and tools on it too. CPU used by anything but this
# process and the PostgreSQL processes serving its database ("foreign" CPU) is read from
# /proc/stat; a phase waits until the machine is quiet, and a measurement during which foreign
# work used more than CONTENDED_SHARE of one core is marked contended (and measured again).
QUIET_SHARE = 0.2
CONTENDED_SHARE = 0.10
CURRENT_DB: str | None = None  # name of this run's PostgreSQL database
PG_AUX = ("walwriter", "checkpointer", "background writer", "autovacuum", "logical replication")


def _busy_seconds() -> float:
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = f
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def _own_pg_seconds() -> float:
    """CPU of the PostgreSQL backends of this run's database and of the server's own helpers."""
    if CURRENT_DB is None:
        return 0.0
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().decode(errors="replace")
            if not cmd.startswith("postgres:") or not (CURRENT_DB in cmd or any(a in cmd for a in PG_AUX)):
                continue
            with open(f"/proc/{entry}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(f[11]) + int(f[12])) / CLK_TCK
    return total


def _sample() -> tuple[float, float, float, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (_busy_seconds(), r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime, _own_pg_seconds(),
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


# -- the generated month ------------------------------------------------------------------------
@dataclass
class Span:
    """What one recorder filmed for one event: becomes 1..n consecutive files a second apart."""
    officer: int  # index into officers
    device: int  # index into devices
    start: float
    end: float
    upload_delay: float
    segments: int = 1


@dataclass
class Month:
    start: datetime  # local midnight of the first day
    end: datetime
    units: list[dict] = field(default_factory=list)
    squadrons: list[int] = field(default_factory=list)  # unit ids of the 中队
    officers: list[dict] = field(default_factory=list)
    devices: list[dict] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    event_officers: list[tuple] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    plan: dict[str, int] = field(default_factory=dict)
    overfull_team_days: int = 0
    recordings: int = 0


def _pick_type(rng: random.Random) -> tuple[str, tuple[int, int]]:
    x, acc = rng.random(), 0.0
    for name, share, minutes in TYPES:
        acc += share
        if x < acc:
            return name, minutes
    return TYPES[-1][0], TYPES[-1][2]


def generate(scale: float, n_officers: int, seed: int = 20261129) -> Month:
    rng = random.Random(seed)
    n_events = round(FULL_EVENTS * scale)
    n_recordings = round(FULL_RECORDINGS * scale)
    today = datetime.now(TZ).date()
    first = today - timedelta(days=DAYS + 5)  # the month ended 5 days ago: nothing is pending
    m = Month(datetime.combine(first, datetime.min.time(), TZ),
              datetime.combine(first + timedelta(days=DAYS), datetime.min.time(), TZ))
    now = datetime.now(timezone.utc)

    # Unit tree: 1 支队, 5 大队, 25 中队.
    m.units.append({"id": 1, "code": "ZD", "name": "交警支队", "level": "支队", "parent_id": None, "created_at": now})
    for b in range(5):
        bid = 2 + b
        m.units.append({"id": bid, "code": f"DD{b + 1}", "name": f"第{b + 1}大队", "level": "大队", "parent_id": 1,
                        "created_at": now})
    for b in range(5):
        for s in range(5):
            sid = 7 + b * 5 + s
            m.units.append({"id": sid, "code": f"DD{b + 1}-ZD{s + 1}", "name": f"第{b + 1}大队{s + 1}中队",
                            "level": "中队", "parent_id": 2 + b, "created_at": now})
            m.squadrons.append(sid)
    for i in range(n_officers):
        unit = m.squadrons[i % len(m.squadrons)]
        m.officers.append({"id": i + 1, "police_id": f"{100001 + i}", "name": f"警员{i + 1:04d}", "unit_id": unit,
                           "role": "officer", "password_hash": "bench-not-a-real-hash", "active": True,
                           "created_at": now})
        m.devices.append({"id": i + 1, "serial": f"DSJ{i + 1:06d}", "model": "DSJ-V9", "unit_id": unit,
                          "created_at": now})
    for b in range(5):  # two shared (pool) cameras per 大队
        for k in range(2):
            m.devices.append({"id": len(m.devices) + 1, "serial": f"DSJPOOL{b + 1}{k + 1}", "model": "DSJ-V9",
                              "unit_id": 2 + b, "created_at": now})
    drift = [0.0] * len(m.devices)  # 10 % of cameras have a clock off by 5..60 s
    for d in range(len(m.devices)):
        if rng.random() < 0.10:
            drift[d] = rng.choice((-1, 1)) * rng.uniform(5, 60)

    by_unit: dict[int, list[int]] = {u: [] for u in m.squadrons}
    for i, o in enumerate(m.officers):
        by_unit[o["unit_id"]].append(i)

    per_day = [n_events // DAYS + (1 if d < n_events % DAYS else 0) for d in range(DAYS)]
    duty = (DUTY_END_H - DUTY_START_H) * 3600
    eid = eo_id = 0
    plan = {"covered": 0, "partial": 0, "missing": 0}
    covered_spans: list[int] = []
    for day in range(DAYS):
        day_start = (m.start + timedelta(days=day)).timestamp() + DUTY_START_H * 3600
        local_day = (m.start + timedelta(days=day)).strftime("%Y%m%d")
        # Patrol teams formed anew each day inside each 中队: two of 3 officers, the rest pairs
        # (with 500 officers and 300,000 events a team has ~44 events a day; smaller teams would
        # not fit them into the duty hours without overlapping).
        teams = []
        for unit in m.squadrons:
            members = by_unit[unit][:]
            rng.shuffle(members)
            threes = 0
            while members:
                if (threes < 2 and len(members) >= 5) or len(members) == 3:
                    size, threes = 3, threes + 1
                else:
                    size = 2 if len(members) >= 2 else 1
                teams.append(members[:size])
                members = members[size:]
        counts = [per_day[day] // len(teams)] * len(teams)
        for k in rng.sample(range(len(teams)), per_day[day] % len(teams)):
            counts[k] += 1
        seq = 0
        for team, n in zip(teams, counts):
            if n == 0:
                continue
            specs = []
            for _ in range(n):
                etype, (lo_min, hi_min) = _pick_type(rng)
                dur = rng.uniform(lo_min, hi_min) * 60
                has_end = rng.random() >= 0.10
                win = dur if has_end else DEFAULT_MINUTES[etype] * 60
                specs.append((etype, dur, has_end, win))
            total = sum(s[3] for s in specs)
            gap = MIN_GAP
            if total + gap * (n + 1) > duty:
                m.overfull_team_days += 1
                gap = max(0.0, (duty - total) / (n + 1))
            free = max(0.0, duty - total - gap * (n + 1))
            cuts = sorted(rng.random() * free for _ in range(n))
            t_used = 0.0
            for k, (etype, dur, has_end, win) in enumerate(specs):
                start = day_start + cuts[k] + gap * (k + 1) + t_used
                t_used += win
                size = rng.choices((1, 2, 3), (0.40, 0.45, 0.15))[0]
                people = rng.sample(team, min(size, len(team)))
                lead = people[0]
                eid += 1
                seq += 1
                roadside = etype in ROADSIDE_BY_DEFAULT
                started = datetime.fromtimestamp(start, timezone.utc)
                ended = datetime.fromtimestamp(start + dur, timezone.utc) if has_end else None
                case_no = f"SG{local_day}{seq:05d}" if etype == "accident" else None
                m.events.append((eid, f"JQ{local_day}{seq:06d}", etype, started, ended,
                                 f"{rng.choice('东南西北中')}环路{rng.randint(1, 999)}号", case_no, roadside,
                                 m.officers[lead]["unit_id"], ";".join(m.officers[p]["police_id"] for p in people),
                                 now, now))
                for p in people:
                    eo_id += 1
                    m.event_officers.append((eo_id, eid, m.officers[p]["police_id"], m.officers[p]["id"]))
                kind = "accident" if etype == "accident" else "roadside" if roadside else "other"
                p_cov, p_part = PLAN[kind]
                x = rng.random()
                lo, hi = start, start + win
                if x < p_cov:
                    plan["covered"] += 1
                    for j, p in enumerate(people):
                        if j > 0 and rng.random() >= 0.6:
                            continue  # not every officer of an event films it
                        dev = p
                        if rng.random() < 0.03:  # a pool camera of the 大队
                            b = (m.officers[p]["unit_id"] - 7) // 5
                            dev = n_officers + 2 * b + rng.randint(0, 1)
                        s = lo - rng.uniform(0, 60) + drift[dev]
                        e = hi + rng.uniform(0, 60) + drift[dev]
                        covered_spans.append(len(m.spans))
                        m.spans.append(Span(p, dev, s, e, _upload_delay(rng)))
                elif x < p_cov + p_part:
                    plan["partial"] += 1
                    frac = rng.uniform(0.2, 0.7)
                    length = win * frac
                    s = lo + rng.uniform(0, win - length)
                    m.spans.append(Span(lead, lead, s + drift[lead], s + length + drift[lead], _upload_delay(rng)))
                else:
                    plan["missing"] += 1
    m.plan = plan
    # Camera segments: some cameras split a long take into files a second apart. Spread the
    # remaining file budget over 40 % of the covered spans so the recording count hits the target.
    extra = n_recordings - len(m.spans)
    splittable = [i for i in covered_spans if rng.random() < 0.4]
    if extra > 0 and splittable:
        for _ in range(extra):
            m.spans[rng.choice(splittable)].segments += 1
    m.recordings = sum(s.segments for s in m.spans)
    return m


def _upload_delay(rng: random.Random) -> float:
    """Seconds from the end of the take to the upload: mostly within hours, some late (> 24 h)."""
    if rng.random() < 0.04:
        return rng.uniform(26, 96) * 3600
    return rng.uniform(0.5, 10) * 3600


REC_COLS = ["id", "sha256", "size_bytes", "media_kind", "original_filename", "object_key", "device_serial",
            "device_id", "declared_police_id", "officer_id", "officer_source", "unit_id", "started_at_device",
            "started_at", "clock_offset_seconds", "time_source", "important", "docked_at", "uploaded_at",
            "verified_at", "retain_until", "status", "status_reason", "created_at", "processing_state",
            "processing_attempts", "processed_at", "container", "video_codec", "audio_codec", "width", "height",
            "duration_seconds", "frame_rate", "ended_at", "proxy_key", "proxy_kind", "proxy_method", "poster_key"]
EVENT_COLS = ["id", "event_id", "event_type", "started_at", "ended_at", "location", "case_no", "roadside", "unit_id",
              "police_ids", "imported_at", "updated_at"]
EO_COLS = ["id", "event_id", "police_id", "user_id"]


def recording_rows(m: Month, rng: random.Random):
    """Every recording as a tuple in REC_COLS order, span by span (files a second apart)."""
    rid = 0
    utc = timezone.utc
    for sp in m.spans:
        off = m.officers[sp.officer]
        dev = m.devices[sp.device]
        n = sp.segments
        seg = max(1.0, (sp.end - sp.start - (n - 1)) / n)
        for j in range(n):
            rid += 1
            s = sp.start + j * (seg + 1)
            e = s + seg
            started = datetime.fromtimestamp(s, utc)
            uploaded = datetime.fromtimestamp(sp.end + sp.upload_delay + j * 2, utc)
            sha = f"{rid:012x}{rng.getrandbits(208):052x}"
            local = started.astimezone(TZ).replace(tzinfo=None)
            yield (rid, sha, int(seg * 1_250_000), "video",
                   f"{dev['serial']}_{off['police_id']}_{local:%Y%m%d%H%M%S}_{j:04d}.MP4",
                   f"originals/{sha[:2]}/{sha}", dev["serial"], dev["id"], off["police_id"], off["id"], "assignment",
                   off["unit_id"], local, started, 0, "device", False, uploaded - timedelta(minutes=5), uploaded,
                   uploaded + timedelta(seconds=3), started + timedelta(days=183), "verified", None, uploaded,
                   "ready", 1, uploaded + timedelta(minutes=2), "mp4", "h264", "aac", 1920, 1080, round(seg, 3),
                   25.0, datetime.fromtimestamp(e, utc), f"derived/proxy/{sha}.mp4", "video", "remux",
                   f"derived/poster/{sha}.jpg")


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
                 ("service.py", "_load_batch"), ("_copy.py", "finish"), ("_copy.py", "write_row"),
                 ("psycopg/connection.py", "wait"), ("sqlite3.Cursor", "executemany"),
                 ("service.py", "around"), ("engine.py", "evaluate"), ("engine.py", "best_shift"),
                 ("service.py", "_sync_auto_links"), ("session.py", "commit"), ("session.py", "scalars"),
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
               "coverage_changes": run("status", "--short", "evidence/coverage", "evidence/models.py", "evidence/db.py")}
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
