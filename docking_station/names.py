"""Camera file names that are not valid UTF-8 (a card written under a Chinese code page, a
damaged FAT entry). Python hands them over with surrogate escapes, which SQLite, the JSON API
and the terminal all refuse; here they get a safe stand-in for display and upload, while the
raw bytes are kept (journal: as bytes; server: as hex) so the file can still be found and
nothing of its name is lost."""

from __future__ import annotations

import os


def is_clean(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def safe(name: str) -> str:
    """The name with each undecodable byte shown as '_' (unchanged when it is valid UTF-8)."""
    if is_clean(name):
        return name
    return os.fsencode(name).decode("utf-8", "replace").replace("\ufffd", "_")


def raw_hex(name: str) -> str | None:
    """The name's raw bytes in hex, only when it is not valid UTF-8."""
    return None if is_clean(name) else os.fsencode(name).hex()


def to_db(path: str) -> str | bytes:
    """What SQLite stores: the text, or the raw bytes (a BLOB) when it is not valid UTF-8."""
    return path if is_clean(path) else os.fsencode(path)


def from_db(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value
