"""Ledger preview (dry_run) against the real import: same counts and the same refused lines, for a
supervisor whose file mixes his unit's rows, another unit's officer and a bad row; the preview
writes no event and is audited as ledger.preview."""

from __future__ import annotations

from sqlalchemy import func, select

from evidence.audit.models import AuditEntry
from evidence.coverage.models import EnforcementEvent
from evidence.db import session_scope
from tests.conftest import unique


def _post(world, who: str, data: bytes, dry_run: bool):
    return world.service.http.post("/api/v1/ledger/import", headers=world.headers(who),
                                   params={"dry_run": dry_run}, files={"file": ("l.csv", data, "text/csv")})


def _count(tag: str) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).where(EnforcementEvent.event_id.like(f"{tag}%")))


def test_preview_says_what_the_import_then_does(world):
    tag = unique("PV")
    mine, other = world.users["officer_a"][0], world.users["officer_c"][0]
    csv = ("event_id,event_type,police_ids,started_at\n"
           f"{tag}-1,ticket,{mine},2026-11-21 09:00\n"
           f"{tag}-2,ticket,{other},2026-11-21 09:30\n"   # dd2's officer: not this supervisor's to import
           f"{tag}-3,parking,{mine},2026-11-21 10:00\n"   # unknown type
           f"{tag}-4,check,{mine},2026-11-21 11:00\n").encode()
    with session_scope() as session:
        audited = session.scalar(select(func.count()).where(AuditEntry.action == "ledger.preview"))

    preview = _post(world, "supervisor_dd1", csv, True)
    assert preview.status_code == 200, preview.text
    p = preview.json()
    assert p["dry_run"] is True and (p["created"], p["updated"], p["error_count"]) == (2, 0, 2)
    assert [e["line"] for e in p["errors"]] == [3, 4]
    assert [(r["line"], r["event_id"], r["action"]) for r in p["rows"]] == [(2, f"{tag}-1", "create"),
                                                                          (5, f"{tag}-4", "create")]
    assert _count(tag) == 0
    with session_scope() as session:
        assert session.scalar(select(func.count()).where(AuditEntry.action == "ledger.preview")) == audited + 1

    done = _post(world, "supervisor_dd1", csv, False).json()
    assert (done["created"], done["updated"], done["error_count"]) == (2, 0, 2)
    assert done["errors"] == p["errors"] and done["dry_run"] is False and done["rows"] == []
    assert _count(tag) == 2

    again = _post(world, "supervisor_dd1", csv, True).json()
    assert (again["created"], again["updated"]) == (0, 2)
    assert {r["action"] for r in again["rows"]} == {"update"}
