"""Accounts an admin looks after: disable, enable, reset a password, lift login locks."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DB, IP, Admin
from evidence.actors import user_actor
from evidence.identity import accounts, login_throttle
from evidence.identity.models import User
from evidence.identity.schemas import LoginLockOut, PasswordIn, UserChangeIn, UserOut
from evidence.timeutil import utcnow
from evidence.types import Id

router = APIRouter(prefix="/api/v1", tags=["administration"])


def with_login_state(db, users: list[User]) -> list[UserOut]:
    """Users as admins see them: with the failed logins and lock still in force."""
    now = utcnow()
    state = login_throttle.account_state(db, [u.police_id for u in users], now)
    out = []
    for user in users:
        row = state.get(user.police_id.lower())
        item = UserOut.model_validate(user)
        if row is not None:
            item.failed_logins, item.login_blocked_until = row.failures, row.next_attempt_at
            item.locked_until = row.locked_until if row.locked_until and row.locked_until > now else None
        out.append(item)
    return out


@router.post("/users/{user_id}/disable", response_model=UserOut,
             summary="Disable an account: no login, its tokens stop working (who: admin)")
def disable_user(user_id: int, db: DB, admin: Admin, ip: IP) -> UserOut:
    user = accounts.set_active(db, user_actor(admin, ip), user_id, False)
    db.commit()
    return with_login_state(db, [user])[0]


@router.post("/users/{user_id}/enable", response_model=UserOut, summary="Enable a disabled account (who: admin)")
def enable_user(user_id: int, db: DB, admin: Admin, ip: IP) -> UserOut:
    user = accounts.set_active(db, user_actor(admin, ip), user_id, True)
    db.commit()
    return with_login_state(db, [user])[0]


@router.patch("/users/{user_id}", response_model=UserOut,
              summary="Change a user's role or unit; it applies from the user's next request (who: admin)")
def change_user(user_id: Id, body: UserChangeIn, db: DB, admin: Admin, ip: IP) -> UserOut:
    clear = "unit_code" in body.model_fields_set and body.unit_code is None
    user = accounts.change(db, user_actor(admin, ip), user_id, body.role, body.unit_code, clear)
    db.commit()
    return with_login_state(db, [user])[0]


@router.post("/users/{user_id}/password", response_model=UserOut,
             summary="Set a new password: old tokens stop working, a login lock is lifted (who: admin)")
def reset_password(user_id: int, body: PasswordIn, db: DB, admin: Admin, ip: IP) -> UserOut:
    user = accounts.reset_password(db, user_actor(admin, ip), user_id, body.password)
    db.commit()
    return with_login_state(db, [user])[0]


@router.post("/users/{user_id}/unlock", response_model=UserOut,
             summary="Lift an account's login delay or lock (who: admin)")
def unlock_user(user_id: int, db: DB, admin: Admin, ip: IP) -> UserOut:
    user = accounts.unlock(db, user_actor(admin, ip), user_id)
    db.commit()
    return with_login_state(db, [user])[0]


@router.get("/login-locks", response_model=list[LoginLockOut],
            summary="Accounts and client addresses with recent failed logins: waiting, locked or not (who: admin)")
def list_login_locks(db: DB, _: Admin) -> list[LoginLockOut]:
    return [LoginLockOut.model_validate(r) for r in login_throttle.recent(db, utcnow())]


@router.post("/login-locks/{lock_id}/clear", response_model=LoginLockOut,
             summary="Lift one login delay or lock, e.g. of an address (who: admin)")
def clear_login_lock(lock_id: int, db: DB, admin: Admin, ip: IP) -> LoginLockOut:
    out = LoginLockOut.model_validate(login_throttle.clear(db, user_actor(admin, ip), lock_id))
    db.commit()
    return out
