"""Field types shared by the HTTP shapes of every domain.

Bounded integers: past its column's range PostgreSQL answers "integer out of range", which
surfaced as a 500 for /recordings/9223372036854775808. Bounded here, such input is a 422 that
names the range, and the OpenAPI schema states it.

`Instant`: a stored UTC time as the API has always written it in hand-built answers,
`datetime.isoformat()` ("2026-01-01T08:00:00+00:00"), typed as an RFC 3339 date-time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import PlainSerializer, WithJsonSchema

INT32_MAX = 2**31 - 1  # PostgreSQL integer: the primary keys and most counts
INT64_MAX = 2**63 - 1  # PostgreSQL bigint: byte sizes, audit entry ids

Id = Annotated[int, Ge(1), Le(INT32_MAX)]
BigId = Annotated[int, Ge(0), Le(INT64_MAX)]
Count = Annotated[int, Ge(0), Le(INT32_MAX)]
Bytes = Annotated[int, Ge(0), Le(INT64_MAX)]

DATE_TIME = {"type": "string", "format": "date-time"}


def _iso(value: datetime) -> str:
    return value.isoformat()


Instant = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json"), WithJsonSchema(DATE_TIME)]
# A time the service already holds as ISO 8601 text (stored JSON, reports): passed on as it is.
InstantText = Annotated[str, WithJsonSchema(DATE_TIME)]
