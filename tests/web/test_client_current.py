"""The web client is generated from the OpenAPI document: CI fails when either drifted from the routes.

Fix with: `uv run python -m api.openapi_file web/openapi.json && npm --prefix web run gen:api`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from api.openapi_file import openapi_text

WEB = Path(__file__).resolve().parents[2] / "web"
FIX = "run `uv run python -m api.openapi_file web/openapi.json && npm --prefix web run gen:api` and commit"


def test_the_committed_openapi_document_matches_the_routes():
    committed = json.loads((WEB / "openapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(openapi_text()), f"web/openapi.json is out of date: {FIX}"


def test_the_generated_typescript_matches_the_openapi_document(tmp_path):
    if not (WEB / "node_modules" / ".bin" / "openapi-typescript").exists():
        pytest.fail("web/node_modules is missing: run the tests through scripts/test (it installs web/)")
    out = tmp_path / "schema.d.ts"
    subprocess.run([str(WEB / "node_modules" / ".bin" / "openapi-typescript"), str(WEB / "openapi.json"), "-o", str(out)],
                   check=True, capture_output=True, cwd=WEB)
    assert out.read_text() == (WEB / "src" / "api" / "schema.d.ts").read_text(), f"web/src/api/schema.d.ts is out of date: {FIX}"
