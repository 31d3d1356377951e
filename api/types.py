"""Bounded integers for ids and counts in paths, queries and bodies (defined with the domains'
HTTP shapes in evidence.schema_types, which says why)."""

from __future__ import annotations

from evidence.schema_types import INT32_MAX, INT64_MAX, BigId, Bytes, Count, Id

__all__ = ["INT32_MAX", "INT64_MAX", "BigId", "Bytes", "Count", "Id"]
