"""The README and the API docs stay honest: every setting documented, every endpoint says who."""

from __future__ import annotations

from api.main import create_app
from evidence.config import Settings
from tests.conftest import ROOT


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`EVIDENCE_{name.upper()}`" not in readme]
    assert missing == []


def test_every_endpoint_states_who_may_call_it():
    spec = create_app().openapi()
    unstated = [f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m, op in ops.items()
                if "(who:" not in op.get("summary", "")]
    assert unstated == []


def test_every_endpoint_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    spec = create_app().openapi()
    missing = [f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops
               if f"| {m.upper()} | `{p}` |" not in readme]
    assert missing == []
