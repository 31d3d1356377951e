"""Work every session does just before it commits, in one fixed order.

The stored counts are counted again first (each under its own per-day lock), the audit entries are
appended last. The audit tail's lock is one lock that every writer takes: a transaction that holds
it must wait for nothing else, or two transactions can each hold what the other waits for (the
deadlock PostgreSQL reported when an attach to a case and a worker's coverage refresh met on one
recording). So it is taken last, after every row and count lock, and held only while the entries
are written.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.orm import Session

COUNTS = 10  # coverage per day (evidence.coverage.day_counts)
RECORDING_COUNTS = 20  # recordings per day and unit (evidence.coverage.recording_counts)
AUDIT = 100  # the hash-chained audit log (evidence.audit.service): always last

_before_commit: list[tuple[int, Callable[[Session], None]]] = []
_after_rollback: list[Callable[[Session], None]] = []


def before_commit(order: int):
    """Run the decorated function(session) before each commit, after every hook of a lower order."""
    def register(fn: Callable[[Session], None]) -> Callable[[Session], None]:
        _before_commit.append((order, fn))
        _before_commit.sort(key=lambda hook: hook[0])
        return fn
    return register


def after_rollback(fn: Callable[[Session], None]) -> Callable[[Session], None]:
    """Run fn(session) after a rollback (what was noted for the commit is forgotten)."""
    _after_rollback.append(fn)
    return fn


@event.listens_for(Session, "before_commit")
def _run_before_commit(session: Session) -> None:
    for _, fn in list(_before_commit):
        fn(session)


@event.listens_for(Session, "after_rollback")
def _run_after_rollback(session: Session) -> None:
    for fn in list(_after_rollback):
        fn(session)


def lock_keys(session: Session, namespace: int, keys) -> None:
    """PostgreSQL transaction locks on (namespace, key) for each key, in ascending order so that two
    transactions wanting some of the same keys never wait for each other in a circle. SQLite needs
    none: every transaction there holds the one write lock from its start (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ordered = sorted(set(keys))
    if ordered:  # one statement; unnest yields the keys in the array's (ascending) order
        session.execute(text("SELECT count(pg_advisory_xact_lock(CAST(:ns AS integer), k)) "
                             "FROM unnest(CAST(:keys AS integer[])) AS k"), {"ns": namespace, "keys": ordered})
