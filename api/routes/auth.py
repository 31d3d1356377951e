"""Login. Who: anyone (the password decides); every attempt is audited, repeated failures
per account and per address are throttled (429 with Retry-After, then a temporary lock)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import DB, IP, AnyUser
from evidence.identity.login_throttle import Throttled
from evidence.identity.schemas import LoginIn, TokenOut, UserOut
from evidence.identity.security import create_token
from evidence.identity.service import authenticate

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _login(db, police_id: str, password: str, ip: str | None) -> TokenOut:
    try:
        user = authenticate(db, police_id, password, ip)
    except Throttled as exc:  # answered at once: the client waits, not the event loop
        db.commit()
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, f"{exc.message} (retry after {exc.retry_after} s)",
                            headers={"Retry-After": str(exc.retry_after)}) from None
    db.commit()
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong police ID or password, or account disabled")
    token, seconds = create_token(user.id, user.role, user.token_version)
    return TokenOut(access_token=token, expires_in=seconds)


@router.post("/login", response_model=TokenOut, summary="Log in (who: anyone)")
def login(body: LoginIn, db: DB, ip: IP) -> TokenOut:
    return _login(db, body.police_id, body.password, ip)


@router.post("/token", response_model=TokenOut, summary="Log in with a form, for the docs' Authorize button (who: anyone)")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DB, ip: IP) -> TokenOut:
    return _login(db, form.username, form.password, ip)


@router.get("/me", response_model=UserOut, summary="The logged-in user (who: any user)")
def me(user: AnyUser) -> UserOut:
    return UserOut.model_validate(user)
