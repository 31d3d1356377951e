"""Coverage computation (incremental and full), auto-links (the ledger import is in ledger_import).

Coverage is recomputed only for the events an change touches: imported events, events of the
officer around a recording that became verified or got its duration, events around recordings
whose officer changed with an assignment. A full recompute exists for rebuilds and benchmarks.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import Float, cast, delete, extract, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from evidence import commit_hooks
from evidence.coverage import clock_gaps, day_counts, recording_counts
from evidence.coverage.engine import Clip, evaluate
from evidence.coverage.models import (EnforcementEvent, EventCoverage, EventOfficer, EventOfficerCoverage,
                                      RecordingEventLink)
from evidence.coverage.rules import Rule, max_reach_seconds, rules
from evidence.db import UTCDateTime
from evidence.recordings.models import Recording, RecordingStatus
from evidence.timeutil import utcnow

BATCH = 5000
_EPOCH = datetime(1970, 1, 1)
COPY_MIN_ROWS = 1000  # below this, plain INSERTs are as quick as COPY
UNCHECKED_MIN_ROWS = 50_000  # from this many rows recompute_all loads a table the quick way (_unchecked)
LOCK_NAMESPACE = 0x65767463  # "evtc": PostgreSQL advisory locks of the events being recomputed
LOCK_WAIT = "2s"  # how long _unchecked waits for its table locks before loading with the checks
COVERAGE_COLUMNS = ["event_id", "status", "window_start", "window_end", "window_seconds", "covered_seconds", "ratio",
                    "late_upload", "deadline_at", "recording_ids", "computed_at"]
OFFICER_COLUMNS = ["event_id", "police_id", "user_id", "covered_seconds", "ratio", "status", "recording_ids"]
LINK_COLUMNS = ["recording_id", "event_id", "source", "created_at", "created_by"]


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _epoch(value: float | None) -> float | None:
    return value  # _ts of times PostgreSQL already sent as epoch seconds (_fetch)


def _ts_sqlite(value: str | None) -> float | None:
    """_ts of the naive UTC text UTCDateTime stores on SQLite: the same float, five times quicker."""
    return (datetime.fromisoformat(value) - _EPOCH).total_seconds() if value is not None else None


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, timezone.utc)


def _sqlite_text(value: datetime | None) -> str | None:
    """A datetime as UTCDateTime writes it on SQLite: SQLAlchemy's text format, in UTC, always with microseconds."""
    if value is None:
        return None
    v = value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)


def _id_list(ids: list[int]) -> str:
    return "[" + ", ".join(map(str, ids)) + "]"  # what json.dumps gives for ints, at a third of the cost


# -- loading what the engine needs ---------------------------------------------------------------
class ClipIndex:
    """Recordings per officer, sorted by start, for quick overlap lookups."""

    def __init__(self, rows, ts=_ts):
        """rows: (id, officer_id, device_serial, started_at, ended_at, uploaded_at, clock_offset_seconds) as
        _recording_query gives them; ts turns their times into epoch seconds."""
        self.by_officer: dict[int, tuple[list[float], list[Clip]]] = {}
        self.longest: dict[int, float] = {}
        grouped: dict[int, list[Clip]] = defaultdict(list)
        for rid, officer, device, started, ended, uploaded, offset in rows:
            offset = offset or 0
            grouped[officer].append(Clip(rid, device or f"rec{rid}", ts(started) - offset, ts(ended) - offset,
                                         ts(uploaded)))
        for officer, clips in grouped.items():
            clips.sort(key=lambda c: c.start)
            self.by_officer[officer] = ([c.start for c in clips], clips)
            self.longest[officer] = max(0.0, *(c.end - c.start for c in clips))

    def around(self, officer_id: int | None, lo: float, hi: float) -> list[Clip]:
        if officer_id is None or officer_id not in self.by_officer:
            return []
        starts, clips = self.by_officer[officer_id]
        left = bisect_left(starts, lo - self.longest[officer_id])
        right = bisect_right(starts, hi)
        return [c for c in clips[left:right] if c.end > lo]


def _recording_query():
    return select(Recording.id, Recording.officer_id, Recording.device_serial, Recording.started_at,
                  Recording.ended_at, Recording.uploaded_at, Recording.clock_offset_seconds).where(
        Recording.status == RecordingStatus.verified.value, Recording.officer_id.is_not(None),
        Recording.started_at.is_not(None), Recording.ended_at.is_not(None),
        # an implausible camera clock covers nothing until an admin set its offset (evidence.flows.set_device_offset)
        or_(Recording.clock_implausible.is_(False), Recording.clock_corrected_at.is_not(None)))


def clip_index(session: Session, user_ids: set[int], lo: datetime, hi: datetime) -> ClipIndex:
    """These officers' recordings that coverage reads between lo and hi, as recompute loads them."""
    rows = session.execute(_recording_query().where(
        Recording.officer_id.in_(user_ids), Recording.started_at < hi, Recording.ended_at > lo)).all() \
        if user_ids else []
    return ClipIndex(clock_gaps.with_corrected(session, rows, _recording_query(), user_ids))


# -- computing ---------------------------------------------------------------------------------------
def recompute(session: Session, event_ids: list[int], now: datetime | None = None) -> int:
    """Recompute coverage, officer coverage and auto-links of these events."""
    if not event_ids:
        return 0
    all_rules = rules()
    reach = max_reach_seconds(all_rules)
    done = 0
    event_ids = sorted(set(event_ids))
    for i in range(0, len(event_ids), BATCH):
        # Two transactions recomputing one event (two clips of an officer probed at once) would each
        # delete the coverage rows they saw and insert theirs: the second meets a duplicate key. The
        # second waits here instead and then reads what the first committed (locks in id order).
        commit_hooks.lock_keys(session, LOCK_NAMESPACE, event_ids[i:i + BATCH])
        events, officers = _load_batch(session, event_ids[i:i + BATCH])
        day_counts.mark(session, (e.started_at for e in events))  # counted again before commit
        user_ids = {user_id for os_ in officers.values() for _, user_id in os_ if user_id}
        lo = min(e.started_at for e in events) - timedelta(seconds=reach)
        hi = max(e.ended_at or e.started_at for e in events) + timedelta(seconds=reach)
        rows = session.execute(_recording_query().where(
            Recording.officer_id.in_(user_ids), Recording.started_at < hi, Recording.ended_at > lo)).all() \
            if user_ids else []
        rows = clock_gaps.with_corrected(session, rows, _recording_query(), user_ids)
        done += _store(session, events, officers, ClipIndex(rows), all_rules, now or utcnow())
    return done


def recompute_all(session: Session, now: datetime | None = None) -> int:
    """Every event at once (rebuilds, benchmarks, bulk loaders): one read of each table straight from the
    driver, and bulk writes without per-row index updates and, on PostgreSQL, key checks (_unchecked);
    then the per-day counts again (day_counts.rebuild), so any loader ending here leaves them right."""
    all_rules, now = rules(), now or utcnow()
    rows, ts = _fetch(session, _recording_query())
    index = ClipIndex(rows, ts)
    events, _ = _fetch(session, select(EnforcementEvent.id, EnforcementEvent.event_type, EnforcementEvent.started_at,
                                       EnforcementEvent.ended_at))
    officers = defaultdict(list)
    for event_id, police_id, user_id in _fetch(session, select(EventOfficer.event_id, EventOfficer.police_id,
                                                               EventOfficer.user_id))[0]:
        officers[event_id].append((police_id, user_id))
    cov_rows, officer_rows, wanted = _compute(events, officers, index, all_rules, now, ts)
    current = {(r, e): i for r, e, i in _fetch(session, select(
        RecordingEventLink.recording_id, RecordingEventLink.event_id, RecordingEventLink.id).where(
        RecordingEventLink.source == "auto", RecordingEventLink.removed_at.is_(None)))[0]}
    bulk = ["event_coverage", "event_officer_coverage"] if len(cov_rows) >= UNCHECKED_MIN_ROWS else []
    if len(wanted - current.keys()) >= UNCHECKED_MIN_ROWS:
        bulk.append("recording_event_links")
    with _unchecked(session, bulk) as unchecked:
        if unchecked and "event_coverage" in bulk and session.get_bind().dialect.name == "postgresql":
            # it holds their locks already; DELETE would leave 800k dead rows
            session.execute(text("TRUNCATE event_coverage, event_officer_coverage"))
        else:
            session.execute(delete(EventCoverage))
            session.execute(delete(EventOfficerCoverage))
        _bulk_insert(session, EventCoverage.__table__, COVERAGE_COLUMNS, cov_rows)
        _bulk_insert(session, EventOfficerCoverage.__table__, OFFICER_COLUMNS, officer_rows)
        _apply_links(session, current, wanted, now)
    day_counts.rebuild(session)
    recording_counts.rebuild(session)  # recordings linked to nothing changed with the links
    if session.get_bind().dialect.name == "postgresql":
        # fresh statistics after loading whole tables ("Populating a Database"): the planner would
        # otherwise take 800k coverage rows for a few thousand until autovacuum catches up
        session.execute(text("ANALYZE enforcement_events, event_officers, event_coverage, event_officer_coverage, "
                             "recording_event_links, recordings, coverage_day_counts, coverage_day_officer_counts, "
                             "recording_day_counts"))
    return len(events)


def _fetch(session: Session, query):
    """All rows of a select as plain tuples from the driver, and the function that turns their
    times into epoch seconds: SQLAlchemy's per-value processing costs seconds on a million rows.
    PostgreSQL sends the times as epoch seconds already (the same floats, and `.timestamp()` on a
    million datetimes is slow); SQLite gives the text UTCDateTime stores. The query is sent with its
    values inline, so it may hold only plain literals."""
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    if not sqlite:
        query = query.with_only_columns(*(cast(extract("epoch", c), Float) if isinstance(c.type, UTCDateTime) else c
                                          for c in query.selected_columns))
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})))
        rows = cur.fetchall()
    finally:
        cur.close()
    return rows, _ts_sqlite if sqlite else _epoch


def _load_batch(session: Session, event_ids: list[int]):
    """Events and their officers, for one batch of ids."""
    events = session.execute(select(EnforcementEvent.id, EnforcementEvent.event_type, EnforcementEvent.started_at,
                                    EnforcementEvent.ended_at).where(EnforcementEvent.id.in_(event_ids))).all()
    officers = defaultdict(list)
    for event_id, police_id, user_id in session.execute(
            select(EventOfficer.event_id, EventOfficer.police_id, EventOfficer.user_id)
            .where(EventOfficer.event_id.in_(event_ids))):
        officers[event_id].append((police_id, user_id))
    return events, officers


def _compute(events, officers, index: ClipIndex, all_rules: dict[str, Rule], now: datetime, ts=_ts):
    """Coverage rows, officer rows (tuples in COVERAGE_COLUMNS and OFFICER_COLUMNS order) and the
    wanted auto-links of these events. events: (id, event_type, started_at, ended_at); officers:
    event id -> [(police_id, user_id)]; ts turns the event times into epoch seconds."""
    now_ts = now.timestamp()
    cov_rows, officer_rows, wanted_links = [], [], set()
    for event_id, event_type, started_at, ended_at in events:
        rule = all_rules.get(event_type, all_rules["other"])
        start, end = ts(started_at), ts(ended_at)
        lo = start - rule.pre_roll_seconds - rule.tolerance_seconds
        hi = (end if end is not None else start + rule.default_minutes * 60) + rule.post_roll_seconds + rule.tolerance_seconds
        event_officers = officers[event_id]
        clips = {police_id: index.around(user_id, lo, hi) for police_id, user_id in event_officers}
        result = evaluate(start, end, clips, rule, now_ts)
        cov_rows.append((event_id, result.status, _dt(result.window_start), _dt(result.window_end),
                         result.window_seconds, result.covered_seconds, result.ratio, result.late_upload,
                         _dt(result.deadline), _id_list(result.recording_ids), now))
        for police_id, user_id in event_officers:
            r = result.officers[police_id]
            officer_rows.append((event_id, police_id, user_id, r.covered_seconds, r.ratio, r.status,
                                 _id_list(r.recording_ids)))
        wanted_links.update((rid, event_id) for rid in result.recording_ids)
    return cov_rows, officer_rows, wanted_links


def _store(session: Session, events, officers, index: ClipIndex, all_rules: dict[str, Rule], now: datetime) -> int:
    cov_rows, officer_rows, wanted = _compute(events, officers, index, all_rules, now)
    ids = [e.id for e in events]
    session.execute(delete(EventCoverage).where(EventCoverage.event_id.in_(ids)))
    session.execute(delete(EventOfficerCoverage).where(EventOfficerCoverage.event_id.in_(ids)))
    _bulk_insert(session, EventCoverage.__table__, COVERAGE_COLUMNS, cov_rows)
    _bulk_insert(session, EventOfficerCoverage.__table__, OFFICER_COLUMNS, officer_rows)
    current = {(l.recording_id, l.event_id): l.id for l in session.execute(
        select(RecordingEventLink.recording_id, RecordingEventLink.event_id, RecordingEventLink.id).where(
            RecordingEventLink.event_id.in_(ids), RecordingEventLink.source == "auto",
            RecordingEventLink.removed_at.is_(None)))}
    _apply_links(session, current, wanted, now)
    return len(events)


def _bulk_insert(session: Session, table, columns: list[str], rows: list[tuple]) -> None:
    """Many rows at once: binary COPY on PostgreSQL (several times faster than INSERTs); on SQLite the driver's
    executemany with the times already in UTCDateTime's text (SQLAlchemy's per-value work doubles the time)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    raw = session.connection().connection.driver_connection
    if dialect == "postgresql" and len(rows) >= COPY_MIN_ROWS:
        types = dict(session.execute(text("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = "
                                          "CAST(:table AS regclass)"), {"table": table.name}).all())
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"  # a fifth of text COPY's time
        with raw.cursor() as cur, cur.copy(sql) as copy:
            copy.set_types([types[c] for c in columns])
            for row in rows:
                copy.write_row(row)
    elif dialect == "sqlite":
        times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
        if times:
            rows = [tuple(_sqlite_text(v) if i in times else v for i, v in enumerate(row)) for row in rows]
        cur = raw.cursor()
        try:
            cur.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            rows)
        finally:
            cur.close()
    else:
        session.execute(table.insert(), [dict(zip(columns, row)) for row in rows])


@contextmanager
def _unchecked(session: Session, tables: list[str]):
    """Load these tables without per-row index updates and, on PostgreSQL, foreign-key checks: they
    cost most of a full recompute's writing. The plain indexes (and on PostgreSQL the foreign keys)
    are dropped and, after the load, added back under the same names, which builds and checks each
    in one pass ("Populating a Database" in the PostgreSQL manual). On PostgreSQL that locks these
    tables and the ones they reference until commit; when the locks are not granted within
    LOCK_WAIT, nothing is dropped and the load runs as usual. Yields whether anything was dropped.
    (SQLite's writer holds its lock already, and its readers keep their snapshot.)"""
    dialect = session.get_bind().dialect.name
    if not tables or dialect not in ("postgresql", "sqlite"):
        yield False
        return
    conn = session.connection()
    if dialect == "sqlite":
        names = ", ".join(f"'{t}'" for t in tables)
        ddl = [(f'DROP INDEX "{name}"', sql) for name, sql in conn.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names}) AND sql IS NOT NULL")]
        for drop, _ in ddl:
            conn.exec_driver_sql(drop)
        dropped = True
    else:
        ddl = session.execute(text("""
            SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
                   format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
            FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(CAST(:tables AS regclass[]))
            UNION ALL
            SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid)
            FROM pg_index WHERE indrelid = ANY(CAST(:tables AS regclass[])) AND NOT indisunique"""),
            {"tables": tables}).all()
        before = conn.exec_driver_sql("SELECT current_setting('lock_timeout')").scalar()
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                for drop, _ in ddl:
                    conn.exec_driver_sql(drop)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in ("55P03", "40P01"):  # lock not available, deadlock
                raise
            dropped = False
        else:
            dropped = True
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{before}'")
    yield dropped
    for _, add in ddl if dropped else ():
        conn.exec_driver_sql(add)


def _apply_links(session: Session, current: dict[tuple[int, int], int], wanted: set[tuple[int, int]],
                 now: datetime) -> None:
    """Auto-links follow the coverage; a link no longer backed is stamped removed, never deleted."""
    new = [(r, e, "auto", now, "system") for r, e in wanted - current.keys()]
    _bulk_insert(session, RecordingEventLink.__table__, LINK_COLUMNS, new)
    gone = [current[k] for k in current.keys() - wanted]
    # written with SQL, unseen by the ORM's flush: their recordings' "linked to nothing" counts change
    recording_counts.mark_recordings(session, {n[0] for n in new} | {r for r, _ in current.keys() - wanted})
    for i in range(0, len(gone), BATCH):
        session.execute(update(RecordingEventLink).where(RecordingEventLink.id.in_(gone[i:i + BATCH]))
                        .values(removed_at=now, removed_by="system"))


# -- what a change touches ------------------------------------------------------------------------
def events_near(session: Session, officer_ids: set[int], lo: datetime, hi: datetime) -> list[int]:
    reach = timedelta(seconds=max_reach_seconds(rules()))
    if not officer_ids:
        return []
    return list(session.scalars(select(EnforcementEvent.id).join(
        EventOfficer, EventOfficer.event_id == EnforcementEvent.id).where(
        EventOfficer.user_id.in_(officer_ids), EnforcementEvent.started_at < hi + reach,
        EnforcementEvent.started_at > lo - reach - timedelta(days=1)).distinct()))


def recompute_for_recordings(session: Session, recording_ids: list[int], extra_officers: set[int] = frozenset()) -> int:
    """After recordings became verified, got their duration, or changed officer."""
    recs = session.scalars(select(Recording).where(Recording.id.in_(recording_ids))).all()
    timed = [r for r in recs if r.started_at is not None]
    if not timed:
        return 0
    officers = {r.officer_id for r in timed if r.officer_id} | set(extra_officers)
    lo = min(r.started_at_corrected for r in timed)
    hi = max((r.ended_at or r.started_at) - (r.started_at - r.started_at_corrected) for r in timed)
    return recompute(session, events_near(session, officers, lo, hi))


def overdue_pending(session: Session, now: datetime | None = None) -> list[int]:
    """Events still `pending` although their upload deadline has passed: they become missing."""
    return list(session.scalars(select(EventCoverage.event_id).where(
        EventCoverage.status == "pending", EventCoverage.deadline_at < (now or utcnow()))))
