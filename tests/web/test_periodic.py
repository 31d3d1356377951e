"""日清 / 周评 / 月结 and explanations, in Chromium, on our own unit PD01 (supervisor 630001,
officers 630002 and 630003) with a ledger pinned to 2026-11-18 (Wednesday) and earlier weeks and
three tiny clips docked through the real dock agent.

The figures below are worked out by hand from the ledger and the clips (each clip is 2 s):
  630002 on the 18th: 09:00:00–09:00:02 covered by a clip; 15:00:00–15:00:20 partial (2 s of 20);
         18:00–18:10 missing; 00:30–00:40 missing (still the 18th on the unit's clock, 16:30 UTC
         the day before); 19th 00:10 missing (the next day); 3 Nov missing.
  630003 on the 18th: 10:00:00–10:00:30 partial (2 s of 30); 20:00–20:15 missing;
         17th 23:30 missing (the day before); 10 Nov missing."""

from __future__ import annotations

import uuid
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests import media
from tests.dock import dock, write_dock_env
from tests.helpers import poll
from tests.web.conftest import PHONE
from tests.web.world import password_of

pytestmark = pytest.mark.embedded

DAY = "2026-11-18"
SUPERVISOR, A, B = "630001", "630002", "630003"
USERS = {SUPERVISOR: ("钱振国", "supervisor"), A: ("孙立军", "officer"), B: ("周海涛", "officer")}


@pytest.fixture(scope="module")
def pd(web_world, tmp_path_factory):
    http, admin = web_world.http, web_world.headers("admin")
    tmp = tmp_path_factory.mktemp("pd")
    r = http.post("/api/v1/units", headers=admin, json={"code": "PD01", "name": "城东中队", "level": "squadron",
                                                        "parent_code": None})
    assert r.status_code == 201, r.text
    for police_id, (name, role) in USERS.items():
        r = http.post("/api/v1/users", headers=admin, json={"police_id": police_id, "name": name, "role": role,
                                                            "password": password_of(police_id), "unit_code": "PD01"})
        assert r.status_code == 201, r.text
    tag = "PD" + uuid.uuid4().hex[:4].upper()
    ev = {  # name → (type, officer, start, end); times on the unit's clock
        "a-covered": ("ticket", A, "2026-11-18T09:00:00", "2026-11-18T09:00:02"),
        "a-partial": ("ticket", A, "2026-11-18T15:00:00", "2026-11-18T15:00:20"),
        "a-missing": ("ticket", A, "2026-11-18T18:00:00", "2026-11-18T18:10:00"),
        "a-early": ("check", A, "2026-11-18T00:30:00", "2026-11-18T00:40:00"),
        "a-next-day": ("ticket", A, "2026-11-19T00:10:00", "2026-11-19T00:20:00"),
        "a-nov3": ("ticket", A, "2026-11-03T11:00:00", "2026-11-03T11:10:00"),
        "b-partial": ("ticket", B, "2026-11-18T10:00:00", "2026-11-18T10:00:30"),
        "b-missing": ("check", B, "2026-11-18T20:00:00", "2026-11-18T20:15:00"),
        "b-day-before": ("ticket", B, "2026-11-17T23:30:00", "2026-11-17T23:40:00"),
        "b-nov10": ("ticket", B, "2026-11-10T09:00:00", "2026-11-10T09:10:00"),
    }
    csv = "event_id,event_type,police_ids,started_at,ended_at,location\n" + "".join(
        f"{tag}-{k},{t},{p},{s},{e},城东路{i}号\n" for i, (k, (t, p, s, e)) in enumerate(ev.items()))
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("ledger.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == len(ev), r.text

    r = http.post("/api/v1/stations", headers=admin, json={"name": "PD01 采集站", "unit_code": "PD01"})
    assert r.status_code == 201, r.text
    env = write_dock_env(tmp / "dock.env", web_world.base_url, r.json()["api_key"], tmp / "spool")
    for serial, clips in (("CAMPD1", [(A, "20261118090000", 1), (A, "20261118150000", 2)]),
                          ("CAMPD2", [(B, "20261118100000", 1)])):
        camera = tmp / serial / "DCIM"
        camera.mkdir(parents=True)
        for police_id, start, seq in clips:
            media.h264_mp4(camera / f"{serial}_{police_id}_{start}_{seq:04d}.mp4", seed=630 + seq, seconds=2)
        result = dock("ingest", str(camera.parent), env_file=env)
        assert result.returncode == 0, result.stdout + result.stderr

    want = {f"{tag}-a-covered": "covered", f"{tag}-a-partial": "partial", f"{tag}-b-partial": "partial"}

    def settled():
        rows = http.get("/api/v1/coverage/events", headers=admin, params={"start_from": "2026-11-01T00:00:00",
                                                                          "start_to": "2026-12-01T00:00:00",
                                                                          "page_size": 1000}).json()["items"]
        mine = {r["event_id"]: r for r in rows if r["event_id"].startswith(tag)}
        return mine if all(mine.get(k, {}).get("status") == s for k, s in want.items()) else None

    events = poll("coverage of the PD01 events", settled, timeout=120)
    return {"tag": tag, "events": {k.removeprefix(tag + "-"): v for k, v in events.items()}}


def _daily_expected(tag: str) -> set[tuple[str, str, str]]:
    return {(A, f"{tag}-a-partial", "partial"), (A, f"{tag}-a-missing", "missing"), (A, f"{tag}-a-early", "missing"),
            (B, f"{tag}-b-partial", "partial"), (B, f"{tag}-b-missing", "missing")}


def test_daily_lists_the_days_missing_and_partial_events_and_an_accepted_explanation_shows(pages, web_world, pd):
    tag, http = pd["tag"], web_world.http
    sup = web_world.headers(SUPERVISOR)
    before = http.get("/api/v1/supervision/monthly", headers=sup, params={"month": "2026-11"}).json()

    page = pages.open(SUPERVISOR, path=f"/daily?day={DAY}")
    page.get_by_test_id("officer-" + A).wait_for()
    rows = page.locator("[data-test^='row-']")
    shown = set()
    for row in rows.all():
        officer = row.locator("xpath=ancestor::section[1]").get_attribute("data-test").removeprefix("officer-")
        shown.add((officer, row.get_attribute("data-test").removeprefix("row-"), row.get_attribute("data-status")))
    assert shown == _daily_expected(tag)
    assert "城东中队 (PD01)" in page.get_by_test_id("report-unit").inner_text()
    assert page.get_by_test_id(f"row-{tag}-a-early").get_by_text("00:30:00 – 00:40:00").is_visible()
    assert page.get_by_test_id(f"row-{tag}-a-missing").get_by_test_id("explanation").get_attribute("data-state") == "none"
    pages.shot(page, "daily-desktop-zh")

    # the officer explains on My work
    mine = pages.open(A, path="/my")
    card = mine.get_by_test_id(f"event-{tag}-a-missing")
    card.get_by_test_id("explain").click()
    mine.get_by_test_id("reason-device_fault").click()
    mine.get_by_test_id("explain-submit").click()
    card.get_by_test_id("explanation").and_(card.locator("[data-state='submitted']")).wait_for()
    assert card.get_by_test_id("explain").count() == 0, "one open explanation at a time"
    assert mine.get_by_test_id(f"event-{tag}-a-covered").get_by_test_id("explain").count() == 0
    pages.shot(mine, "my-work-explained-zh")

    # the supervisor accepts it on 日清
    page.reload()
    row = page.get_by_test_id(f"row-{tag}-a-missing")
    row.get_by_test_id("accept").wait_for()
    assert page.get_by_test_id(f"row-{tag}-a-partial").get_by_test_id("accept").count() == 0, "nothing to decide"
    pages.shot(page, "daily-submitted-zh")
    row.get_by_test_id("accept").click()
    page.get_by_test_id("decide-comment").fill("已核实，记录仪送修")
    page.get_by_test_id("decide-confirm").click()
    row.locator("[data-test='explanation'][data-state='accepted']").wait_for()
    assert "设备故障" in row.inner_text() and "已采纳" in row.inner_text()
    assert row.get_attribute("data-status") == "missing", "the measured coverage stays as it was"
    pages.shot(page, "daily-accepted-zh")
    page.emulate_media(media="print")
    assert not page.get_by_test_id("menu-daily").is_visible() and not page.get_by_test_id("day").is_visible()
    assert "城东中队 (PD01)" in page.get_by_test_id("printed-at").locator("xpath=..").inner_text()
    pages.shot(page, "daily-print-zh")

    mine.reload()
    card = mine.get_by_test_id(f"event-{tag}-a-missing")
    card.locator("[data-test='explanation'][data-state='accepted']").wait_for()
    assert card.get_attribute("data-status") == "missing" and "已核实，记录仪送修" in card.inner_text()

    after = http.get("/api/v1/supervision/monthly", headers=sup, params={"month": "2026-11"}).json()
    assert after["total"] == before["total"] and after["officers"] == before["officers"]
    a = next(r for r in after["officers"] if r["key"] == A)
    assert (a["events"], a["covered"], a["partial"], a["missing"], a["rate"]) == (6, 1, 1, 4, round(1 / 6, 4))
    assert pages.problems == []


def test_monthly_xlsx_from_the_page_holds_the_pages_numbers_and_prints_without_the_menu(pages, web_world, pd):
    page = pages.open(SUPERVISOR, path="/monthly?month=2026-11")
    unit_row = page.get_by_test_id("month-row-PD01")
    unit_row.wait_for()
    api = web_world.http.get("/api/v1/supervision/monthly", headers=web_world.headers(SUPERVISOR),
                             params={"month": "2026-11"}).json()
    assert [u["key"] for u in api["units"]] == ["PD01"], "a supervisor sees his unit only"
    unit = api["units"][0]
    # 10 events: 1 covered, 2 partial, 7 missing; 3 clips, none docked within 24 h of its end
    assert (unit["events"], unit["covered"], unit["partial"], unit["missing"], unit["pending"]) == (10, 1, 2, 7, 0)
    assert unit["rate"] == 0.1 and (unit["on_time_imports"], unit["imports"]) == (0, 3)
    for c in ("events", "covered", "partial", "missing"):
        assert unit_row.get_by_test_id(c).inner_text() == str(unit[c])
    assert unit_row.get_by_test_id("rate").inner_text() == "10.0%"
    pages.shot(page, "monthly-desktop-zh")

    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    book = load_workbook(BytesIO(open(info.value.path(), "rb").read()))
    header, *rows = [list(r) for r in book["单位"].iter_rows(values_only=True)]
    sheet = {r[0]: dict(zip(header, r)) for r in rows}
    assert (sheet["PD01"]["事件"], sheet["PD01"]["有视频"], sheet["PD01"]["部分有视频"], sheet["PD01"]["无视频"]) == (10, 1, 2, 7)
    assert sheet["PD01"]["覆盖率%"] == 10.0 and sheet["PD01"]["按时导入"] == 0 and sheet["PD01"]["导入总数"] == 3
    officers = {r[0]: r for r in book["民警"].iter_rows(values_only=True)}
    assert officers[B][2:7] == (4, 0, 1, 3, 0)
    overview = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}
    assert overview["单位"] == "城东中队 (PD01)" and overview["期间"] == "2026-11"

    page.emulate_media(media="print")
    assert not page.locator(".el-header").is_visible(), "the menu is not printed"
    assert not page.get_by_test_id("download").is_visible() and not page.get_by_test_id("print").is_visible()
    assert page.get_by_test_id("printed-at").is_visible()
    assert "2026-11" in page.get_by_test_id("report-title").inner_text()
    width = page.evaluate("document.querySelector('[data-test=by-officer] table').getBoundingClientRect().width")
    assert width <= page.evaluate("document.querySelector('[data-test=by-officer]').getBoundingClientRect().width") + 1
    pages.shot(page, "monthly-print")
    assert pages.problems == []


def test_weekly_ranks_with_the_trend_in_english_and_daily_fits_a_phone(pages, web_world, pd):
    page = pages.open(SUPERVISOR, language="en", path="/weekly?week_start=2026-11-18")
    row = page.get_by_test_id("rank-row-" + A)
    row.wait_for()
    assert "2026-11-16 – 2026-11-22" in page.get_by_test_id("report-period").inner_text()
    # week of the 16th: 630002 has 5 events, 1 covered → 20.0%; 630003 3 events, none covered
    assert row.get_by_test_id("rate").inner_text() == "20.0%"
    assert page.get_by_test_id("rank-row-" + B).get_by_test_id("rate").inner_text() == "0.0%"
    order = [r.get_attribute("data-test") for r in page.get_by_test_id("rank-officer").locator("tbody tr").all()]
    assert order == [f"rank-row-{A}", f"rank-row-{B}"]
    # the 4 weeks before: 630002 missed his one event of the week of 2 Nov, had none in the others
    assert row.get_by_test_id("trend").get_attribute("data-trend") == "[null,null,0,null,0.2]"
    assert row.get_by_test_id("change").inner_text() == "▲ 20.0"
    assert "Weekly ranking" in page.get_by_test_id("report-title").inner_text()
    pages.shot(page, "weekly-desktop-en")

    phone = page  # one signed-in browser for the phone checks too: the same user, a narrow screen
    phone.set_viewport_size(PHONE)
    phone.goto("/monthly?month=2026-11")
    phone.get_by_test_id("month-row-PD01").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    pages.shot(phone, "monthly-phone-en")
    phone.goto(f"/daily?day={DAY}")
    for language, word in (("en", "Partial footage"), ("zh-CN", "部分有视频")):
        if language == "zh-CN":  # switched in the header, as a user does
            phone.get_by_test_id("language").click()
            phone.locator(".el-select-dropdown__item", has_text="中文").click()
        row = phone.get_by_test_id(f"row-{pd['tag']}-b-partial")
        row.get_by_text(word).wait_for()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"
        pages.shot(phone, f"daily-phone-{language}")
    assert pages.problems == []
