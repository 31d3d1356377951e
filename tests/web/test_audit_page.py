"""The audit page in Chromium: an auditor sees the chain verified with its signed checkpoints,
filters the log by one recording and finds the accesses this test made (a request, its approval,
a read from another unit), follows an entry to the recording, and finds that read in the
outside-unit report for today and in its CSV download; in Chinese on a desktop and English on a phone."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE
from tests.web.own_units import add_units_and_users, dock_one_clip

pytestmark = pytest.mark.embedded

AUDITOR = "040506"  # tests/web/world.py
OWNER, OUTSIDER = "660301", "660401"


@pytest.fixture(scope="module")
def access(web_world, tmp_path_factory):
    """A recording of AU03 read by an officer of AU04 through an approved request."""
    admin = web_world.headers("admin")
    add_units_and_users(web_world, admin, ["AU03", "AU04"], {OWNER: ("钱进", "officer", "AU03"),
                                                      OUTSIDER: ("冯涛", "officer", "AU04")})
    rec = dock_one_clip(web_world, admin, tmp_path_factory.mktemp("au-audit"), "AU03", OWNER, "AUCAM3", seed=6603)
    http, outsider = web_world.http, web_world.headers(OUTSIDER)
    r = http.post("/api/v1/access-requests", headers=outsider,
                  json={"recording_id": rec["id"], "reason": "核对违法停车处罚录像"})
    assert r.status_code == 201, r.text
    r = http.post(f"/api/v1/access-requests/{r.json()['id']}/decision", headers=admin,
                  json={"approve": True, "expires_in_seconds": 3600})
    assert r.status_code == 200, r.text
    r = http.get(f"/api/v1/recordings/{rec['id']}", headers=outsider)
    assert r.status_code == 200, r.text
    return rec


def _input(page, test_id: str):
    loc = page.get_by_test_id(test_id)
    return loc if loc.evaluate("e => e.tagName") == "INPUT" else loc.locator("input")


def test_an_auditor_checks_the_chain_and_finds_an_access_from_another_unit(pages, web_world, access):
    rec_id = access["id"]
    page = pages.open(AUDITOR, path="/audit")
    page.locator("[data-test=chain-result], [data-test=chain-failed]").wait_for(timeout=60000)  # reads every entry
    result = page.get_by_test_id("chain-result")
    assert result.count() == 1, page.get_by_test_id("chain").inner_text()
    expect(result).to_have_attribute("data-ok", "true")
    assert "日志完整" in result.inner_text()
    assert "签名存证点" in page.get_by_test_id("checkpoints").inner_text()

    # The log, filtered to this recording: the three things that happened to it in this test.
    page.get_by_test_id("filter-object-type").click()
    page.get_by_test_id("type-recording").click()
    _input(page, "filter-object-id").fill(str(rec_id))
    page.get_by_test_id("filter-search").click()
    page.wait_for_url(f"**object_id={rec_id}**")
    table = page.get_by_test_id("log-table")
    expect(table.locator(".el-table__body tr").filter(has_not_text=f"录像 #{rec_id}")).to_have_count(0)
    read = table.locator("[data-action='recording.read']")
    expect(read).to_have_count(1)
    assert read.inner_text() == "查看录像信息"
    rows = table.locator(".el-table__body tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    actions = [table.locator("[data-action]").nth(i).get_attribute("data-action") for i in range(len(texts))]
    # besides what the upload and processing wrote (upload.open, recording.verified, media.ready …)
    assert {"access.request", "access.approve", "recording.read", "recording.verified"} <= set(actions), actions
    assert all(f"录像 #{rec_id}" in t for t in texts), texts
    by_action = dict(zip(actions, texts))
    assert OUTSIDER in by_action["recording.read"] and OUTSIDER in by_action["access.request"]
    assert "申请访问" in by_action["access.request"] and "批准访问申请" in by_action["access.approve"]
    assert "录像入库校验通过" in by_action["recording.verified"]
    assert actions.index("recording.read") < actions.index("access.approve") < actions.index("access.request"), \
        "newest first"
    pages.shot(page, "audit-log-desktop-zh")
    link = table.locator(f"a[href='/recordings/{rec_id}']").first
    link.click()
    page.wait_for_url(f"**/recordings/{rec_id}")
    page.go_back()

    # The outside-unit report for today lists the read, and so does its CSV.
    page.locator("#tab-reports").click()
    today = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    for test_id in ("report-from", "report-to"):
        field = _input(page, test_id)
        field.fill(today)
        field.press("Enter")
    page.get_by_test_id("report-run").click()
    outside = page.get_by_test_id("outside-table")
    row = outside.locator(".el-table__body tr", has=page.locator(f"a[href='/recordings/{rec_id}']"))
    try:
        expect(row).to_have_count(1, timeout=20000)
    finally:
        pages.shot(page, "audit-reports-desktop-zh")
    cells = row.inner_text()
    assert OUTSIDER in cells and "AU04" in cells and "AU03" in cells and "查看录像信息" in cells, cells
    with page.expect_download() as got:
        page.get_by_test_id("outside-csv").click()
    data = list(csv.reader(io.StringIO(open(got.value.path(), encoding="utf-8-sig").read())))
    mine = [r for r in data[1:] if r[5] == str(rec_id)]
    assert [(r[1], r[2], r[3], r[6]) for r in mine] == [(OUTSIDER, "AU04", "recording.read", "AU03")], data
    assert data[0][0].startswith("时间")
    assert pages.problems == []


def test_the_audit_page_on_a_phone_in_english(pages, web_world, access):
    rec_id = access["id"]
    page = pages.open(AUDITOR, viewport=PHONE, language="en",
                      path=f"/audit?tab=log&object_type=recording&object_id={rec_id}")
    expect(page.get_by_test_id("chain-result")).to_contain_text("The log is whole", timeout=60000)
    cards = page.get_by_test_id("log-cards")
    # the outsider's read (the auditor's own visit to the recording may be listed too)
    card = cards.locator(".card", has_text=OUTSIDER).filter(has=page.locator("[data-action='recording.read']"))
    expect(card.locator("[data-action]")).to_have_text("Opened a recording's details")
    assert cards.locator(f"a[href='/recordings/{rec_id}']").count() == cards.locator("[data-action]").count() >= 4
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    pages.shot(page, "audit-log-phone-en")
    page.locator("#tab-reports").click()
    expect(page.get_by_test_id("report-outside")).to_contain_text("Access from outside the unit")
    pages.shot(page, "audit-reports-phone-en")
    assert pages.problems == []
