"""Every answer of the API is described in its OpenAPI document (issue 11, item 6).

The web client is generated from this document: an operation whose success answer has no schema,
or a schema that says nothing (`{}`), gives it an untyped value. Binary answers (the export ZIP,
CSV and XLSX reports) are declared by their media type instead.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import api.routes
from api.main import create_app

# Every router module of the API, found rather than listed: a new one is checked too.
ROUTERS = [importlib.import_module(f"api.routes.{m.name}") for m in pkgutil.iter_modules(api.routes.__path__)]

SPEC = create_app().openapi()
OPERATIONS = [(method.upper(), path, op) for path, item in SPEC["paths"].items()
              for method, op in item.items() if method in {"get", "post", "put", "patch", "delete"}]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _untyped(schema, where: str, seen: set[str]) -> list[str]:
    """Places below `schema` that accept anything: an empty schema, or an object with no properties
    and no type for its values."""
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return _untyped(_resolve(schema), f"{where}->{name}", seen)
    if not {k: v for k, v in schema.items() if k not in {"title", "description", "default", "examples"}}:
        return [where]
    found = []
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _untyped(schema[key], f"{where}.{key}", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            found += _untyped(sub, f"{where}.{key}[{i}]", seen)
    for name, sub in schema.get("properties", {}).items():
        found += _untyped(sub, f"{where}.{name}", seen)
    return found


def _success(op: dict) -> tuple[str, dict]:
    codes = sorted(code for code in op["responses"] if code.startswith("2") or code.startswith("3"))
    assert codes, "no success response declared"
    return codes[0], op["responses"][codes[0]]


def test_the_document_lists_every_route():
    routes = {(m, r.path) for module in ROUTERS for r in module.router.routes
              if getattr(r, "include_in_schema", False) for m in r.methods if m != "HEAD"}
    assert routes == {(m, p) for m, p, _ in OPERATIONS}
    assert len(OPERATIONS) >= 59


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_success_answer_has_a_schema_or_a_media_type(method, path, op):
    code, response = _success(op)
    content = response.get("content")
    assert content, f"{method} {path}: answer {code} declares no content"
    for media, body in content.items():
        if media == "application/json":
            assert "schema" in body, f"{method} {path}: JSON answer {code} without a schema"
            problems = _untyped(body["schema"], "body", set())
            assert not problems, f"{method} {path}: answer {code} is untyped at {', '.join(problems)}"
        else:
            assert body.get("schema", {}).get("type") == "string", \
                f"{method} {path}: {media} answer {code} is not declared as a file"


def test_no_component_schema_is_untyped():
    # FastAPI's own field-error item (its `input` may be any value) is the one exception.
    problems = [p for name, schema in SPEC["components"]["schemas"].items() if name != "ValidationError"
                for p in _untyped(schema, name, set()) if "ValidationError" not in p]
    assert not problems, problems


def test_typed_answers_write_times_and_names_as_before():
    """Hand-built answers wrote `datetime.isoformat()` and keys like `from`: typed, they still do."""
    from datetime import datetime, timezone

    from evidence.cases.schemas import StageChangeOut

    at = datetime(2026, 11, 28, 1, 2, 3, 456789, tzinfo=timezone.utc)
    out = StageChangeOut(from_=None, to="accepted", at=at, by="P1", note=None).model_dump(mode="json", by_alias=True)
    assert out == {"from": None, "to": "accepted", "at": "2026-11-28T01:02:03.456789+00:00", "by": "P1", "note": None}
    schema = SPEC["components"]["schemas"]["StageChangeOut"]["properties"]
    assert "from" in schema and (schema["at"]["type"], schema["at"]["format"]) == ("string", "date-time")
