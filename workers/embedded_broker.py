"""The single-box broker: kombu's SQLAlchemy transport on a SQLite file, polled every 0.1 s.

kombu hands every transport option of this transport to `create_engine`, so its polling
interval (1 s by default, which caps a worker at about one task per second per process)
cannot be set as an option; this subclass sets it instead. Registered as `sqlite-broker+`.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla

POLLING_INTERVAL = 0.1


class Transport(kombu_sqla.Transport):
    polling_interval = POLLING_INTERVAL
    driver_type = "sqla"


TRANSPORT_ALIASES.setdefault("sqlite-broker", "workers.embedded_broker:Transport")
