"""The single-box broker: kombu's SQLAlchemy transport on a SQLite file, polled every 0.1 s.

kombu hands every transport option of this transport to `create_engine`, so its polling
interval (1 s by default, which caps a worker at about one task per second per process)
cannot be set as an option; this subclass sets it instead. Registered as `sqlite-broker+`.

The broker file runs in WAL mode without an fsync per commit (`synchronous=NORMAL`): every
message is a commit, and a dock session sends hundreds. A message lost to a power cut is not a
loss of evidence: the sweeps re-queue any verification or processing whose message vanished.
The evidence database itself keeps a full fsync per commit.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy import event

POLLING_INTERVAL = 0.1


def _quick_commits(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Channel(kombu_sqla.Channel):
    def _engine_from_config(self):
        engine = super()._engine_from_config()
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _quick_commits)
        return engine


class Transport(kombu_sqla.Transport):
    Channel = Channel
    polling_interval = POLLING_INTERVAL
    driver_type = "sqla"


TRANSPORT_ALIASES.setdefault("sqlite-broker", "workers.embedded_broker:Transport")
