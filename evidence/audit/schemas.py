"""HTTP shapes of the audit log."""

from __future__ import annotations


from pydantic import BaseModel


class ChainOut(BaseModel):
    ok: bool
    entries: int
    first_bad_id: int | None
    reason: str | None
    anchored_entry: int | None = None  # the newest signed checkpoint the log still matches
    unanchored_entries: int | None = None  # entries after it
    checkpoint_problems: list[str] = []  # cut-off end, rewritten tail, forged checkpoint
