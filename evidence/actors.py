"""Who acts, for the audit log, and whose records a reader sees.

An actor is one concept (audit.Actor): a signed-in user, a docking station, the command line,
or the system itself (a scheduled task, a worker, the login throttle). Every domain builds its
actors here. A scheduled task that reads on behalf of a unit does not pose as a user: it reads
through a UnitScope (the whole detachment, or one unit and those below it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from evidence.audit.service import SYSTEM, Actor
from evidence.identity.models import Station, User

__all__ = ["SYSTEM", "Actor", "UnitScope", "WHOLE", "cli_actor", "login_actor", "station_actor", "system_actor", "user_actor"]


def user_actor(user: User, ip: str | None = None) -> Actor:
    return Actor("user", user.id, user.police_id, ip)


def login_actor(user: User | None, police_id: str, ip: str | None = None) -> Actor:
    """Someone signing in: the account if it exists, and always the police ID as typed."""
    return Actor("user", user.id if user else None, police_id, ip)


def system_actor(label: str = "system", ip: str | None = None) -> Actor:
    """The system acting on its own: a scheduled task, a worker, the login throttle."""
    return SYSTEM if label == "system" and ip is None else Actor("system", None, label, ip)


def station_actor(station: Station, ip: str | None = None) -> Actor:
    return Actor("station", station.id, station.name, ip)


def cli_actor() -> Actor:
    """The operator at the command line, named by their login."""
    return Actor("cli", os.environ.get("USER"), f"cli:{os.environ.get('USER', '?')}")


@dataclass(frozen=True)
class UnitScope:
    """A reach with no user behind it: every unit (unit_id None) or one unit and the units below it."""

    unit_id: int | None = None


WHOLE = UnitScope()
