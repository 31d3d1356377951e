"""Write a generated month (generated_month.py) into the configured database in bulk, then
compute its coverage with the one recompute-all path every other import ends with.

Rows are numbered after the ids already taken, so a month can go beside what a box holds; on
PostgreSQL they go in with COPY and the id sequences are moved past them."""

from __future__ import annotations

import random
import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from evidence.coverage import service
from evidence.coverage.generated_month import EO_COLS, EVENT_COLS, REC_COLS, IdBase, Month, recording_rows
from evidence.coverage.models import EnforcementEvent, EventOfficer
from evidence.db import session_scope
from evidence.devices.models import Device, DeviceAssignment
from evidence.identity.models import Unit, User
from evidence.recordings.models import Recording

BATCH = 20_000
_TABLES = {"unit": Unit, "user": User, "device": Device, "assignment": DeviceAssignment, "event": EnforcementEvent,
           "event_officer": EventOfficer, "recording": Recording}


def id_base(conn: Connection) -> IdBase:
    """The highest id of each table the month writes to (0 when empty)."""
    return IdBase(**{k: conn.scalar(sa.select(sa.func.coalesce(sa.func.max(m.id), 0))) for k, m in _TABLES.items()})


def event_count(conn: Connection) -> int:
    return conn.scalar(sa.select(sa.func.count()).select_from(EnforcementEvent))


def taken_codes(conn: Connection, m: Month) -> list[str]:
    """Unit codes, 警号 and camera serials of the month that the database already holds."""
    out = []
    for model, column, values in ((Unit, Unit.code, [u["code"] for u in m.units]),
                                  (User, User.police_id, [o["police_id"] for o in m.officers]),
                                  (Device, Device.serial, [d["serial"] for d in m.devices])):
        out += conn.scalars(sa.select(column).where(column.in_(values))).all()
    return out


def _chunks(rows, size=BATCH):
    batch = []
    for r in rows:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert(engine: Engine, m: Month, playable: bool = True, seed: int = 7) -> dict[str, float]:
    """Insert every row of the month in one transaction; returns the seconds per table."""
    rng = random.Random(seed)
    times: dict[str, float] = {}
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        t0 = time.perf_counter()
        conn.execute(Unit.__table__.insert(), m.units)
        conn.execute(User.__table__.insert(), m.officers)
        conn.execute(Device.__table__.insert(), m.devices)
        if m.assignments:
            conn.execute(DeviceAssignment.__table__.insert(), m.assignments)
        times["people"] = round(time.perf_counter() - t0, 2)
        tables = [(EnforcementEvent.__table__, EVENT_COLS, m.events),
                  (EventOfficer.__table__, EO_COLS, m.event_officers),
                  (Recording.__table__, REC_COLS, recording_rows(m, rng, m.start.tzinfo, playable))]
        if postgres:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:
                for table, cols, rows in tables:
                    t1 = time.perf_counter()
                    with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    times[table.name] = round(time.perf_counter() - t1, 2)
            for model in _TABLES.values():
                name = model.__tablename__
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT greatest(max(id), 1) FROM {name}))")
        else:
            for table, cols, rows in tables:
                t1 = time.perf_counter()
                for batch in _chunks(rows):
                    conn.execute(table.insert(), [dict(zip(cols, r)) for r in batch])
                times[table.name] = round(time.perf_counter() - t1, 2)
    return times


def analyze(engine: Engine) -> None:
    """Fresh planner statistics after a bulk load (the queries of the pages depend on them)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def load(engine: Engine, m: Month, playable: bool = False) -> int:
    """Insert the month, refresh statistics, and compute the coverage of every event (the stored
    per-day figures of the supervisor pages follow recompute_all). Returns the events computed."""
    insert(engine, m, playable)
    analyze(engine)
    with session_scope() as s:
        return service.recompute_all(s)
