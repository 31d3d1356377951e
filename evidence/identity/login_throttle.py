"""Login throttling per account and per client address, kept in the database.

Several API processes answer logins, so the counts live in `login_throttles` and each attempt
locks its rows (FOR UPDATE on PostgreSQL): parallel guesses cannot slip past a limit. After the
free failures each further one makes the caller wait longer (doubling); at the lock threshold
the account or address is locked for a while. Waiting is the caller's job (429 + Retry-After):
nothing here sleeps. Unknown police IDs are throttled like real ones, so answers never tell
which accounts exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evidence.actors import system_actor
from evidence.audit import service as audit
from evidence.config import get_settings
from evidence.errors import NotFound
from evidence.identity.models import LoginThrottle
from evidence.timeutil import utcnow

ACCOUNT, ADDRESS = "account", "address"


@dataclass
class Throttled(Exception):
    """A login refused before its password was looked at."""

    retry_after: int  # seconds
    message: str


def _limits(scope: str) -> tuple[int, int]:
    s = get_settings()
    if scope == ACCOUNT:
        return s.login_account_free_failures, s.login_account_lock_failures
    return s.login_address_free_failures, s.login_address_lock_failures


def _keys(police_id: str, ip: str | None) -> list[tuple[str, str]]:
    keys = [(ACCOUNT, police_id.strip().lower()[:200])]  # case-folded: 'p01' and 'P01' share a count
    if ip:
        keys.append((ADDRESS, ip[:200]))
    return keys


def _row(session: Session, scope: str, key: str) -> LoginThrottle | None:
    return session.scalar(select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key)
                          .with_for_update())


def check(session: Session, police_id: str, ip: str | None) -> datetime:
    """Raise Throttled if the account or the address must wait or is locked; else lock the rows
    and return the time to count this attempt at (taken once the locks are held)."""
    # The account row is created (and locked) even before a first failure, so parallel
    # guesses at one account queue behind each other instead of all passing this check.
    rows = []
    for scope, key in _keys(police_id, ip):
        locked = _get_or_create(session, scope, key, utcnow()) if scope == ACCOUNT else _row(session, scope, key)
        rows.append((scope, key, locked))
    now = utcnow()
    refusals = []
    for scope, key, row in rows:
        if row is None:
            continue
        what = "this account" if scope == ACCOUNT else f"address {key}"
        if row.locked_until and row.locked_until > now:
            refusals.append((row.locked_until, f"{what} is locked after {row.failures} failed logins until "
                                               f"{row.locked_until:%Y-%m-%d %H:%M:%S} UTC; an admin can unlock it"))
        elif row.next_attempt_at and row.next_attempt_at > now:
            refusals.append((row.next_attempt_at, f"too many failed logins for {what}: wait before trying again"))
    if refusals:
        until, message = max(refusals, key=lambda r: r[0])
        raise Throttled(max(1, math.ceil((until - now).total_seconds())), message)
    return now


def _get_or_create(session: Session, scope: str, key: str, now: datetime) -> LoginThrottle:
    row = _row(session, scope, key)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(scope=scope, key=key, failures=0, window_started_at=now, last_failure_at=now)
            session.add(row)
        return row
    except IntegrityError:  # another process created it first: use theirs
        return _row(session, scope, key)


def failed(session: Session, police_id: str, ip: str | None, user_id: int | None, now: datetime) -> None:
    """Count one failed login against the account and the address; delay or lock (audited)."""
    s = get_settings()
    for scope, key in _keys(police_id, ip):
        row = _get_or_create(session, scope, key, now)
        if row.failures == 0 or now - row.window_started_at > timedelta(minutes=s.login_window_minutes):
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        row.last_failure_at = now
        free, lock = _limits(scope)
        if row.failures >= lock:
            row.locked_until = now + timedelta(minutes=s.login_lock_minutes)
            row.next_attempt_at = row.locked_until
            actor = system_actor("login throttle", ip)
            audit.record(session, actor, "auth.lock", "user" if scope == ACCOUNT else "address",
                         user_id if scope == ACCOUNT else None, scope=scope, key=key, failures=row.failures,
                         until=row.locked_until.isoformat())
        elif row.failures >= free:
            wait = min(s.login_delay_seconds * 2 ** (row.failures - free), s.login_max_delay_seconds)
            row.next_attempt_at = now + timedelta(seconds=wait)


def succeeded(session: Session, police_id: str) -> None:
    """A right password clears the account's count (not the address's: one's own login must not
    wipe the trace of guesses at other accounts)."""
    row = _row(session, ACCOUNT, police_id.strip().lower()[:200])
    if row is not None:
        session.delete(row)


def account_state(session: Session, police_ids: list[str], now: datetime) -> dict[str, LoginThrottle]:
    """Throttle rows still in force (waiting or locked), by lower-cased police ID."""
    keys = [p.lower() for p in police_ids]
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.scope == ACCOUNT, LoginThrottle.key.in_(keys)))
    return {r.key: r for r in rows if (r.next_attempt_at and r.next_attempt_at > now)}


def recent(session: Session, now: datetime) -> list[LoginThrottle]:
    """Accounts and addresses with failed logins in the current window, or still waiting or locked."""
    since = now - timedelta(minutes=get_settings().login_window_minutes)
    return list(session.scalars(select(LoginThrottle).where(
        LoginThrottle.failures > 0,
        or_(LoginThrottle.last_failure_at > since, LoginThrottle.next_attempt_at > now, LoginThrottle.locked_until > now))
        .order_by(LoginThrottle.id)))


def clear(session: Session, actor: audit.Actor, throttle_id: int, user_id: int | None = None) -> LoginThrottle:
    """An admin lifts a delay or lock (audited); the count starts again from zero."""
    row = session.get(LoginThrottle, throttle_id)
    if row is None:
        raise NotFound(f"login lock {throttle_id} does not exist")
    audit.record(session, actor, "auth.unlock", "user" if row.scope == ACCOUNT else "address", user_id,
                 scope=row.scope, key=row.key, failures=row.failures)
    session.delete(row)
    return row


def clear_account(session: Session, actor: audit.Actor, police_id: str, user_id: int) -> bool:
    row = _row(session, ACCOUNT, police_id.strip().lower()[:200])
    if row is None:
        return False
    clear(session, actor, row.id, user_id)
    return True
