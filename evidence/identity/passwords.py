"""Password policy: length alone lets `11111111` and `password` through, so refuse the
passwords attackers try first. Each refusal says what to change."""

from __future__ import annotations

import re

from evidence.errors import Invalid
from evidence.identity.common_passwords import COMMON_PASSWORDS

MIN_LENGTH = 8
_TRAILING = re.compile(r"[\d\W_]+$")
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _is_run(text: str) -> bool:
    """Each character one step from the last: 12345678, abcdefgh, 87654321, qwertyui."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:])}
    if steps in ({1}, {-1}):
        return True
    return any(text in row or text in row[::-1] for row in _KEYBOARD_ROWS)


def _is_repeat(text: str) -> bool:
    """A short unit repeated: 12121212, abcabcabc, ab12ab12."""
    for size in range(1, 5):
        unit = text[:size]
        if len(text) >= 2 * size and (unit * (len(text) // size + 1))[:len(text)] == text:
            return True
    return False


def problem(password: str, police_id: str | None = None) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters"
    lowered = password.lower()
    if len(set(lowered)) == 1:
        return "password must not be one character repeated"
    if _is_repeat(lowered) or _is_run(lowered):
        return "password must not be a run or a repeated pattern (like 12345678, abcdefgh or 12121212)"
    stem = _TRAILING.sub("", lowered)
    if lowered in COMMON_PASSWORDS or stem in COMMON_PASSWORDS:
        return "password is one of the most common passwords: choose one that is hard to guess"
    if police_id and len(police_id) >= 4 and police_id.lower() in lowered:
        return "password must not contain the police ID"
    return None


def check(password: str, police_id: str | None = None) -> None:
    """Raise Invalid with the reason when the password is refused."""
    reason = problem(password, police_id)
    if reason:
        raise Invalid(reason)
