"""Who did it: the audit actor for a signed-in user (used by every domain that writes the audit log)."""

from __future__ import annotations

from evidence.audit import service as audit
from evidence.identity.models import User


def user_actor(user: User, ip: str | None = None) -> audit.Actor:
    return audit.Actor("user", user.id, user.police_id, ip)
