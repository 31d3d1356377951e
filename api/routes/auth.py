"""Login. Who: anyone (the password decides); every attempt is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import DB, IP, AnyUser
from api.schemas import LoginIn, TokenOut, UserOut
from evidence.identity import authenticate
from evidence.security import create_token

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _login(db, police_id: str, password: str, ip: str | None) -> TokenOut:
    user = authenticate(db, police_id, password, ip)
    db.commit()
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong police ID or password, or account disabled")
    token, seconds = create_token(user.id, user.role)
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
