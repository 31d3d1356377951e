"""Units, users and docking stations: plain functions over a session, shared by API and CLI."""

from __future__ import annotations


from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors import login_actor
from evidence.audit import service as audit
from evidence.errors import Conflict, NotFound, Invalid
from evidence.identity import login_throttle, passwords
from evidence.identity.models import POLICE_ID, Role, Station, Unit, User
from evidence.identity.security import (hash_password, hash_station_secret, new_station_key, split_station_key,
                                        station_key_matches, verify_password)
from evidence.timeutil import utcnow



def unit_by_code(session: Session, code: str, what: str = "unit") -> Unit:
    """The unit with this code, or a NotFound that names it."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"{what} {code!r} does not exist")
    return unit


def create_unit(session: Session, actor: audit.Actor, code: str, name: str, level: str = "unit",
                parent_code: str | None = None) -> Unit:
    if session.scalar(select(Unit).where(Unit.code == code)):
        raise Conflict(f"unit code {code!r} already exists")
    parent = unit_by_code(session, parent_code, "parent unit") if parent_code else None
    unit = Unit(code=code, name=name, level=level, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    audit.record(session, actor, "unit.create", "unit", unit.id, code=code, name=name, parent=parent_code)
    return unit


def subtree_unit_ids(session: Session, unit_id: int) -> list[int]:
    """The unit and every unit below it (recursive query, same SQL on SQLite and PostgreSQL)."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    return list(session.scalars(select(tree.c.id)))


def unit_within(session: Session, unit_id: int | None, root_id: int | None) -> bool:
    """Whether unit_id is root_id or below it (False when either is unknown)."""
    return unit_id is not None and root_id is not None and unit_id in subtree_unit_ids(session, root_id)


def create_user(session: Session, actor: audit.Actor, police_id: str, name: str, role: str, password: str,
                unit_code: str | None = None) -> User:
    if not POLICE_ID.match(police_id):
        raise Invalid("police_id must be 1-32 letters or digits")
    if role not in {r.value for r in Role}:
        raise Invalid(f"role must be one of {', '.join(r.value for r in Role)}")
    passwords.check(password, police_id)
    if session.scalar(select(User).where(User.police_id == police_id)):
        raise Conflict(f"a user with police_id {police_id} already exists")
    unit = unit_by_code(session, unit_code) if unit_code else None
    if unit is None and role in (Role.officer.value, Role.supervisor.value, Role.case_handler.value):
        raise Invalid(f"a {role} must belong to a unit")
    user = User(police_id=police_id, name=name, role=role, password_hash=hash_password(password),
                unit_id=unit.id if unit else None)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, police_id=police_id, role=role, unit=unit_code)
    return user


def authenticate(session: Session, police_id: str, password: str, ip: str | None) -> User | None:
    """The user if the password is right and the account active; None otherwise. Raises
    login_throttle.Throttled (audited) while the account or address must wait."""
    user = session.scalar(select(User).where(User.police_id == police_id))
    actor = login_actor(user, police_id, ip)
    try:
        now = login_throttle.check(session, police_id, ip)
    except login_throttle.Throttled as exc:
        audit.record(session, actor, "auth.login_throttled", "user", user.id if user else None,
                     retry_after=exc.retry_after)
        raise
    ok = verify_password(password, user.password_hash if user else None) and bool(user and user.active)
    audit.record(session, actor, "auth.login" if ok else "auth.login_failed", "user", user.id if user else None)
    if ok:
        login_throttle.succeeded(session, police_id)
    else:
        login_throttle.failed(session, police_id, ip, user.id if user else None, now)
    return user if ok else None


def register_station(session: Session, actor: audit.Actor, name: str, unit_code: str | None,
                     created_by_id: int | None = None) -> tuple[Station, str]:
    """Create a station and return it with its API key (shown this once, stored hashed)."""
    unit = unit_by_code(session, unit_code) if unit_code else None
    key_id, key = new_station_key()
    station = Station(name=name, unit_id=unit.id if unit else None, key_id=key_id,
                      key_hash=hash_station_secret(key), created_by_id=created_by_id)
    session.add(station)
    session.flush()
    audit.record(session, actor, "station.register", "station", station.id, name=name, unit=unit_code)
    return station, key


def revoke_station(session: Session, actor: audit.Actor, station_id: int) -> Station:
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound(f"station {station_id} does not exist")
    if station.revoked_at is None:
        station.revoked_at = utcnow()
        audit.record(session, actor, "station.revoke", "station", station.id)
    return station


def authenticate_station(session: Session, key: str) -> Station | None:
    parts = split_station_key(key)
    if parts is None:
        return None
    station = session.scalar(select(Station).where(Station.key_id == parts[0]))
    if station is None or station.revoked_at is not None or not station_key_matches(key, station.key_hash):
        return None
    return station


def record_heartbeat(session: Session, station: Station, version: str, spool_used_bytes: int,
                     spool_free_bytes: int, queue_length: int, last_error: str | None) -> Station:
    """Keep the dock agent's latest state for admins (not audited: it touches no evidence)."""
    station.heartbeat_at = station.last_seen_at = utcnow()
    station.agent_version = version
    station.spool_used_bytes, station.spool_free_bytes = spool_used_bytes, spool_free_bytes
    station.queue_length, station.last_error = queue_length, last_error
    return station
