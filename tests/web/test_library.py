"""The evidence library in Chromium: filters, sort and paging kept in the URL (back button, shared
link), what each role sees and may do, bulk "flag important", desktop and phone, both languages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE

pytestmark = pytest.mark.embedded
WAIT = 20_000  # ms: the box shares two cores with the browser and the workers


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def _rows(page, count: int):
    """Wait for the table to show `count` rows, and return them."""
    rows = page.locator(".el-table__body-wrapper .el-table__row")
    expect(rows).to_have_count(count, timeout=WAIT)
    expect(page.locator(".el-loading-mask")).to_have_count(0, timeout=WAIT)
    return rows


def _pick(page, select_test_id: str, option: str) -> None:
    page.get_by_test_id(select_test_id).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_a_case_handler_filters_sorts_and_pages_and_the_url_keeps_it(pages, web_world):
    page = pages.open("020304", path="/library")
    _rows(page, 4)  # 张伟's four docked files; never 陈刚's (another brigade)
    assert "陈刚" not in page.get_by_test_id("library-table").inner_text()
    assert page.get_by_test_id("cell-officer").all_inner_texts() == ["张伟"] * 4
    header = page.locator(".el-table__header-wrapper").inner_text()
    assert "开始时间（UTC+08:00）" in header, "the start time names the unit's zone"
    assert page.get_by_test_id("cell-start").first.inner_text() == "2026-11-20 10:15:00"
    # Posters of the ready clips are real images, signed for this user.
    page.wait_for_function("[...document.querySelectorAll('img.poster')].filter(i => i.complete && i.naturalWidth > 0)"
                           ".length >= 2")
    pages.shot(page, "library-desktop-zh")

    # Filter by officer and kind: the URL carries it.
    page.get_by_test_id("f-officer").fill("010203")
    _pick(page, "f-kind", "视频")
    page.get_by_test_id("f-search").click()
    page.wait_for_url(re.compile(r".*kind=video.*"))
    assert _query(page) == {"officer": "010203", "kind": "video"}
    _rows(page, 2)
    assert page.get_by_test_id("cell-kind").all_inner_texts() == ["视频", "视频"]
    assert page.get_by_test_id("cell-duration").all_inner_texts() == ["0:04", "0:06"], "newest first"

    # Sort by length, longest first.
    page.locator("th", has_text="时长").locator(".sort-caret.descending").click()
    page.wait_for_url(re.compile(r".*sort=duration.*"))
    assert _query(page) == {"officer": "010203", "kind": "video", "sort": "duration"}, "newest-first order is the default"
    expect(page.get_by_test_id("cell-duration")).to_have_text(["0:06", "0:04"], timeout=WAIT)
    page.locator("th", has_text="时长").locator(".sort-caret.ascending").click()
    page.wait_for_url(re.compile(r".*order=asc.*"))
    expect(page.get_by_test_id("cell-duration")).to_have_text(["0:04", "0:06"], timeout=WAIT)
    sorted_url = page.url

    # The back button restores the view before the sort, filter included.
    page.go_back()
    page.wait_for_url(lambda url: "sort=duration" in url and "order=" not in url)
    expect(page.get_by_test_id("cell-duration")).to_have_text(["0:06", "0:04"], timeout=WAIT)
    page.go_back()
    page.wait_for_url(lambda url: "sort=" not in url)
    assert _query(page) == {"officer": "010203", "kind": "video"}
    expect(page.get_by_test_id("f-officer")).to_have_value("010203", timeout=WAIT)
    expect(page.get_by_test_id("cell-duration")).to_have_text(["0:04", "0:06"], timeout=WAIT)

    # A shared link opens the same view in another browser session.
    other = pages.open("020304", path=sorted_url.replace(web_world.base_url, ""))
    expect(other.get_by_test_id("cell-duration")).to_have_text(["0:04", "0:06"], timeout=WAIT)
    expect(other.get_by_test_id("f-officer")).to_have_value("010203", timeout=WAIT)
    assert other.locator(".filters").get_by_text("视频").count() == 1, "the kind filter shows the linked value"

    # Paging on the server: two per page.
    page.goto("/library?size=2")
    _rows(page, 2)
    expect(page.get_by_test_id("total")).to_have_text("共 4 条", timeout=WAIT)
    first_page = page.get_by_test_id("cell-start").all_inner_texts()
    page.locator(".el-pagination .btn-next").click()
    page.wait_for_url(re.compile(r".*page=2.*"))
    _rows(page, 2)
    expect(page.get_by_test_id("cell-start")).not_to_have_text(first_page, timeout=WAIT)
    second_page = page.get_by_test_id("cell-start").all_inner_texts()
    assert second_page == ["2026-11-20 10:00:06", "2026-11-20 10:00:00"]
    expect(page.get_by_test_id("total")).to_have_text("共 4 条", timeout=WAIT)
    page.go_back()
    page.wait_for_url(lambda url: "page=2" not in url)
    expect(page.get_by_test_id("cell-start")).to_have_text(first_page, timeout=WAIT)

    # A day range (the unit's days) in a link.
    page.goto("/library?from=2026-11-20&to=2026-11-20&kind=audio")
    _rows(page, 1)
    page.goto("/library?from=2026-11-21&to=2026-11-22")
    _rows(page, 0)
    assert "没有符合条件的记录" in page.get_by_test_id("library-table").inner_text()
    assert pages.problems == []


def test_officers_see_only_their_own_recordings_and_no_bulk_actions(pages):
    page = pages.open("010203", path="/library")
    _rows(page, 4)
    assert page.get_by_test_id("bulk-bar").count() == 0
    other = pages.open("090807", path="/library")
    _rows(other, 1)
    assert other.get_by_test_id("cell-officer").all_inner_texts() == ["陈刚"]
    # Asking by link for the other officer's recordings shows nothing, not an error.
    other.goto("/library?officer=010203")
    _rows(other, 0)
    assert pages.problems == []


def test_bulk_actions_match_the_role(pages):
    handler = pages.open("020304", path="/library")
    _rows(handler, 4)
    assert handler.get_by_test_id("bulk-important").is_visible()
    assert handler.get_by_test_id("bulk-attach").is_visible()
    assert handler.get_by_test_id("bulk-hold").count() == 0, "legal holds are for supervisors"
    supervisor = pages.open("030405", path="/library")
    _rows(supervisor, 5)
    assert supervisor.get_by_test_id("bulk-hold").is_visible()
    # An auditor reads every unit of the box (other test files' units too): look at ZD01's five.
    auditor = pages.open("040506", path="/library?unit=ZD01")
    _rows(auditor, 5)
    assert auditor.get_by_test_id("bulk-bar").count() == 0
    assert auditor.locator("img.poster").count() == 0, "auditors read metadata, not footage"
    assert pages.problems == []


def test_bulk_flag_important_works_and_shows(pages, web_world):
    wav = next(r for r in web_world.recordings["010203"] if r["original_filename"].endswith(".wav"))
    try:
        page = pages.open("020304", path="/library?kind=audio")
        rows = _rows(page, 1)
        assert page.get_by_test_id("cell-important").count() == 0
        expect(page.get_by_test_id("bulk-important")).to_be_disabled(timeout=WAIT)
        rows.nth(0).locator(".el-checkbox").click()
        assert page.url.endswith("/library?kind=audio"), "ticking a row does not open it"
        expect(page.get_by_test_id("bulk-bar")).to_contain_text("已选 1 条", timeout=WAIT)
        page.get_by_test_id("bulk-important").click()
        expect(page.get_by_test_id("bulk-notice")).to_contain_text("已将 1 条标记为重要", timeout=WAIT)
        expect(page.get_by_test_id("cell-important")).to_have_text(["重要"], timeout=WAIT)
        page.goto("/library?important=true")
        _rows(page, 1)
        pages.shot(page, "library-flagged")
        # Clicking the row opens the recording.
        page.get_by_test_id("cell-kind").first.click()
        page.wait_for_url(f"**/recordings/{wav['id']}")
        assert pages.problems == []
    finally:
        r = web_world.http.post("/api/v1/library/bulk", headers=web_world.headers("020304"),
                                json={"action": "important", "recording_ids": [wav["id"]], "on": False})
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_library_reads_well_on_desktop_and_phone(pages, language):
    page = pages.open("030405", path="/library", language=language)
    _rows(page, 5)
    if language == "en":
        assert "Start (UTC+08:00)" in page.locator(".el-table__header-wrapper").inner_text()
        assert "Search" in page.get_by_test_id("f-search").inner_text()
    pages.shot(page, f"library-desktop-{language}")
    phone = pages.open("030405", viewport=PHONE, path="/library", language=language)
    _rows(phone, 5)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone ({width}px)"
    pages.shot(phone, f"library-phone-{language}")
    assert not phone.get_by_test_id("f-officer").is_visible(), "on a phone the filters fold away"
    phone.get_by_test_id("filter-toggle").click()
    expect(phone.get_by_test_id("f-officer")).to_be_visible(timeout=WAIT)
    pages.shot(phone, f"library-phone-filters-{language}")
    assert pages.problems == []
