"""Hostile ledger files (issue 10, item 11): a big import does not stall other requests, and
oversized or bomb files are refused at once with a message that names the limit."""

from __future__ import annotations

import io
import re
import threading
import zipfile

import httpx
import openpyxl
import pytest
from sqlalchemy import func, select

from evidence.coverage.ledger_import import MAX_ERRORS_LISTED
from evidence.coverage.ledger_read import MAX_COLUMNS, MAX_ROWS, MAX_UNCOMPRESSED_MB
from evidence.coverage.models import EnforcementEvent
from evidence.db import session_scope
from tests.conftest import unique

HEADER = "event_id,event_type,police_ids,started_at,location\n"


def _post(service, admin_token, name: str, data: bytes) -> httpx.Response:
    return service.http.post("/api/v1/ledger/import", headers={"Authorization": f"Bearer {admin_token}"},
                             files={"file": (name, data, "application/octet-stream")})


def _events_with_prefix(tag: str) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).where(EnforcementEvent.event_id.like(f"{tag}%")))


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _rewrite_sheet(xlsx: bytes, change) -> bytes:
    """The same workbook with sheet1.xml passed through `change` (as a hostile tool would write it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item.filename, change(data) if item.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


def test_other_requests_are_answered_while_a_big_ledger_imports(service, admin_token, world):
    tag = unique("BIG")
    officer = world.users["officer_a"][0]
    ledger = HEADER + "".join(f"{tag}-{i},ticket,{officer},2026-09-01 08:{i % 60:02d},路口{i}\n" for i in range(10000))
    outcome: dict = {}

    def big_import():
        outcome["response"] = _post(service, admin_token, "big.csv", ledger.encode())

    worker = threading.Thread(target=big_import)
    worker.start()
    answered_during = 0
    with httpx.Client(base_url=service.base_url, timeout=120) as other:
        while worker.is_alive():
            assert other.get("/health").status_code in (200, 503)
            if worker.is_alive():
                answered_during += 1
    worker.join()
    r = outcome["response"]
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 10000 and r.json()["errors"] == []
    # Parsing and storing 10 000 rows on the event loop answered nobody until it was done.
    assert answered_during >= 20, answered_during
    assert _events_with_prefix(tag) == 10000


def test_too_many_rows_is_refused_naming_the_limit_and_imports_nothing(service, admin_token):
    tag = unique("ROWS")
    ledger = HEADER + "".join(f"{tag}-{i},nonsense,1,2026-09-01 08:00,\n" for i in range(MAX_ROWS + 1))
    r = _post(service, admin_token, "rows.csv", ledger.encode())
    assert r.status_code == 413, r.text[:300]
    assert f"{MAX_ROWS:,}" in r.json()["detail"] and "rows" in r.json()["detail"]
    assert _events_with_prefix(tag) == 0


def test_too_many_columns_is_refused(service, admin_token):
    header = HEADER.strip() + "," + ",".join(f"extra{i}" for i in range(MAX_COLUMNS)) + "\n"
    r = _post(service, admin_token, "wide.csv", (header + "E1,ticket,1,2026-09-01 08:00,x\n").encode())
    assert r.status_code == 413, r.text[:300]
    assert f"{MAX_COLUMNS} columns" in r.json()["detail"]


def test_xlsx_declaring_a_huge_sheet_is_refused_before_reading_it(service, admin_token):
    book = _xlsx([["event_id", "event_type", "police_ids", "started_at"], ["D1", "ticket", "1", "2026-09-01 08:00"]])
    hostile = _rewrite_sheet(book, lambda xml: re.sub(rb"<dimension ref=\"[^\"]*\"", b"<dimension ref=\"A1:ZZ5000\"", xml))
    assert b"ZZ5000" in zipfile.ZipFile(io.BytesIO(hostile)).read("xl/worksheets/sheet1.xml")
    r = _post(service, admin_token, "wide.xlsx", hostile)
    assert r.status_code == 413, r.text[:300]
    detail = r.json()["detail"]
    assert "A1:ZZ5000" in detail and f"{MAX_COLUMNS} columns" in detail


def test_xlsx_that_unpacks_past_the_limit_is_refused(service, admin_token):
    """A zip bomb: a few KB that inflate to more than the limit."""
    book = _xlsx([["event_id", "event_type", "police_ids", "started_at"], ["Z1", "ticket", "1", "2026-09-01 08:00"]])
    padding = b" " * (MAX_UNCOMPRESSED_MB * 1024 * 1024 + 1)
    bomb = _rewrite_sheet(book, lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding))
    assert len(bomb) < 1024 * 1024
    r = _post(service, admin_token, "bomb.xlsx", bomb)
    assert r.status_code == 413, r.text[:300]
    assert f"{MAX_UNCOMPRESSED_MB} MB" in r.json()["detail"]


def test_the_error_list_is_capped_and_counts_the_rest(service, admin_token):
    tag = unique("ERR")
    bad = MAX_ERRORS_LISTED + 250
    ledger = HEADER + "".join(f"{tag}-{i},nonsense,1,2026-09-01 08:00,\n" for i in range(bad))
    ledger += f"{tag}-good,ticket,1,2026-09-01 08:00,\n"
    r = _post(service, admin_token, "errors.csv", ledger.encode())
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["created"] == 1 and _events_with_prefix(f"{tag}-good") == 1  # good rows still import
    assert len(body["errors"]) == MAX_ERRORS_LISTED and body["error_count"] == bad
    assert body["errors"][0]["line"] == 2 and "nonsense" in body["errors"][0]["reason"]


@pytest.mark.parametrize("name", ["ledger.csv", "ledger.xlsx"])
def test_an_upload_over_the_size_limit_is_refused_with_413(service, admin_token, name):
    r = _post(service, admin_token, name, b"x" * (50 * 1024 * 1024 + 1))
    assert r.status_code == 413 and "50 MB" in r.json()["detail"], r.text[:300]
