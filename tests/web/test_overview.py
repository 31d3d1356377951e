"""The supervisor home page (首页), in Chromium: a unit of our own (HM..) with a supervisor and two
officers, a ledger of five events of four types, and three clips docked through the dock agent.

On-time import is measured against the dock time, which is "now" for the dock agent: so the clips
and events sit at fixed distances from now (30 h ago: docked late, deadline passed; 3 h and 2 h ago:
on time), and the test pins the period (week, else month) that holds them all.

    clip A1  officer A  now−30 h, 4 s   covers E1 (ticket, late upload)      docked late
    clip A2  officer A  now−3 h,  4 s   covers E2 (check), half of E3 (ticket: partial)
    clip B1  officer B  now−2 h,  2 s   no event: a recording linked to nothing
    E4 accident, officer B, now−31 h, 10 min, case HM..-C1: no footage, past its deadline: missing
    E5 dispatch, officer A, now−1 h, 10 min: no footage yet, still pending (not in any rate)
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests import media
from tests.dock import dock, write_dock_env
from tests.helpers import poll
from tests.web.conftest import DESKTOP, PHONE
from tests.web.world import password_of

pytestmark = pytest.mark.embedded

ZONE = ZoneInfo("Asia/Shanghai")
TYPES = ("ticket", "check", "accident", "vehicle_seizure", "license_seizure", "admin_measure", "dispatch", "emergency")


def _local(t: datetime) -> datetime:
    return t.astimezone(ZONE).replace(tzinfo=None)


def _period(first: datetime, last: datetime) -> tuple[str, str]:
    """The week, else the month, of the unit's calendar that holds both instants."""
    a, b = _local(first).date(), _local(last).date()
    if a - timedelta(days=a.weekday()) == b - timedelta(days=b.weekday()):
        return "week", (a - timedelta(days=a.weekday())).isoformat()
    if (a.year, a.month) == (b.year, b.month):
        return "month", a.replace(day=1).isoformat()
    pytest.skip("now−31 h and now fall in different weeks and months (a Monday that is the 1st)")


@pytest.fixture(scope="module")
def scene(web_world, tmp_path_factory):
    http, admin = web_world.http, web_world.headers("admin")
    tag = uuid.uuid4().hex[:4].upper()
    unit = f"HM{tag}"
    base = f"61{random.randrange(10**6):06d}"
    sup, a, b = base + "1", base + "2", base + "3"
    r = http.post("/api/v1/units", headers=admin, json={"code": unit, "name": f"测试中队{tag}", "level": "squadron",
                                                        "parent_code": None})
    assert r.status_code == 201, r.text
    for pid, name, role in ((sup, "周督察", "supervisor"), (a, "吴警官", "officer"), (b, "郑警官", "officer")):
        r = http.post("/api/v1/users", headers=admin, json={"police_id": pid, "name": name, "role": role,
                                                            "password": password_of(pid), "unit_code": unit})
        assert r.status_code == 201, r.text

    now = datetime.now(timezone.utc).replace(microsecond=0)
    late, on, unlinked = now - timedelta(hours=30), now - timedelta(hours=3), now - timedelta(hours=2)
    accident, pending = now - timedelta(hours=31), now - timedelta(hours=1)
    stamp = lambda t: _local(t).strftime("%Y%m%d%H%M%S")  # noqa: E731 — the camera's name carries local time
    iso = lambda t: _local(t).isoformat()  # noqa: E731 — the ledger's times are the unit's wall clock
    tmp = tmp_path_factory.mktemp("overview")
    camera = tmp / "camera" / "DCIM"
    camera.mkdir(parents=True)
    media.h264_mp4(camera / f"HMC{tag}_{a}_{stamp(late)}_0001.mp4", seed=801, seconds=4)
    media.h264_mp4(camera / f"HMC{tag}_{a}_{stamp(on)}_0002.mp4", seed=802, seconds=4)
    media.h264_mp4(camera / f"HMC{tag}_{b}_{stamp(unlinked)}_0003.mp4", seed=803, seconds=2)

    case_no = f"{unit}-C1"
    rows = [(f"{unit}-1", "ticket", a, late, late + timedelta(seconds=4), ""),
            (f"{unit}-2", "check", a, on, on + timedelta(seconds=4), ""),
            (f"{unit}-3", "ticket", a, on, on + timedelta(seconds=10), ""),
            (f"{unit}-4", "accident", b, accident, accident + timedelta(minutes=10), case_no),
            (f"{unit}-5", "dispatch", a, pending, pending + timedelta(minutes=10), "")]
    csv = "event_id,event_type,police_ids,started_at,ended_at,case_no\n" + "".join(
        f"{e},{t},{p},{iso(s)},{iso(x)},{c}\n" for e, t, p, s, x, c in rows)
    r = http.post("/api/v1/ledger/import", headers=admin, files={"file": ("ledger.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 5, r.text

    r = http.post("/api/v1/stations", headers=admin, json={"name": f"{unit} 采集站", "unit_code": unit})
    assert r.status_code == 201, r.text
    env = write_dock_env(tmp / "dock.env", web_world.base_url, r.json()["api_key"], tmp / "spool")
    result = dock("ingest", str(camera.parent), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr

    sup_h = web_world.headers(sup)
    period, start = _period(accident, now)
    unit_id = next(u["id"] for u in http.get("/api/v1/supervision/overview", headers=sup_h).json()["units"]
                   if u["code"] == unit)

    def settled():
        items = http.get("/api/v1/recordings", headers=sup_h, params={"page_size": 100}).json()["items"]
        if len(items) != 3 or any(i["processing_state"] not in ("ready", "unplayable", "failed") for i in items):
            return None
        events = {e["event_id"]: e for e in http.get("/api/v1/coverage/events", headers=sup_h,
                                                     params={"unit_id": unit_id, "page_size": 100}).json()["items"]}
        wanted = {f"{unit}-1": "covered", f"{unit}-2": "covered", f"{unit}-3": "partial"}
        return (items, events) if all(events.get(k, {}).get("status") == v for k, v in wanted.items()) else None

    recordings, events = poll("processing and coverage of the docked clips", settled, timeout=180)
    # A request for access that the supervisor of the unit decides: officer A asks for B's clip.
    clip_b = next(i for i in recordings if i["declared_police_id"] == b)
    r = http.post("/api/v1/access-requests", headers=web_world.headers(a),
                  json={"recording_id": clip_b["id"], "reason": "同一现场，需要调阅核对"})
    assert r.status_code == 201, r.text
    return {"unit": unit, "unit_id": unit_id, "unit_name": f"测试中队{tag}", "sup": sup, "sup_h": sup_h, "period": period, "start": start,
            "recordings": recordings, "events": events, "clip_b": clip_b, "late": late, "now": now}


def _expected(scene) -> dict:
    """What the page must show, worked out from the scenario itself."""
    ev = scene["events"]
    assert ev[f"{scene['unit']}-1"]["late_upload"] is True
    assert ev[f"{scene['unit']}-4"]["status"] == "missing" and ev[f"{scene['unit']}-5"]["status"] == "pending"
    return {"rates": {"ticket": "50.0%", "check": "100.0%", "accident": "0.0%", "dispatch": "—",
                      **{t: "—" for t in ("vehicle_seizure", "license_seizure", "admin_measure", "emergency")}},
            "total": "50.0%", "ontime": "66.7%",
            "todo": {"missing_or_partial": "2", "late_uploads": "1", "unlinked_recordings": "1",
                     "accident_cases_without_recording": "1", "access_requests_to_decide": "1"}}


def _pct(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def test_the_home_page_shows_a_units_coverage_on_time_import_and_to_dos(pages, web_world, scene):
    want = _expected(scene)
    page = pages.open(scene["sup"])
    page.wait_for_url("**/overview")  # supervisors land on the home page
    page.goto(f"/overview?period={scene['period']}&start={scene['start']}")
    page.get_by_test_id("type-table").wait_for()
    assert page.get_by_test_id("scope").inner_text() == scene["unit_name"]

    # The page agrees with GET /coverage/summary for the same days and unit, and with the scenario.
    data = web_world.http.get("/api/v1/supervision/overview", headers=scene["sup_h"],
                              params={"period": scene["period"], "start": scene["start"]}).json()
    summary = web_world.http.get("/api/v1/coverage/summary", headers=scene["sup_h"], params={
        "group_by": "type", "unit_id": scene["unit_id"],
        "start_from": f"{data['start']}T00:00:00",
        "start_to": (datetime.fromisoformat(data["end"]) + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00")}).json()
    by_type = {r["group"]: r for r in summary["rows"]}
    assert set(by_type) == {"ticket", "check", "accident", "dispatch"}, by_type
    for t in TYPES:
        row = page.get_by_test_id(f"type-{t}")
        shown = row.get_by_test_id("rate").inner_text()
        assert shown == want["rates"][t], (t, shown)
        assert shown == _pct(by_type.get(t, {}).get("activation_rate")), (t, by_type.get(t))
        for status in ("covered", "partial", "missing", "pending"):
            assert row.get_by_test_id(status).inner_text() == str(by_type.get(t, {}).get(status, 0)), (t, status)
    assert page.get_by_test_id("rate-total").inner_text() == want["total"]
    assert page.get_by_test_id("ontime-rate").inner_text() == want["ontime"]
    assert "2 / 3" in page.get_by_test_id("ontime-counts").inner_text()
    seconds = sum(r["duration_seconds"] for r in scene["recordings"])
    assert abs(float(page.get_by_test_id("recorded").get_attribute("data-seconds")) - seconds) < 0.2
    assert page.get_by_test_id("recorded").inner_text().strip() == f"{round(seconds)} 秒"
    for key, n in want["todo"].items():
        assert page.get_by_test_id(f"todo-count-{key}").inner_text() == n, key
    page.locator("[data-test=chart-rate] svg").wait_for()
    page.locator("[data-test=chart-counts] svg").wait_for()
    pages.shot(page, "overview-desktop-zh")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)  # the charts follow their box
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is wider than the phone: {width}px"
    pages.shot(page, "overview-phone-zh")
    page.set_viewport_size(DESKTOP)

    # Another day: an empty day reads as no figures, not as zero per cent; the switch goes to this month.
    page.goto("/overview?period=day&start=2020-01-01")
    expect(page.get_by_test_id("period-range")).to_have_text("2020-01-01")
    assert page.get_by_test_id("rate-total").inner_text() == "—"
    page.get_by_test_id("period-month").click()
    page.wait_for_url("**/overview?period=month")
    first = _local(datetime.now(timezone.utc)).date().replace(day=1).isoformat()
    expect(page.get_by_test_id("period-range")).to_contain_text(first)

    # The unlinked recordings open in the library, filtered to this unit and these days: B's clip alone.
    page.goto(f"/overview?period={scene['period']}&start={scene['start']}")
    page.get_by_test_id("todo-unlinked_recordings").click()
    page.wait_for_url("**/library?**linked=false**")
    rows = page.locator(".el-table__body-wrapper .el-table__row")
    expect(rows).to_have_count(1, timeout=30000)
    assert page.get_by_test_id("cell-officer").inner_text() == "郑警官"
    assert pages.problems == []


def test_an_admin_picks_the_unit_in_english_on_a_phone(pages, scene):
    page = pages.open("admin", language="en", viewport=PHONE,
                      path=f"/overview?period={scene['period']}&start={scene['start']}")
    page.get_by_test_id("type-table").wait_for()
    assert page.get_by_test_id("scope").inner_text() == "All units"
    page.get_by_test_id("unit-picker").click()
    page.get_by_test_id(f"unit-{scene['unit']}").click()
    page.wait_for_url(f"**unit={scene['unit_id']}**")
    expect(page.get_by_test_id("scope")).to_have_text(scene["unit_name"])
    # The same figures as the unit's supervisor sees; an admin may decide the unit's request too.
    assert page.get_by_test_id("ontime-rate").inner_text() == "66.7%"
    assert page.get_by_test_id("type-ticket").get_by_test_id("rate").inner_text() == "50.0%"
    assert page.get_by_test_id("type-check").get_by_test_id("rate").inner_text() == "100.0%"
    assert page.get_by_test_id("todo-count-access_requests_to_decide").inner_text() == "1"
    assert "Late uploads" in page.get_by_test_id("todo-late_uploads").inner_text()
    page.locator("[data-test=chart-rate] svg").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is wider than the phone: {width}px"
    pages.shot(page, "overview-phone-en")
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(300)
    pages.shot(page, "overview-desktop-en")
    # Printed: the page alone, without the menu bar and the controls.
    page.emulate_media(media="print")
    assert not page.locator(".layout .header").is_visible()
    assert not page.get_by_test_id("period").is_visible()
    assert page.get_by_test_id("type-table").is_visible()
    pages.shot(page, "overview-print-en")
    assert pages.problems == []
