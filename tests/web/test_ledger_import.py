"""Ledger import page, in Chromium: a CSV with two good lines and one bad one is previewed (the
bad line's number and reason shown, nothing written), then imported (created, updated, rejected
counts); an XLSX that updates those two events and adds one, in English on a phone."""

from __future__ import annotations

import io
import uuid

import openpyxl
import pytest

from tests.web.conftest import PHONE

pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def officer(web_world):
    """An officer 65xxxx of a unit ADxx of this file's own, so no other test's events mix in."""
    http, admin = web_world.http, web_world.headers("admin")
    tag = uuid.uuid4().hex[:4].upper()
    unit, police_id = f"AD{tag}", f"65{int(tag, 16) % 10000:04d}"
    r = http.post("/api/v1/units", headers=admin, json={"code": unit, "name": "台账导入测试中队", "level": "squadron",
                                                        "parent_code": "ZD01"})
    assert r.status_code == 201, r.text
    r = http.post("/api/v1/users", headers=admin, json={"police_id": police_id, "name": "台账测试", "role": "officer",
                                                        "password": "Ledger-Import-9x", "unit_code": unit})
    assert r.status_code == 201, r.text
    return {"police_id": police_id, "tag": tag, "admin": admin}


def _events(web_world, officer: dict) -> dict[str, dict]:
    r = web_world.http.get("/api/v1/coverage/events", headers=officer["admin"],
                           params={"officer": officer["police_id"], "page_size": 100})
    assert r.status_code == 200, r.text
    return {e["event_id"]: e for e in r.json()["items"]}


def _choose(page, name: str, data: bytes, mime: str) -> None:
    page.get_by_test_id("ledger-file").set_input_files({"name": name, "mimeType": mime, "buffer": data})


def test_a_csv_is_previewed_without_writing_then_imported(pages, web_world, officer):
    pid, tag = officer["police_id"], officer["tag"]
    csv = ("事件编号,类型,警号,开始时间,结束时间,地点\n"
           f"LI{tag}-1,现场处罚,{pid},2026-11-21 09:00,2026-11-21 09:10,解放路口\n"
           f"LI{tag}-2,flying,{pid},2026-11-21 10:00,2026-11-21 10:10,人民路\n"
           f"LI{tag}-3,ticket,{pid},2026-11-21 11:00,,中山路\n")
    page = pages.open("admin", path="/ledger-import")
    _choose(page, "台账.csv", csv.encode("utf-8-sig"), "text/csv")
    page.get_by_test_id("preview").click()
    bad = page.get_by_test_id("bad-line")
    bad.first.wait_for()
    assert bad.count() == 1
    assert "第 3 行" in bad.inner_text() and "flying" in bad.inner_text() and "event type" in bad.inner_text()
    counts = page.get_by_test_id("preview-counts")
    assert counts.get_by_test_id("count-created").inner_text() == "2"
    assert counts.get_by_test_id("count-updated").inner_text() == "0"
    assert counts.get_by_test_id("count-rejected").inner_text() == "1"
    rows = page.get_by_test_id("preview-rows")
    assert f"LI{tag}-1" in rows.inner_text() and f"LI{tag}-3" in rows.inner_text() and f"LI{tag}-2" not in rows.inner_text()
    # 09:00 in the unit's zone (Asia/Shanghai) is shown as written, whatever the browser's zone (UTC here).
    assert "2026-11-21 09:00:00" in rows.inner_text()
    pages.shot(page, "ledger-preview-zh-desktop")
    assert _events(web_world, officer) == {}, "the preview wrote events"

    page.get_by_test_id("import").click()
    result = page.get_by_test_id("result")
    result.wait_for()
    assert result.get_by_test_id("count-created").inner_text() == "2"
    assert result.get_by_test_id("count-updated").inner_text() == "0"
    assert result.get_by_test_id("count-rejected").inner_text() == "1"
    assert "第 3 行" in page.get_by_test_id("bad-lines").inner_text()
    pages.shot(page, "ledger-imported-zh-desktop")
    assert sorted(_events(web_world, officer)) == [f"LI{tag}-1", f"LI{tag}-3"]
    assert pages.problems == []


def test_an_xlsx_updates_and_adds_on_a_phone_in_english(pages, web_world, officer):
    pid, tag = officer["police_id"], officer["tag"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["event_id", "event_type", "police_ids", "started_at", "ended_at", "location"])
    sheet.append([f"LX{tag}-1", "check", pid, "2026-11-22 08:00", "2026-11-22 08:20", "North gate"])
    sheet.append([f"LX{tag}-2", "ticket", pid, "yesterday", None, "East road"])
    sheet.append([f"LX{tag}-3", "accident", pid, "2026-11-22 12:00", "2026-11-22 13:00", "Ring road"])
    buffer = io.BytesIO()
    book.save(buffer)
    # The first file's two events are updated by this one; the two new ones created.
    csv_again = ("event_id,event_type,police_ids,started_at\n"
                 f"LI{tag}-1,ticket,{pid},2026-11-21 09:05\n"
                 f"LI{tag}-3,ticket,{pid},2026-11-21 11:05\n")
    page = pages.open("admin", viewport=PHONE, language="en", path="/ledger-import")
    _choose(page, "ledger.xlsx", buffer.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    page.get_by_test_id("preview").click()
    page.get_by_test_id("bad-line").first.wait_for()
    bad = page.get_by_test_id("bad-line").inner_text()
    assert "Line 3" in bad and "started_at" in bad and "yesterday" in bad
    assert page.get_by_test_id("count-created").inner_text() == "2"
    assert page.get_by_test_id("count-rejected").inner_text() == "1"
    pages.shot(page, "ledger-preview-en-phone")
    assert not any(e.startswith("LX") for e in _events(web_world, officer))
    page.get_by_test_id("import").click()
    page.get_by_test_id("result").wait_for()
    assert page.get_by_test_id("count-created").inner_text() == "2"
    assert page.get_by_test_id("count-rejected").inner_text() == "1"
    assert sorted(_events(web_world, officer)) == [f"LI{tag}-1", f"LI{tag}-3", f"LX{tag}-1", f"LX{tag}-3"]

    page.get_by_test_id("again").click()
    _choose(page, "again.csv", csv_again.encode(), "text/csv")
    page.get_by_test_id("preview").click()
    page.get_by_test_id("preview-rows").wait_for()
    assert page.get_by_test_id("count-updated").inner_text() == "2"
    assert page.get_by_test_id("count-created").inner_text() == "0"
    assert [a.inner_text() for a in page.get_by_test_id("row-action").all()] == ["Update", "Update"]
    page.get_by_test_id("import").click()
    page.get_by_test_id("result").wait_for()
    assert page.get_by_test_id("count-updated").inner_text() == "2"
    pages.shot(page, "ledger-imported-en-phone")
    assert _events(web_world, officer)[f"LI{tag}-1"]["started_at"].startswith("2026-11-21T01:05")  # 09:05 UTC+8
    assert pages.problems == []
