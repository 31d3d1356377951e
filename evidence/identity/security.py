"""Passwords (argon2 via pwdlib), login tokens (JWT) and station API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import jwt
from pwdlib import PasswordHash

from evidence.config import get_settings
from evidence.secrets_store import token_key
from evidence.timeutil import utcnow

_passwords = PasswordHash.recommended()
_DUMMY_HASH = _passwords.hash("timing-equaliser")
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant work whether or not the user exists (no user enumeration by timing)."""
    if hashed is None:
        _passwords.verify(password, _DUMMY_HASH)
        return False
    return _passwords.verify(password, hashed)


def create_token(user_id: int, role: str, version: int = 0) -> tuple[str, int]:
    """`ver` is the account's token_version: bumping it (password reset, disable) revokes the token."""
    settings = get_settings()
    lifetime = timedelta(minutes=settings.token_minutes)
    now = utcnow()
    payload = {"sub": str(user_id), "role": role, "iat": now, "exp": now + lifetime, "typ": "user", "ver": version}
    return jwt.encode(payload, token_key(), algorithm=ALGORITHM), int(lifetime.total_seconds())


def decode_token(token: str) -> dict:
    """Raises jwt.InvalidTokenError on a bad, forged or expired token."""
    return jwt.decode(token, token_key(), algorithms=[ALGORITHM],
                      options={"require": ["exp", "sub"]})


def new_station_key() -> tuple[str, str]:
    """(key_id, full key). The full key is shown once; only sha256(secret) is stored."""
    key_id = secrets.token_hex(6)
    return key_id, f"dock_{key_id}_{secrets.token_urlsafe(32)}"


def split_station_key(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "dock" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def hash_station_secret(key: str) -> str:
    # The key carries 256 random bits: a plain SHA-256 is safe here and cheap per request.
    return hashlib.sha256(key.encode()).hexdigest()


def station_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_station_secret(key), stored_hash)
