"""Request dependencies: database session, object store, and who is calling.

Each route declares its callers with one of the `require_*` dependencies; the README's
endpoint table and the tests follow these declarations.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.cases import access
from evidence.cases.models import Case
from evidence.coverage.models import EnforcementEvent
from evidence.coverage.reports import visible_events
from evidence.db import new_session
from evidence.errors import Forbidden, Invalid, NotFound
from evidence.identity.models import Role, Station, User
from evidence.identity.security import decode_token
from evidence.identity.service import authenticate_station
from evidence.recordings.models import Recording
from evidence.recordings.service import get_visible
from evidence.store import get_store
from evidence.timeutil import utcnow
from evidence.types import INT32_MAX, Id
from storage.s3 import ObjectStore

bearer = HTTPBearer(auto_error=False, description="Login token from POST /api/v1/auth/login")


def get_db() -> Iterator[Session]:
    session = new_session()
    try:
        yield session
    finally:
        session.rollback()  # routes commit explicitly; anything left uncommitted is dropped
        session.close()


def store() -> ObjectStore:
    return get_store()


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


DB = Annotated[Session, Depends(get_db)]
Store = Annotated[ObjectStore, Depends(store)]
IP = Annotated[str | None, Depends(client_ip)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def current_user(db: DB, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                 x_station_key: Annotated[str | None, Header(include_in_schema=False)] = None) -> User:
    if creds is None:
        if x_station_key:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "docking stations may not call this endpoint")
        raise _unauthorized("log in first: send 'Authorization: Bearer <token>'")
    try:
        claims = decode_token(creds.credentials)
    except jwt.ExpiredSignatureError:
        raise _unauthorized("login token expired: log in again") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("login token is not valid") from None
    sub = claims.get("sub")
    # Only this server signs tokens, but a token with a foreign subject must still be a 401, not a 500.
    if not isinstance(sub, str) or not sub.isascii() or not sub.isdigit() or int(sub) > INT32_MAX:
        raise _unauthorized("login token is not valid")
    user = db.get(User, int(sub))
    if user is None or not user.active:
        raise _unauthorized("account is disabled")
    if claims.get("ver", 0) != user.token_version:
        raise _unauthorized("login token was revoked (password reset by an admin): log in again")
    return user


def require_roles(*roles: Role):
    allowed = {r.value for r in roles}

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {user.role} may not call this; allowed: {', '.join(sorted(allowed))}")
        return user

    return dependency


def current_station(db: DB, x_station_key: Annotated[str | None, Header(
        description="Docking-station API key from station registration")] = None,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> Station:
    if not x_station_key:
        if creds is not None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only docking stations may call this endpoint")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "send the station's API key in 'X-Station-Key'")
    station = authenticate_station(db, x_station_key)
    if station is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "station key unknown or revoked")
    now = utcnow()
    if station.last_seen_at is None or now - station.last_seen_at > timedelta(minutes=1):
        station.last_seen_at = now
        db.commit()
    return station


AnyUser = Annotated[User, Depends(current_user)]
Admin = Annotated[User, Depends(require_roles(Role.admin))]
AdminOrAuditor = Annotated[User, Depends(require_roles(Role.admin, Role.auditor))]
AdminOrSupervisor = Annotated[User, Depends(require_roles(Role.admin, Role.supervisor))]
StationCaller = Annotated[Station, Depends(current_station)]


# -- what a route acts on, loaded once the caller may reach it --------------------------------
# A route lists its role dependency before these, so a caller of the wrong role hears 403 before
# anything is looked up.

def readable_case(case_id: Id, db: DB, user: AnyUser) -> Case:
    """The case at `case_id` if the caller may read it; any other is answered as not found."""
    case = db.get(Case, case_id)
    if case is None or not access.can_read_case(db, user, case):
        raise NotFound(f"case {case_id} not found")
    return case


def readable_recording(recording_id: Id, db: DB, user: AnyUser) -> Recording:
    """The recording at `recording_id` if it is within the caller's reach (role, unit, grants);
    any other is answered as not found. The route's own action is what gets audited."""
    return get_visible(db, user, recording_id)


def visible_event(event_id: Id, db: DB, user: AnyUser) -> EnforcementEvent:
    """The ledger event at `event_id` if it is within the caller's reach; any other is not found."""
    event = db.get(EnforcementEvent, event_id)
    if event is None or not db.scalar(visible_events(db, user, select(EnforcementEvent.id).where(
            EnforcementEvent.id == event_id))):
        raise NotFound(f"event {event_id} not found")
    return event


def access_decider(user: AnyUser) -> User:
    if user.role not in (Role.supervisor.value, Role.admin.value):
        raise Forbidden("only supervisors and admins decide access requests")
    return user


CurrentCase = Annotated[Case, Depends(readable_case)]
ReadableRecording = Annotated[Recording, Depends(readable_recording)]
VisibleEvent = Annotated[EnforcementEvent, Depends(visible_event)]
AccessDecider = Annotated[User, Depends(access_decider)]


async def read_upload(file, limit_mb: int, what: str) -> bytes:
    """An uploaded file's bytes, refused with a clear message past the size limit."""
    data = await file.read(limit_mb * 1024 * 1024 + 1)
    if len(data) > limit_mb * 1024 * 1024:
        raise Invalid(f"{what} larger than {limit_mb} MB: split it")
    return data
