"""Review sampling and assessment in Chromium. Unit RV01 (a supervisor, two officers) docks three
4 s clips; the supervisor draws one recording per officer with a seed (the same seed draws the same
recordings again), plays part of one clip in the review player and gives a verdict: the stored
watched ranges cover what was played and no more, and the page shows the watched time. The
assessment page then shows each officer's review pass rate and a score this test computes from the
rates and weights; weights saved from next month on leave this month's score as it was."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tests.dock import dock_clips_of_today
from tests.helpers import poll
from tests.web.conftest import DESKTOP, PHONE
from tests.web.world import password_of

pytestmark = pytest.mark.embedded

UNIT = "RV01"
SUPERVISOR, OFFICER_A, OFFICER_B = "640001", "640002", "640003"
SEED = 424242
CLIP_SECONDS = 4


def _video(page) -> None:
    page.get_by_test_id("video").wait_for()
    page.wait_for_function("document.querySelector('[data-test=video]').readyState >= 2")


def _played_until(page, at_least: float) -> float:
    """Play from where the video is until it passes `at_least`, pause, and answer where it stopped."""
    page.evaluate("document.querySelector('[data-test=video]').play()")
    page.wait_for_function(f"document.querySelector('[data-test=video]').currentTime > {at_least}")
    return page.evaluate("""() => { const v = document.querySelector('[data-test=video]'); v.pause();
        return v.currentTime; }""")


@pytest.fixture(scope="module")
def rv(web_world, tmp_path_factory):
    """RV01 with its people and three docked clips recorded earlier today (unit's zone)."""
    http, admin = web_world.http, web_world.headers("admin")
    r = http.post("/api/v1/units", headers=admin, json={"code": UNIT, "name": "核查测试中队", "level": "squadron"})
    assert r.status_code == 201, r.text
    for police_id, name, role in ((SUPERVISOR, "孙核查", "supervisor"), (OFFICER_A, "周民警", "officer"),
                                  (OFFICER_B, "吴民警", "officer")):
        r = http.post("/api/v1/users", headers=admin, json={"police_id": police_id, "name": name, "role": role,
                                                            "password": password_of(police_id), "unit_code": UNIT})
        assert r.status_code == 201, r.text
    r = http.post("/api/v1/stations", headers=admin, json={"name": "RV01 采集站", "unit_code": UNIT})
    assert r.status_code == 201, r.text
    start = dock_clips_of_today(tmp_path_factory.mktemp("rv"), web_world.base_url, r.json()["api_key"], "CAMRV",
                                [(OFFICER_A, 900), (OFFICER_A, 901), (OFFICER_B, 902)], CLIP_SECONDS)
    ours = {OFFICER_A, OFFICER_B}

    def ready():
        items = http.get("/api/v1/recordings", headers=admin, params={"page_size": 100}).json()["items"]
        mine = [i for i in items if i["declared_police_id"] in ours]
        return mine if len(mine) == 3 and all(i["processing_state"] == "ready" for i in mine) else None

    recordings = poll("processing of RV01's clips", ready, timeout=180)
    return {"day": start.date(), "recordings": recordings,
            "by_officer": {p: sorted(i["id"] for i in recordings if i["declared_police_id"] == p) for p in ours}}


def test_a_supervisor_draws_reviews_and_the_assessment_scores_it(pages, web_world, rv):
    http, sup, admin = web_world.http, web_world.headers(SUPERVISOR), web_world.headers("admin")
    day = rv["day"].isoformat()
    body = {"date_from": day, "date_to": day, "per_officer": 1, "seed": SEED}

    # The draw in the page, with the seed typed in.
    page = pages.open(SUPERVISOR, path="/reviews")
    page.get_by_test_id("new-draw").click()
    page.get_by_test_id("draw-per-officer").locator("input").fill("1")
    page.get_by_test_id("draw-seed").fill(str(SEED))
    page.get_by_test_id("draw-submit").click()
    page.get_by_test_id("draw-items").wait_for()
    first_id = int(page.url.split("draw=")[1])
    first = http.get(f"/api/v1/reviews/draws/{first_id}", headers=sup).json()
    assert first["seed"] == SEED and first["candidates"] == 3 and first["drawn_by"] == SUPERVISOR
    picked = {e["officer_police_id"]: e["recording_id"] for e in first["entries"]}
    assert set(picked) == {OFFICER_A, OFFICER_B}, "one recording of each officer"
    assert picked[OFFICER_A] in rv["by_officer"][OFFICER_A] and picked[OFFICER_B] in rv["by_officer"][OFFICER_B]
    # The same seed over the same data draws the same recordings again.
    again = http.post("/api/v1/reviews/draws", headers=sup, json=body)
    assert again.status_code == 201, again.text
    assert [e["recording_id"] for e in again.json()["entries"]] == [e["recording_id"] for e in first["entries"]]
    pages.shot(page, "reviews-desktop-zh")

    # The supervisor opens officer A's item, plays 0 → ~1.2 s, jumps to 2.5 s, plays to ~3.0 s.
    item_a = next(e for e in first["entries"] if e["officer_police_id"] == OFFICER_A)
    page.get_by_test_id(f"item-{picked[OFFICER_A]}").click()
    page.wait_for_url(f"**/reviews/{first_id}/items/{item_a['id']}")
    _video(page)
    first_stop = _played_until(page, 1.2)
    page.evaluate("document.querySelector('[data-test=video]').currentTime = 2.5")
    page.wait_for_function("!document.querySelector('[data-test=video]').seeking")
    second_stop = _played_until(page, 3.0)
    page.get_by_test_id("verdict-compliant").click()
    page.get_by_test_id("comment").fill("全程录制，告知到位")
    page.get_by_test_id("save-verdict").click()
    page.get_by_test_id("verdict-saved").wait_for()

    item = http.get(f"/api/v1/reviews/draws/{first_id}/items/{item_a['id']}", headers=sup).json()
    ranges = [(r["start"], r["end"], r["rate"]) for r in item["ranges"]]
    assert len(ranges) == 2, ranges
    (s1, e1, r1), (s2, e2, r2) = ranges
    assert r1 == r2 == 1
    assert s1 <= 0.05 and first_stop - 0.3 <= e1 <= first_stop + 0.01, (ranges, first_stop)
    assert 2.45 <= s2 <= 2.55 and second_stop - 0.3 <= e2 <= second_stop + 0.01, (ranges, second_stop)
    assert not any(s < 2.0 and e > 1.6 for s, e, _ in ranges), "the skipped part is not counted as watched"
    seen = (e1 - s1) + (e2 - s2)
    assert item["verdict"]["verdict"] == "compliant" and abs(item["verdict"]["watched_seconds"] - seen) < 0.01
    share = seen / item["duration_seconds"]
    text = page.get_by_test_id("watched-text")
    assert text.inner_text() == f"0:0{int(seen)} / 0:04 ({int(share * 100)}%)"
    assert text.get_attribute("data-low") == ("yes" if share < 0.5 else "no")
    pages.shot(page, "review-item-desktop-zh")

    # Officer B's recording is judged non-compliant (over the API, as a second reviewer would).
    item_b = next(e for e in first["entries"] if e["officer_police_id"] == OFFICER_B)
    r = http.put(f"/api/v1/reviews/draws/{first_id}/items/{item_b['id']}/verdict", headers=sup,
                 json={"verdict": "non_compliant", "tags": ["view_blocked"], "points": 2, "comment": "镜头被遮挡"})
    assert r.status_code == 200, r.text
    draws = http.get("/api/v1/reviews/draws", headers=sup).json()
    assert next(d for d in draws if d["id"] == first_id)["items"] == 2
    assert [(d["reviewed"], d["compliant"]) for d in draws if d["id"] == first_id] == [(2, 1)]

    # Weights from this month on; the score is computed here from the rates and these weights.
    month = rv["day"].strftime("%Y-%m")
    weights = {"coverage": 2, "on_time": 1, "event_link": 1, "case_link": 1, "review_pass": 3}
    r = http.put("/api/v1/assessment/weights", headers=admin, json={"effective_from": f"{month}-01", **weights})
    assert r.status_code == 200, r.text
    # No ledger events: coverage and case links have nothing to count; the clips are docked on time
    # and linked to no event. A: 2 clips, 1 compliant verdict; B: 1 clip, 1 non-compliant verdict.
    rates = {OFFICER_A: {"on_time": 1.0, "event_link": 0.0, "review_pass": 1.0},
             OFFICER_B: {"on_time": 1.0, "event_link": 0.0, "review_pass": 0.0},
             UNIT: {"on_time": 1.0, "event_link": 0.0, "review_pass": 0.5}}

    def expected(key):
        got = rates[key]
        return round(100 * sum(weights[c] * v for c, v in got.items()) / sum(weights[c] for c in got), 1)

    page.goto(f"/assessment?month={month}")
    page.get_by_test_id(f"{OFFICER_A}-score").wait_for()
    for key in (OFFICER_A, OFFICER_B, UNIT):
        assert page.get_by_test_id(f"{key}-score").inner_text() == f"{expected(key):.1f}", key
        assert page.get_by_test_id(f"{key}-coverage").inner_text().startswith("–")
    assert page.get_by_test_id(f"{OFFICER_A}-review_pass").inner_text().startswith("100.0%")
    assert page.get_by_test_id(f"{OFFICER_B}-review_pass").inner_text().startswith("0.0%")
    assert "0/2" in page.get_by_test_id(f"{OFFICER_A}-event_link").inner_text()
    pages.shot(page, "assessment-desktop-zh")

    # The admin saves other weights from next month on: this month's score stays as it was.
    settings = pages.open("admin", path="/assessment/settings")
    settings.get_by_test_id("weight-review_pass").locator("input").fill("0")
    settings.get_by_test_id("weight-review_pass").locator("input").blur()
    settings.get_by_test_id("save-weights").click()
    nxt = (rv["day"].replace(day=28) + timedelta(days=4)).replace(day=1)
    settings.get_by_test_id(f"from-{nxt.isoformat()}").wait_for()
    pages.shot(settings, "assessment-settings-desktop-zh")
    page.reload()
    page.get_by_test_id(f"{OFFICER_A}-score").wait_for()
    assert page.get_by_test_id(f"{OFFICER_A}-score").inner_text() == f"{expected(OFFICER_A):.1f}"
    later = http.get("/api/v1/assessment", headers=sup, params={"month": nxt.strftime("%Y-%m")}).json()
    assert later["weights"]["review_pass"] == 0 and later["weights"]["effective_from"] == nxt.isoformat()

    # The XLSX holds the same score.
    from openpyxl import load_workbook

    r = http.get("/api/v1/assessment", headers=sup, params={"month": month, "format": "xlsx"})
    assert r.status_code == 200
    rows = {row[0]: row for row in load_workbook(io.BytesIO(r.content))["officers"].iter_rows(values_only=True)}
    assert rows[OFFICER_A][-1] == expected(OFFICER_A)

    # The same pages on a phone, in Chinese and in English, and the assessment in English.
    page.set_viewport_size(PHONE)
    page.goto(f"/reviews/{first_id}/items/{item_a['id']}")
    page.get_by_test_id("watched-text").wait_for()
    _video(page)
    pages.shot(page, "review-item-phone-zh")
    en = pages.open(SUPERVISOR, viewport=PHONE, language="en", path=f"/reviews/{first_id}/items/{item_a['id']}")
    en.get_by_test_id("watched-text").wait_for()
    _video(en)
    assert "Watched" in en.get_by_test_id("watched").inner_text()
    pages.shot(en, "review-item-phone-en")
    en.set_viewport_size(DESKTOP)
    en.goto(f"/assessment?month={month}")
    en.get_by_test_id(f"{OFFICER_A}-score").wait_for()
    pages.shot(en, "assessment-desktop-en")
    assert pages.problems == []


def test_an_officer_and_another_units_supervisor_see_no_draw(web_world, rv):
    http = web_world.http
    draws = http.get("/api/v1/reviews/draws", headers=web_world.headers("030405")).json()
    ours = {d["id"] for d in draws if d["unit_code"] == UNIT}
    assert ours == set(), "ZD01's supervisor does not reach RV01"
    r = http.get("/api/v1/reviews/draws", headers=web_world.headers(OFFICER_A))
    assert r.status_code == 403
