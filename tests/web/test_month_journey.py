"""The supervisor's month, in Chromium, in Chinese, on a fresh single box filled the way a person
fills one: `evidence demo-month` writes last month of a small brigade (支队 M7ZD → 大队 M7DD1 → two
中队, 20 officers, 1,200 events, 2,400 recordings without media). The generated recordings cannot
be played, so this month's real footage comes from the dock agent: three 4 s clips of two officers
of 中队 M7DD1-ZD1, recorded a little earlier today.

One supervisor of M7DD1 then, in one browser session: reads 首页 for last month; does 日清 for one
day, 周评 for one week and 月结 for the month (and its XLSX); draws a review sample of this month,
plays part of a clip and records 不规范 with an issue and points; and reads the assessment of this
month before and after the admin saves new weights from this month on.

Every expected figure is worked out here from the generator's plan (`Month.expected`: the status
each event and each of its officers was generated to have), not read from the API the pages use.
About 165 s on a 2-core machine shared with other test runs (load 13): 95 s to start the box,
fill it and dock the clips, 40 s in the browser, 20 s to stop the box."""

from __future__ import annotations

import calendar
import math
import os
import subprocess
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from fractions import Fraction
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from evidence.coverage.generated_month import generate
from tests.dock import dock_clips_of_today
from tests.helpers import poll
from tests.serve import EVIDENCE, start_serve
from tests.web.conftest import DESKTOP, PHONE, Pages
from tests.web.world import WebWorld, password_of

pytestmark = pytest.mark.embedded

TZ = ZoneInfo("Asia/Shanghai")  # the box's default unit zone
SCALE, OFFICERS, SEED = 0.004, 20, 7731
SUPERVISOR = "M7900001"
A, B = "M7100001", "M7100003"  # officers of 中队 M7DD1-ZD1 (officers alternate between the two 中队)
CLIP_SECONDS = 4
TYPES = ("ticket", "check", "accident", "vehicle_seizure", "license_seizure", "admin_measure", "dispatch",
         "emergency", "other")


def _last_month(today: date) -> tuple[date, int]:
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return first, calendar.monthrange(first.year, first.month)[1]


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """A fresh box, last month generated into it by the command, a supervisor, today's clips docked."""
    tmp = tmp_path_factory.mktemp("month-box")
    box = start_serve(tmp)
    http = httpx.Client(base_url=box.base_url, timeout=120)
    try:
        box.wait_healthy(timeout=300)  # a second box beside the shared one, on a machine others load too
        world = WebWorld(box, box.admin_password(), http)
        today = datetime.now(TZ).date()
        first, days = _last_month(today)
        args = ["demo-month", "--month", f"{first:%Y-%m}", "--scale", str(SCALE), "--officers", str(OFFICERS),
                "--brigades", "1", "--squadrons", "2", "--prefix", "M7", "--seed", str(SEED)]
        done = subprocess.run([EVIDENCE, *args], env=box.env, cwd=tmp, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr

        # The plan, generated again here with the same options (the command's own run is in the box).
        plan = generate(SCALE, OFFICERS, SEED, first=first, days=days, brigades=1, squadrons=2, prefix="M7", tz=TZ)
        assert len(plan.events) == 1200

        admin = world.headers("admin")
        r = http.post("/api/v1/users", headers=admin, json={"police_id": SUPERVISOR, "name": "马督察",
                                                            "role": "supervisor", "password": password_of(SUPERVISOR),
                                                            "unit_code": "M7DD1"})
        assert r.status_code == 201, r.text
        r = http.post("/api/v1/stations", headers=admin, json={"name": "M7 一中队采集站", "unit_code": "M7DD1-ZD1"})
        assert r.status_code == 201, r.text
        dock_clips_of_today(tmp, box.base_url, r.json()["api_key"], "CAMM7", [(A, 770), (A, 771), (B, 772)],
                            CLIP_SECONDS)

        def ready():
            items = http.get("/api/v1/recordings", headers=admin, params={"page_size": 100}).json()["items"]
            clips = [i for i in items if i["original_filename"].startswith("CAMM7_")]
            return clips if len(clips) == 3 and all(i["processing_state"] == "ready" for i in clips) else None

        clips = poll("processing of the docked clips", ready, timeout=240)
        yield {"world": world, "plan": plan, "first": first, "days": days, "today": today, "clips": clips}
    finally:
        http.close()
        code = box.stop()
        assert code == 0, box.output()[-3000:]


@pytest.fixture
def month_pages(browser, month, tmp_path):
    artifacts = Path(os.environ.get("EVIDENCE_TEST_SCREENSHOTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    p = Pages(browser, month["world"], artifacts)
    yield p
    p.close()


# -- what the pages must show, from the plan ------------------------------------------------------
def _local_day(event) -> date:
    return event[3].astimezone(TZ).date()


def _events(plan, lo: date, hi: date):
    """(event tuple, planned status, {police id: planned status}) of events starting in [lo, hi)."""
    for e in plan.events:
        if lo <= _local_day(e) < hi:
            status, officers = plan.expected[e[1]]
            yield e, status, officers


def _rate(covered: int, settled: int) -> float:
    """The coverage rate as the API gives it: a fraction to 4 places (the pages round that again)."""
    return round(covered / settled, 4)


def _pct(covered: int, settled: int) -> str:
    """首页's percentage: the rate × 100 to one place."""
    return "—" if not settled else f"{_rate(covered, settled) * 100:.1f}%"


def _report_pct(covered: int, settled: int) -> str:
    """日清/周评/月结's percentage: the rate × 1000 rounded half up, ÷ 10."""
    return f"{math.floor(_rate(covered, settled) * 1000 + 0.5) / 10:.1f}%"


def _by_officer(plan, lo: date, hi: date) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    for _, _, officers in _events(plan, lo, hi):
        for pid, status in officers.items():
            out[pid]["events"] += 1
            out[pid][status] += 1
    return out


def test_a_supervisor_does_the_month_in_the_browser(month, month_pages):
    plan, first, days = month["plan"], month["first"], month["days"]
    end = first + timedelta(days=days)
    pages = month_pages

    # 首页: last month's rates per type, the total and the to-do count of events to follow up.
    page = pages.open(SUPERVISOR)
    page.wait_for_url("**/overview")
    page.goto(f"/overview?period=month&start={first.isoformat()}")
    page.get_by_test_id("type-table").wait_for()  # page loads wait 30 s: the machine may be busy
    expect(page.get_by_test_id("period-range")).to_contain_text(first.isoformat())
    by_type: dict[str, Counter] = defaultdict(Counter)
    for e, status, _ in _events(plan, first, end):
        by_type[e[2]][status] += 1
    for t in TYPES:
        row = page.get_by_test_id(f"type-{t}")
        c = by_type[t]
        expect(row.get_by_test_id("rate")).to_have_text(_pct(c["covered"], sum(c.values())))
        for status in ("covered", "partial", "missing"):
            assert row.get_by_test_id(status).inner_text() == str(c[status]), (t, status)
    total = sum(by_type.values(), Counter())
    assert page.get_by_test_id("rate-total").inner_text() == _pct(total["covered"], sum(total.values()))
    assert page.get_by_test_id("todo-count-missing_or_partial").inner_text() == str(total["missing"] + total["partial"])
    page.locator("[data-test=chart-rate] svg").wait_for()
    pages.shot(page, "month-overview-desktop-zh")
    page.set_viewport_size(PHONE)
    expect(page.get_by_test_id("rate-total")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"首页 is wider than the phone: {width}px"
    pages.shot(page, "month-overview-phone-zh")
    page.set_viewport_size(DESKTOP)

    # 日清 of the 10th: every officer's missing and partial events of that day, and nothing else.
    day = first + timedelta(days=9)
    want = {(pid, e[1], s) for e, _, officers in _events(plan, day, day + timedelta(days=1))
            for pid, s in officers.items() if s in ("missing", "partial")}
    assert len(want) > 5
    page.goto(f"/daily?day={day.isoformat()}")
    page.locator("[data-test^='row-']").first.wait_for()
    expect(page.locator("[data-test^='row-']")).to_have_count(len(want))
    shown = set()
    for row in page.locator("[data-test^='row-']").all():
        officer = row.locator("xpath=ancestor::section[1]").get_attribute("data-test").removeprefix("officer-")
        shown.add((officer, row.get_attribute("data-test").removeprefix("row-"), row.get_attribute("data-status")))
    assert shown == want
    pages.shot(page, "month-daily-desktop-zh")

    # 周评 of the month's first whole week: officers ranked by rate, then by events, then 警号.
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    week = _by_officer(plan, monday, monday + timedelta(days=7))
    ranked = sorted(week, key=lambda p: (-Fraction(week[p]["covered"], week[p]["events"]), -week[p]["events"], p))
    page.goto(f"/weekly?week_start={monday.isoformat()}")
    table = page.get_by_test_id("rank-officer")
    table.locator("tbody tr").first.wait_for()
    expect(table.locator("tbody tr")).to_have_count(len(ranked))
    order = [r.get_attribute("data-test") for r in table.locator("tbody tr").all()]
    assert order == [f"rank-row-{p}" for p in ranked]
    top = week[ranked[0]]
    assert page.get_by_test_id(f"rank-row-{ranked[0]}").get_by_test_id("rate").inner_text() == \
        _report_pct(top["covered"], top["events"])
    pages.shot(page, "month-weekly-desktop-zh")

    # 月结: the page's unit rows and the downloaded XLSX hold the plan's numbers.
    units = {u["id"]: u["code"] for u in plan.units}
    by_unit: dict[str, Counter] = defaultdict(Counter)
    for e, status, _ in _events(plan, first, end):
        by_unit[units[e[8]]]["events"] += 1
        by_unit[units[e[8]]][status] += 1
    page.goto(f"/monthly?month={first:%Y-%m}")
    page.locator("[data-test^='month-row-']").first.wait_for()
    for code, c in by_unit.items():
        row = page.get_by_test_id(f"month-row-{code}")
        expect(row.get_by_test_id("events")).to_have_text(str(c["events"]))
        assert row.get_by_test_id("rate").inner_text() == _report_pct(c["covered"], c["events"])
    pages.shot(page, "month-monthly-desktop-zh")
    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    assert info.value.suggested_filename.endswith(".xlsx"), info.value.suggested_filename
    book = load_workbook(BytesIO(Path(info.value.path()).read_bytes()))
    header, *rows = [list(r) for r in book["单位"].iter_rows(values_only=True)]
    sheet = {r[0]: dict(zip(header, r)) for r in rows}
    assert set(sheet) == set(by_unit) | {"合计"}
    assert sheet["合计"]["事件"] == len(plan.events)
    for code, c in by_unit.items():
        got = sheet[code]
        assert (got["事件"], got["有视频"], got["部分有视频"], got["无视频"]) == \
            (c["events"], c["covered"], c["partial"], c["missing"]), code
        assert got["覆盖率%"] == round(_rate(c["covered"], c["events"]) * 100, 1), code
    officers = {r[0]: r for r in book["民警"].iter_rows(values_only=True)}
    for pid, c in _by_officer(plan, first, end).items():
        assert officers[pid][2:7] == (c["events"], c["covered"], c["partial"], c["missing"], 0), pid

    # 核查: a sample of this month (the default days) draws the real clips only, one per officer.
    page.goto("/reviews")
    page.get_by_test_id("new-draw").click()
    page.get_by_test_id("draw-per-officer").locator("input").fill("1")
    page.get_by_test_id("draw-seed").fill("2718")
    page.get_by_test_id("draw-submit").click()
    items = page.get_by_test_id("draw-items")
    items.locator("[data-test^='item-']").first.wait_for()
    clip_ids = {c["id"]: c["declared_police_id"] for c in month["clips"]}
    drawn = items.locator("[data-test^='item-']")
    expect(drawn).to_have_count(2)
    picked = {int(i.get_attribute("data-test").removeprefix("item-")) for i in drawn.all()}
    assert picked <= set(clip_ids) and {clip_ids[i] for i in picked} == {A, B}
    pages.shot(page, "month-reviews-desktop-zh")
    a_item = next(i for i in picked if clip_ids[i] == A)
    page.get_by_test_id(f"item-{a_item}").click()
    page.wait_for_url("**/reviews/*/items/*")
    page.get_by_test_id("video").wait_for()
    page.wait_for_function("document.querySelector('[data-test=video]').readyState >= 2")
    page.evaluate("document.querySelector('[data-test=video]').play()")
    page.wait_for_function("document.querySelector('[data-test=video]').currentTime > 1.5")
    stopped = page.evaluate("() => { const v = document.querySelector('[data-test=video]'); v.pause(); return v.currentTime; }")
    page.get_by_test_id("verdict-non-compliant").click()
    page.get_by_test_id("issue-not_announced").click()
    page.get_by_test_id("points").locator("input").fill("3")
    page.get_by_test_id("points").locator("input").blur()
    page.get_by_test_id("comment").fill("未告知当事人正在录音录像")
    page.get_by_test_id("save-verdict").click()
    expect(page.get_by_test_id("verdict-saved")).to_be_visible()
    # the watched range is shown: one bar piece from 0 to where playing stopped, and the seconds
    expect(page.get_by_test_id("watched-bar").locator(".seen")).to_have_count(1)
    text = page.get_by_test_id("watched-text").inner_text()
    assert text.startswith(f"0:0{int(stopped)} / 0:0{CLIP_SECONDS}") or text.startswith(f"0:0{int(stopped) - 1} / "), text
    pages.shot(page, "month-review-item-desktop-zh")
    page.reload()  # what was watched and judged is kept
    page.get_by_test_id("watched-bar").wait_for()
    expect(page.get_by_test_id("watched-bar").locator(".seen")).to_have_count(1)
    expect(page.get_by_test_id("points").locator("input")).to_have_value("3")
    page.get_by_test_id("back-to-draw").click()
    page.get_by_test_id(f"verdict-{a_item}").wait_for()
    expect(page.get_by_test_id(f"verdict-{a_item}")).to_have_text("不规范")

    # 考核 of this month: no events yet; A docked 2 clips, B 1, all on time, none linked to an event;
    # A's one sampled clip was judged non-compliant, B's is not judged yet (no review rate).
    rates = {A: {"on_time": 1.0, "event_link": 0.0, "review_pass": 0.0},
             B: {"on_time": 1.0, "event_link": 0.0},
             "M7DD1": {"on_time": 1.0, "event_link": 0.0, "review_pass": 0.0}}

    def score(key, weights):
        got = rates[key]
        return f"{round(100 * sum(weights[c] * v for c, v in got.items()) / sum(weights[c] for c in got), 1):.1f}"

    this_month = month["today"].strftime("%Y-%m")
    defaults = {c: 1 for c in ("coverage", "on_time", "event_link", "case_link", "review_pass")}
    page.goto(f"/assessment?month={this_month}")
    page.get_by_test_id(f"{A}-score").wait_for()
    for key in rates:
        expect(page.get_by_test_id(f"{key}-score")).to_have_text(score(key, defaults))
    pages.shot(page, "month-assessment-before-zh")

    weights = {"coverage": 2, "on_time": 1, "event_link": 0, "case_link": 1, "review_pass": 3}
    settings = pages.open("admin", path="/assessment/settings")
    month_input = settings.get_by_test_id("effective-month").locator("input")
    month_input.fill(this_month)
    month_input.press("Enter")
    expect(month_input).to_have_value(this_month)
    for c, w in weights.items():
        box = settings.get_by_test_id(f"weight-{c}").locator("input")
        box.fill(str(w))
        box.blur()
    settings.get_by_test_id("save-weights").click()
    settings.get_by_test_id(f"from-{this_month}-01").wait_for()
    pages.shot(settings, "month-assessment-settings-zh")

    page.reload()
    page.get_by_test_id(f"{A}-score").wait_for()
    for key in rates:
        expect(page.get_by_test_id(f"{key}-score")).to_have_text(score(key, weights))
    assert score(B, weights) != score(B, defaults) and score(A, weights) != score(A, defaults)
    pages.shot(page, "month-assessment-after-zh")
    # last month keeps the weights it was scored with: its coverage column is the plan's rate
    page.goto(f"/assessment?month={first:%Y-%m}")
    page.get_by_test_id(f"{A}-coverage").wait_for()
    a = _by_officer(plan, first, end)[A]
    cell = page.get_by_test_id(f"{A}-coverage")
    expect(cell).not_to_have_attribute("data-rate", "")
    assert abs(float(cell.get_attribute("data-rate")) - a["covered"] / a["events"]) < 1e-4
    assert pages.problems == []
