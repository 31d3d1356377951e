"""Clip marks in seconds and in frames: a court sees exactly which frames were marked.

The frame a mark falls on is floor(seconds × frame rate) of the recording (the proxy keeps the
original's frame rate: remuxed streams are copied, transcodes keep the rate). A client that
shows frames (the web player's requestVideoFrameCallback) sends the frame it showed; it must
agree with the seconds to within one frame (timestamps of variable-rate streams round either way).
"""

from __future__ import annotations

import math

from evidence.errors import Invalid

EPSILON = 1e-6  # 2.0 s × 25 fps is frame 50, not 49.999…


def frame_of(seconds: float, frame_rate: float) -> int:
    return max(0, math.floor(seconds * frame_rate + EPSILON))


def resolve(seconds: float | None, sent: int | None, frame_rate: float | None, which: str) -> int | None:
    """The frame to store for a mark: the one sent when it agrees, else the one computed."""
    if seconds is None:
        if sent is not None:
            raise Invalid(f"{which}_frame given without {which}")
        return None
    if not frame_rate or frame_rate <= 0:
        if sent is not None:
            raise Invalid(f"{which}_frame given, but the recording has no frame rate")
        return None
    computed = frame_of(seconds, frame_rate)
    if sent is None:
        return computed
    if sent < 0 or abs(sent - computed) > 1:
        raise Invalid(f"{which}_frame {sent} does not match {which} {seconds} s at {frame_rate:g} fps "
                      f"(frame {computed})")
    return sent
