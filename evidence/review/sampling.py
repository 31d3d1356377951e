"""The random sample of a draw: repeatable, so anyone can check it was not picked by hand.

The candidates are put in a stable order (officer id, then recording id) and one
random.Random(seed) draws N of each officer's recordings, officer after officer. The same seed,
parameters and data always give the same sample."""

from __future__ import annotations

import random
from itertools import groupby


def sample(candidates: list[tuple[int, int]], per_officer: int, seed: int) -> list[tuple[int, int]]:
    """(officer_id, recording_id) pairs: up to `per_officer` of each officer's recordings."""
    rng = random.Random(seed)
    picked: list[tuple[int, int]] = []
    for officer_id, group in groupby(sorted(candidates), key=lambda c: c[0]):
        recordings = [recording_id for _, recording_id in group]
        chosen = rng.sample(recordings, min(per_officer, len(recordings)))
        picked.extend((officer_id, r) for r in sorted(chosen))
    return picked
