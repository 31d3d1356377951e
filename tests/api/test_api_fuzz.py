"""Schemathesis against the real API (issue 10, item 13): every operation in the OpenAPI schema,
called as an admin with generated valid and invalid input, must never answer 5xx and every
response must match the schema the API publishes.

Bounded so that it runs in a few minutes on 2 cores: FUZZ_EXAMPLES generated cases per
operation plus schemathesis' boundary cases (ids above 2^63, empty and odd strings ...). It runs
early in the session (alphabetical order), so the stations, cases and recordings it may revoke
or change with guessed ids belong to modules that have finished.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.main import create_app

FUZZ_EXAMPLES = int(os.environ.get("EVIDENCE_FUZZ_EXAMPLES", "6"))
# EVIDENCE_FUZZ_COUNT_ONLY=1 counts 5xx and schema violations without failing (to measure an old version).
COUNT_ONLY = os.environ.get("EVIDENCE_FUZZ_COUNT_ONLY") == "1"
TALLY: Counter = Counter()  # responses by status class, for the summary line


@pytest.fixture(scope="module", autouse=True)
def summary():
    """Prints (and with EVIDENCE_FUZZ_REPORT=path writes) how many cases ran and how they answered."""
    yield
    line = json.dumps({"cases": sum(n for k, n in TALLY.items() if k.endswith("xx")), **dict(sorted(TALLY.items()))})
    print(f"\nschemathesis: {line}")
    if os.environ.get("EVIDENCE_FUZZ_REPORT"):
        with open(os.environ["EVIDENCE_FUZZ_REPORT"], "w") as out:
            out.write(line + "\n")


# The schema the server publishes at /openapi.json, built here so that each operation is its own test.
schema = schemathesis.openapi.from_dict(create_app().openapi())


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_response_matches_the_schema(case, service, admin_token):
    response = case.call(base_url=service.base_url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60)
    TALLY[f"{response.status_code // 100}xx"] += 1
    try:
        case.validate_response(response, checks=[response_schema_conformance])
    except BaseExceptionGroup:  # schemathesis' FailureGroup
        TALLY["schema_violations"] += 1
        if not COUNT_ONLY:
            raise
    if not COUNT_ONLY:
        case.validate_response(response, checks=[not_a_server_error])
