"""Bounded integers for ids and counts in paths, queries and bodies.

Past its column's range PostgreSQL answers "integer out of range", which surfaced as a 500 for
/recordings/9223372036854775808. Bounded here, such input is a 422 that names the range, and the
OpenAPI schema states it.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

INT32_MAX = 2**31 - 1  # PostgreSQL integer: the primary keys and most counts
INT64_MAX = 2**63 - 1  # PostgreSQL bigint: byte sizes, audit entry ids

Id = Annotated[int, Ge(1), Le(INT32_MAX)]
BigId = Annotated[int, Ge(0), Le(INT64_MAX)]
Count = Annotated[int, Ge(0), Le(INT32_MAX)]
Bytes = Annotated[int, Ge(0), Le(INT64_MAX)]
