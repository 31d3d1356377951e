"""What an admin does to an account: disable, enable, reset its password, lift a login lock.
Every change is audited; disabling and resetting end the account's existing login tokens."""

from __future__ import annotations

from evidence.audit import service as audit
from evidence.errors import Invalid, NotFound
from evidence.identity import login_throttle, passwords
from evidence.identity.models import User
from evidence.identity.security import hash_password


def _user(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def set_active(session, actor: audit.Actor, user_id: int, active: bool) -> User:
    user = _user(session, user_id)
    if not active and actor.type == "user" and str(actor.id) == str(user.id):
        raise Invalid("you cannot disable your own account; ask another admin")
    if user.active != active:
        user.active = active
        if not active:
            user.token_version += 1  # belt and braces: its tokens are refused as disabled anyway
        audit.record(session, actor, "user.enable" if active else "user.disable", "user", user.id,
                     police_id=user.police_id)
    return user


def reset_password(session, actor: audit.Actor, user_id: int, password: str) -> User:
    """A new password (policy-checked); old tokens stop working and any login lock is lifted."""
    user = _user(session, user_id)
    passwords.check(password, user.police_id)
    user.password_hash = hash_password(password)
    user.token_version += 1
    audit.record(session, actor, "user.password_reset", "user", user.id, police_id=user.police_id)
    login_throttle.clear_account(session, actor, user.police_id, user.id)
    return user


def unlock(session, actor: audit.Actor, user_id: int) -> User:
    user = _user(session, user_id)
    if not login_throttle.clear_account(session, actor, user.police_id, user.id):
        raise NotFound(f"user {user.police_id} has no failed logins to clear")
    return user
