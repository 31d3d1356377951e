"""bench_coverage's setup and measurements: bulk-load a generated month into the stack's database,
then time the coverage service functions (`recompute_all`, `recompute_for_recordings`) and the
report functions (`reports.summary`, `reports.roadside_missing`) as an admin."""

from __future__ import annotations

import cProfile
import io
import pstats
import random
import secrets
import statistics
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from _common import log  # bench/ is on sys.path
from _coverage_watch import Watch, wait_for_others
from evidence import db as evdb
from evidence.audit import service as audit
from evidence.coverage import generated_load, reports, service
from evidence.coverage.generated_month import TZ, Month
from evidence.coverage.models import (EnforcementEvent, EventCoverage, EventOfficer, EventOfficerCoverage,
                                      RecordingEventLink)
from evidence.coverage.rules import DEFAULT_MINUTES
from evidence.identity import service as identity
from evidence.identity.models import User
from evidence.recordings.models import Recording

ADMIN = "BENCHADMIN"


def load(m: Month, backend: str) -> dict:
    """Bulk-load the month (setup, not measured) with the core loader; returns the seconds per step."""
    engine = evdb.get_engine()
    t0 = time.perf_counter()
    times = generated_load.insert(engine, m, playable=True)
    t1 = time.perf_counter()
    generated_load.analyze(engine)
    times["analyze"] = round(time.perf_counter() - t1, 2)
    with evdb.session_scope() as s:  # the reader of the summaries: an admin made by the identity service
        identity.create_user(s, audit.SYSTEM, ADMIN, "Bench admin", "admin", secrets.token_urlsafe(12))
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
    f = reports.EventFilter(start_from=m.start, start_to=m.end)
    out = {}
    with evdb.session_scope() as s:
        admin = s.scalar(sa.select(User).where(User.police_id == ADMIN))
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

