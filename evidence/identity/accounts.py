"""What an admin does to an account: disable, enable, reset its password, lift a login lock.
Every change is audited; disabling and resetting end the account's existing login tokens."""

from __future__ import annotations

from evidence.audit import service as audit
from evidence.errors import Invalid, NotFound
from evidence.identity import login_throttle, passwords
from evidence.identity.models import Role, User
from evidence.identity.security import hash_password
from evidence.identity.service import unit_by_code

UNIT_ROLES = (Role.officer.value, Role.supervisor.value, Role.case_handler.value)


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


def change(session, actor: audit.Actor, user_id: int, role: str | None, unit_code: str | None,
           clear_unit: bool = False) -> User:
    """A new role and/or unit. An admin cannot demote himself (the last way back would be the CLI);
    officers, supervisors and case handlers always keep a unit."""
    user = _user(session, user_id)
    if role is not None and role not in {r.value for r in Role}:
        raise Invalid(f"role must be one of {', '.join(r.value for r in Role)}")
    if role is not None and role != user.role and actor.type == "user" and str(actor.id) == str(user.id):
        raise Invalid("you cannot change your own role; ask another admin")
    unit_id = None if clear_unit else (unit_by_code(session, unit_code).id if unit_code else user.unit_id)
    new_role = role or user.role
    if unit_id is None and new_role in UNIT_ROLES:
        raise Invalid(f"a {new_role} must belong to a unit: choose one")
    before = {"role": user.role, "unit_id": user.unit_id}
    if (new_role, unit_id) != (user.role, user.unit_id):
        user.role, user.unit_id = new_role, unit_id
        audit.record(session, actor, "user.change", "user", user.id, police_id=user.police_id, before=before,
                     after={"role": new_role, "unit_id": unit_id})
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
