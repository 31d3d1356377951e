"""Object keys. Originals are content-addressed: the key is derived from the SHA-256 only,
so no client-supplied name can ever reach a key."""

from __future__ import annotations

import re

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def original_key(sha256: str) -> str:
    if not SHA256_HEX.match(sha256):
        raise ValueError("not a lowercase hex SHA-256")
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def derived_key(sha256: str, name: str) -> str:
    """Proxies and thumbnails: deterministic, so re-running a task overwrites, never duplicates."""
    if not SHA256_HEX.match(sha256):
        raise ValueError("not a lowercase hex SHA-256")
    return f"derived/{sha256[:2]}/{sha256}/{name}"
