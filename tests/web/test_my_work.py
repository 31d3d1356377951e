"""My work, in Chromium: officer 010203 sees his docked recordings with their states and his ledger
events with their coverage, the missing one first, at desktop and phone size."""

from __future__ import annotations

import uuid

import pytest

from tests.web.conftest import PHONE
from tests.helpers import poll

pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def ledger(web_world):
    """Two events of 010203 on the day his camera recorded: one his clips cover (10:00:00–10:00:10,
    the 6 s and 4 s clips), one with no recording at all (14:00–14:10)."""
    tag = "MW" + uuid.uuid4().hex[:6].upper()
    csv = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
           f"{tag}-1,ticket,010203,2026-11-20T10:00:00,2026-11-20T10:00:10,\n"
           f"{tag}-2,ticket,010203,2026-11-20T14:00:00,2026-11-20T14:10:00,\n")
    http, admin = web_world.http, web_world.headers("admin")
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("ledger.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    officer = web_world.headers("010203")

    def settled():
        items = {e["event_id"]: e for e in http.get("/api/v1/my/events", headers=officer).json()["items"]}
        return items if items.get(f"{tag}-1", {}).get("my_status") == "covered" else None

    events = poll("coverage of the imported events", settled, timeout=60)
    return {"covered": events[f"{tag}-1"], "missing": events[f"{tag}-2"]}


def test_an_officer_sees_his_docked_recordings_and_his_missing_events_first(pages, web_world, ledger):
    page = pages.open("010203")
    page.wait_for_url("**/my")
    mine = web_world.recordings["010203"]
    page.get_by_test_id("recording-table").wait_for()
    for rec in mine:
        cell = page.get_by_test_id(f"state-{rec['id']}")
        assert cell.get_attribute("data-state") == rec["processing_state"], rec
        assert page.get_by_test_id(f"recording-{rec['id']}").inner_text().strip() == rec["original_filename"]
    other = web_world.recordings["090807"][0]
    assert page.get_by_test_id(f"recording-{other['id']}").count() == 0, "another officer's clip is not his work"
    table = page.get_by_test_id("recording-table").inner_text()
    assert "可回放" in table and "2026-11-20 10:00:00" in table, table
    assert "UTC+08:00" in page.get_by_test_id("zone").inner_text()
    ready = sum(1 for r in mine if r["processing_state"] == "ready")
    assert page.get_by_test_id("state-count-ready").inner_text() == f"可回放 {ready}"

    events = page.get_by_test_id("my-events")
    order = [e.get_attribute("data-test") for e in events.locator("[data-test^='event-']").all()]
    missing, covered = (f"event-{ledger[k]['event_id']}" for k in ("missing", "covered"))
    assert order.index(missing) < order.index(covered), order
    statuses = [e.get_attribute("data-status") for e in events.locator("[data-test^='event-']").all()]
    assert statuses == sorted(statuses, key=["missing", "partial", "pending", "covered"].index), statuses
    gone = page.get_by_test_id(missing)
    assert "无视频" in gone.inner_text() and "没有对应的视音频" in gone.inner_text()
    assert "2026-11-20 14:00:00 – 14:10:00" in gone.get_by_test_id("window").inner_text()
    seen = page.get_by_test_id(covered)
    assert "有视频" in seen.inner_text()
    clips = sorted(r["id"] for r in mine if r["original_filename"].endswith(".mp4"))
    assert sorted(ledger["covered"]["my_recording_ids"]) == clips
    for rec_id in clips:
        assert seen.get_by_test_id(f"covering-{rec_id}").is_visible()
    pages.shot(page, "my-work-desktop-zh")

    seen.get_by_test_id(f"covering-{clips[0]}").click()
    page.wait_for_url(f"**/recordings/{clips[0]}")
    page.go_back()
    page.get_by_test_id(f"recording-{clips[1]}").click()
    page.wait_for_url(f"**/recordings/{clips[1]}")
    assert pages.problems == []


def test_my_work_on_a_phone_is_a_list_that_fits_the_screen(pages, web_world, ledger):
    for language, missing_word in (("zh-CN", "无视频"), ("en", "No footage")):
        page = pages.open("010203", viewport=PHONE, language=language)
        page.get_by_test_id("recording-cards").wait_for()
        assert page.get_by_test_id("recording-table").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"
        first = page.get_by_test_id("my-events").locator("[data-test^='event-']").first
        assert first.get_attribute("data-status") == "missing" and missing_word in first.inner_text()
        box = first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        pages.shot(page, f"my-work-phone-{language}")
        rec = web_world.recordings["010203"][0]
        page.get_by_test_id(f"recording-{rec['id']}").click()
        page.wait_for_url(f"**/recordings/{rec['id']}")
    assert pages.problems == []


def test_a_case_handler_sees_his_own_work_only(pages, web_world):
    page = pages.open("020304", path="/my")
    page.get_by_test_id("my-recordings").wait_for()
    page.get_by_text("暂无入库的视音频").wait_for()
    assert page.locator("[data-test^='recording-']").count() == 0, "010203's clips are in his library, not his work"
    assert pages.problems == []
