"""The coverage explorer, in Chromium: supervisor 620001 of unit EX01 drills down from his unit to an
officer to an event and reads its gap chart. Officer 620002 carries camera EXCAM01 (assigned through
the assignment import) which docked two tiny clips; officer 620003 has no camera. The ledger pins
four November events: one the 4 s clip covers, one the 3 s clip covers in part (the rest: "nothing
recorded"), and two of 620003's (no camera assigned), one of them an accident case."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests import media
from tests.dock import dock, write_dock_env
from tests.helpers import poll
from tests.web.conftest import PHONE
from tests.web.world import password_of

pytestmark = pytest.mark.embedded

PERIOD = "from=2026-11-01&to=2026-11-30"
SUPERVISOR, CARRIER, BARE = "620001", "620002", "620003"


def _overlap(rec: dict, lo: str, hi: str) -> int:
    """Seconds of [lo, hi] (UTC) the recording spans: what covered seconds must be, worked out here."""
    start, end = (datetime.fromisoformat(rec[k].replace("Z", "+00:00")) for k in ("started_at", "ended_at"))
    lo_, hi_ = datetime.fromisoformat(lo), datetime.fromisoformat(hi)
    return round(max(0.0, (min(end, hi_) - max(start, lo_)).total_seconds()))


@pytest.fixture(scope="module")
def ex(web_world, tmp_path_factory):
    http, admin = web_world.http, web_world.headers("admin")
    r = http.post("/api/v1/units", headers=admin, json={"code": "EX01", "name": "探索大队", "level": "brigade"})
    assert r.status_code == 201, r.text
    unit_id = r.json()["id"]
    for police_id, name, role in ((SUPERVISOR, "周明", "supervisor"), (CARRIER, "吴军", "officer"),
                                  (BARE, "郑涛", "officer")):
        r = http.post("/api/v1/users", headers=admin, json={"police_id": police_id, "name": name, "role": role,
                                                            "password": password_of(police_id), "unit_code": "EX01"})
        assert r.status_code == 201, r.text
    r = http.post("/api/v1/device-assignments/import", headers=admin, files={"file": (
        "a.csv", f"device_id,police_id,assigned_from,assigned_to\nEXCAM01,{CARRIER},2026-11-01T00:00:00,\n".encode(),
        "text/csv")})
    assert r.status_code == 200 and not r.json()["errors"], r.text
    ledger = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
              f"EX-full,ticket,{CARRIER},2026-11-15T09:00:00,2026-11-15T09:00:04,\n"
              f"EX-part,ticket,{CARRIER},2026-11-15T09:30:00,2026-11-15T09:30:10,\n"
              f"EX-nocam,ticket,{BARE},2026-11-15T09:30:00,2026-11-15T09:30:10,\n"
              f"EX-acc,accident,{BARE},2026-11-16T10:00:00,2026-11-16T10:20:00,EXC-1\n")
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("l.csv", ledger.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 4, r.text

    tmp = tmp_path_factory.mktemp("ex-dock")
    camera = tmp / "camera" / "DCIM"
    camera.mkdir(parents=True)
    media.h264_mp4(camera / f"EXCAM01_{CARRIER}_20261115090000_0001.mp4", seed=620, seconds=4)
    media.h264_mp4(camera / f"EXCAM01_{CARRIER}_20261115093000_0002.mp4", seed=621, seconds=3)
    r = http.post("/api/v1/stations", headers=admin, json={"name": "EX01 采集站", "unit_code": "EX01"})
    assert r.status_code == 201, r.text
    env = write_dock_env(tmp / "dock.env", web_world.base_url, r.json()["api_key"], tmp / "spool")
    result = dock("ingest", str(camera.parent), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr

    def settled():
        events = {e["event_id"]: e for e in http.get("/api/v1/coverage/events", headers=admin, params={
            "unit_id": unit_id}).json()["items"]}
        return events if events.get("EX-part", {}).get("status") == "partial" and \
            events.get("EX-full", {}).get("status") == "covered" else None

    events = poll("coverage of EX01's events", settled, timeout=120)
    recs = sorted(http.get("/api/v1/recordings", headers=admin, params={"officer": CARRIER}).json()["items"],
                  key=lambda x: x["started_at"])
    assert len(recs) == 2, recs
    return {"unit": unit_id, "events": events, "recs": recs}


def test_a_supervisor_drills_down_to_an_events_gaps(pages, ex):
    part = ex["events"]["EX-part"]
    expected = _overlap(ex["recs"][1], part["window_start"], part["window_end"])  # the 3 s clip, all inside
    assert part["covered_seconds"] == expected and 0 < expected < part["window_seconds"]
    page = pages.open(SUPERVISOR, path=f"/coverage?{PERIOD}")
    units = page.get_by_test_id("units")
    units.get_by_test_id(f"units-{ex['unit']}").wait_for()
    row = page.locator("tr", has=page.get_by_test_id(f"units-{ex['unit']}"))
    # 4 events: covered 1, partial 1, missing 2; rate = covered ÷ settled = 1 ÷ 4
    assert [row.get_by_test_id(f"n-{s}").inner_text() for s in ("covered", "partial", "missing", "pending")] == \
        ["1", "1", "2", "0"]
    assert row.get_by_test_id("rate").inner_text() == "25%"
    pages.shot(page, "coverage-units-desktop-zh")

    page.get_by_test_id(f"units-{ex['unit']}").click()
    page.get_by_test_id(f"officers-{CARRIER}").wait_for()
    assert page.get_by_test_id("sum-events").inner_text() == "4"
    carrier = page.locator("tr", has=page.get_by_test_id(f"officers-{CARRIER}"))
    assert carrier.get_by_test_id("n-covered").inner_text() == "1" and carrier.get_by_test_id("rate").inner_text() == "50%"
    bare = page.locator("tr", has=page.get_by_test_id(f"officers-{BARE}"))
    assert bare.get_by_test_id("n-missing").inner_text() == "2" and bare.get_by_test_id("rate").inner_text() == "0%"
    pages.shot(page, "coverage-officers-desktop-zh")

    page.get_by_test_id(f"officers-{CARRIER}").click()
    page.get_by_test_id("event-EX-part").click()
    chart = page.get_by_test_id("gap-chart")
    chart.wait_for()
    assert chart.get_by_test_id("chart-covered").get_attribute("data-seconds") == str(expected)
    assert f"已录 {expected} 秒 / 应录 10 秒" in chart.inner_text()
    gaps = chart.get_by_test_id(f"chart-gap-{CARRIER}")
    assert gaps.count() == 1 and gaps.get_attribute("data-reason") == "not_recorded"
    assert "记录仪之后已入库，但这段时间没有录像" in chart.get_by_test_id("gap-list").inner_text()
    assert chart.get_by_test_id(f"chart-recording-{ex['recs'][1]['id']}").is_visible()
    pages.shot(page, "coverage-gaps-desktop-zh")

    page.keyboard.press("Escape")
    page.get_by_test_id("gap-chart").wait_for(state="hidden")
    page.get_by_test_id("crumb-EX01").click()  # the officers of EX01 again
    page.get_by_test_id(f"officers-{BARE}").click()
    page.get_by_test_id("event-EX-nocam").click()
    chart = page.get_by_test_id("gap-chart")
    chart.wait_for()
    assert chart.get_by_test_id("chart-covered").get_attribute("data-seconds") == "0"
    assert chart.get_by_test_id(f"chart-gap-{BARE}").get_attribute("data-reason") == "no_camera"
    assert "该时段没有给该民警分配执法记录仪" in chart.inner_text()
    page.keyboard.press("Escape")

    page.get_by_role("tab", name="路面执法无视频").click()
    page.get_by_test_id("roadside-EX-nocam").wait_for()
    assert page.get_by_test_id("roadside-EX-part").count() == 0, "partly recorded is not 'no footage'"
    page.get_by_role("tab", name="事故无视频案件").click()
    page.get_by_test_id("accident-EXC-1").wait_for()
    assert pages.problems == []


def test_a_link_with_statuses_in_english_on_a_phone(pages, ex):
    page = pages.open(SUPERVISOR, viewport=PHONE, language="en",
                      path=f"/coverage?{PERIOD}&status=missing,partial&unit={ex['unit']}&officer={CARRIER}")
    page.get_by_test_id("event-EX-part").wait_for()
    assert page.get_by_test_id("event-EX-full").count() == 0, "covered is not among missing, partial"
    assert page.get_by_test_id("status-missing").locator("input").is_checked()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"
    pages.shot(page, "coverage-events-phone-en")
    page.get_by_test_id("event-EX-part").click()
    chart = page.get_by_test_id("gap-chart")
    chart.wait_for()
    assert "The camera docked later, but recorded nothing at that time" in chart.inner_text()
    box = chart.get_by_test_id("chart-row-whole").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    pages.shot(page, "coverage-gaps-phone-en")
    assert pages.problems == []


def test_an_admin_in_english_and_a_supervisor_on_a_phone_in_chinese(pages, ex, web_world):
    page = pages.open("admin", language="en", path=f"/coverage?{PERIOD}&unit={ex['unit']}")
    page.get_by_test_id(f"officers-{CARRIER}").wait_for()
    assert page.get_by_test_id("menu-coverage").inner_text() == "Coverage"
    assert "Missing 2" in page.get_by_test_id("unit-summary").inner_text()
    pages.shot(page, "coverage-officers-desktop-en")
    phone = pages.open(SUPERVISOR, viewport=PHONE, path=f"/coverage?{PERIOD}")
    card = phone.get_by_test_id(f"units-{ex['unit']}")
    card.wait_for()
    assert "无视频 2" in card.inner_text() and card.get_by_test_id("rate").inner_text() == "25%"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    pages.shot(phone, "coverage-units-phone-zh")
    officer = web_world.headers(CARRIER)
    assert web_world.http.get("/api/v1/coverage/explorer/units", headers=officer).status_code == 403
    assert pages.problems == []
