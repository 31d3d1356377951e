"""The review player in Chromium: a case handler plays a clip, steps frames, sets in and out
marks with I and O, attaches the clip to a case with a note (the API then holds seconds and
frames), and the clip link starts at its in-mark; audio shows a waveform, a photo opens in the
zoomable viewer, another unit's officer gets the plain not-found page."""

from __future__ import annotations

import math
import uuid

import pytest
from playwright.sync_api import expect

from tests.web.conftest import DESKTOP, PHONE, choose_option

pytestmark = pytest.mark.embedded

FPS = 15  # tests/media.h264_mp4


def _rec(world, police_id: str, suffix: str) -> dict:
    return next(r for r in world.recordings[police_id] if r["original_filename"].endswith(suffix))


def _ready(page) -> None:
    page.get_by_test_id("video").wait_for()
    page.wait_for_function("document.querySelector('[data-test=video]').readyState >= 2")


def _frame(page) -> int:
    return int(page.get_by_test_id("frame-number").inner_text())


def _wait_frame(page, frame: int) -> None:
    page.wait_for_function(f"document.querySelector('[data-test=frame-number]').innerText.trim() === '{frame}'",
                           timeout=10000)


def _settled_frame(page) -> int:
    """The shown frame once it stops changing (two reads 0.4 s apart agree)."""
    last = _frame(page)
    for _ in range(25):
        page.wait_for_timeout(400)
        now = _frame(page)
        if now == last:
            return now
        last = now
    raise AssertionError("the shown frame number kept changing after the pause")


def _current_time(page) -> float:
    return page.evaluate("document.querySelector('[data-test=video]').currentTime")


@pytest.fixture(scope="module")
def case(web_world):
    """A case of the handler's brigade, created over the API as the handler would by hand."""
    handler = web_world.headers("020304")
    case_no = "AJ" + uuid.uuid4().hex[:8].upper()
    r = web_world.http.post("/api/v1/cases", headers=handler, json={
        "case_no": case_no, "case_type": "accident", "title": "人民路追尾", "handlers": ["020304"]})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_case_handler_plays_steps_marks_and_attaches_a_clip(pages, web_world, case):
    clip = _rec(web_world, "010203", "_0001.mp4")
    page = pages.open("020304", path=f"/recordings/{clip['id']}")
    _ready(page)
    assert page.get_by_test_id("sha256").inner_text() == clip["sha256"]

    page.get_by_test_id("play").click()
    page.wait_for_function("document.querySelector('[data-test=video]').currentTime > 0.5")
    page.get_by_test_id("play").click()  # pause
    page.wait_for_function("document.querySelector('[data-test=video]').paused")

    shown = _settled_frame(page)  # a frame painted just before the pause may still be reported
    page.get_by_test_id("frame-next").click()
    _wait_frame(page, shown + 1)
    page.get_by_test_id("frame-prev").click()
    _wait_frame(page, shown)

    # In-mark with I at 1 s, out-mark with O three seconds later (keys, as a reviewer works).
    page.get_by_test_id("recording-title").click()  # keys go to the page, not to a field
    page.evaluate("document.querySelector('[data-test=video]').currentTime = 1.0")
    _wait_frame(page, FPS)
    page.keyboard.press("ArrowRight")
    _wait_frame(page, FPS + 1)
    page.keyboard.press("i")
    in_frame = _frame(page)
    page.evaluate("document.querySelector('[data-test=video]').currentTime = 4.2")
    _wait_frame(page, math.floor(4.2 * FPS))
    page.keyboard.press("o")
    out_frame = _frame(page)
    assert page.get_by_test_id("mark-in-flag").is_visible() and page.get_by_test_id("mark-out-flag").is_visible()
    assert "00:01.1" in page.get_by_test_id("mark-in-value").inner_text()
    pages.shot(page, "player-marks-desktop-zh")

    page.get_by_test_id("attach").click()
    choose_option(page, "attach-case", case["case_no"])
    page.get_by_test_id("attach-note").fill("追尾车辆驶离")
    page.get_by_test_id("attach-confirm").click()
    page.get_by_test_id("clip-link").wait_for()

    body = web_world.http.get(f"/api/v1/cases/{case['id']}", headers=web_world.headers("020304")).json()
    (att,) = [a for a in body["recordings"] if a["recording_id"] == clip["id"]]
    assert (att["mark_in_frame"], att["mark_out_frame"]) == (in_frame, out_frame)
    assert abs(att["mark_in"] * FPS - in_frame) <= 1 and abs(att["mark_out"] * FPS - out_frame) <= 1
    assert 1.0 < att["mark_in"] < 1.2 and 4.1 < att["mark_out"] < 4.3
    assert att["note"] == "追尾车辆驶离" and att["attached_by"] == "020304"
    # The page reads the recording's cases again after the attach: wait for that answer, not the link.
    expect(page.get_by_test_id("cases")).to_contain_text(case["case_no"])

    # The clip link opens the player at the in-mark, with the marks on the timeline.
    href = page.get_by_test_id("clip-link").locator("a").get_attribute("href")
    assert href == f"/recordings/{clip['id']}?clip={att['attachment_id']}"
    again = pages.open("020304", path=href)
    _ready(again)
    again.wait_for_function(f"Math.abs(document.querySelector('[data-test=video]').currentTime - {att['mark_in']}) < 0.01")
    _wait_frame(again, in_frame)
    assert again.get_by_test_id("mark-out-flag").is_visible()
    assert pages.problems == []


def test_jump_to_a_clock_time_in_the_units_zone(pages, web_world):
    clip = _rec(web_world, "010203", "_0001.mp4")  # its file name says 2026-11-20 10:00:00 on the camera
    page = pages.open("020304", path=f"/recordings/{clip['id']}?t=0")
    _ready(page)
    page.get_by_test_id("clock").fill("2026-11-20 10:00:03")
    page.get_by_test_id("clock-go").click()
    page.wait_for_function("Math.abs(document.querySelector('[data-test=video]').currentTime - 3) < 0.05")
    page.get_by_test_id("clock").fill("2026-11-20 11:00:00")
    page.get_by_test_id("clock-go").click()
    assert page.get_by_test_id("clock-error").is_visible()
    assert pages.problems == []


def test_audio_plays_with_a_waveform_and_a_photo_opens_in_the_viewer(pages, web_world):
    wav = _rec(web_world, "010203", ".wav")
    page = pages.open("010203", path=f"/recordings/{wav['id']}")
    page.get_by_test_id("waveform").wait_for(state="visible")
    drawn = page.evaluate("""() => { const c = document.querySelector('[data-test=waveform]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n / (c.width * c.height); }""")
    assert drawn > 0.2, f"the waveform shows the tone's bars, not a flat line ({drawn:.0%} of the canvas drawn)"
    pages.shot(page, "player-audio-desktop-zh")

    jpeg = _rec(web_world, "010203", ".jpg")
    page = pages.open("010203", path=f"/recordings/{jpeg['id']}", language="en")
    page.get_by_test_id("photo").click()
    page.locator(".el-image-viewer__wrapper").wait_for(state="visible")
    page.locator(".el-image-viewer__wrapper img").first.wait_for(state="visible")
    pages.shot(page, "player-photo-desktop-en")
    assert pages.problems == []


def test_another_units_officer_gets_the_plain_not_found_page(pages, web_world):
    clip = _rec(web_world, "010203", "_0001.mp4")
    page = pages.open("090807", path=f"/recordings/{clip['id']}?t=1")
    page.get_by_test_id("not-found").wait_for()
    text = page.content()
    assert clip["sha256"] not in text and "010203" not in text and "张伟" not in text
    assert page.get_by_test_id("video").count() == 0
    pages.shot(page, "player-not-found-desktop-zh")


@pytest.mark.parametrize("viewport,language", [(DESKTOP, "zh-CN"), (DESKTOP, "en"), (PHONE, "zh-CN"), (PHONE, "en")])
def test_the_player_page_in_both_languages_on_desktop_and_phone(pages, web_world, viewport, language):
    clip = _rec(web_world, "010203", "_0002.mp4")
    page = pages.open("030405", viewport=viewport, language=language, path=f"/recordings/{clip['id']}?t=2")
    _ready(page)
    page.get_by_test_id("trail").wait_for()  # a supervisor reads who viewed it
    assert page.get_by_test_id("derived").is_visible()
    page.wait_for_timeout(300)
    name = f"player-{'desktop' if viewport is DESKTOP else 'phone'}-{language}"
    pages.shot(page, name)
    assert pages.problems == []


def test_an_auditor_reads_the_record_and_its_trail_but_is_told_plainly_it_may_not_watch(pages, web_world):
    clip = _rec(web_world, "010203", "_0001.mp4")
    r = web_world.http.post(f"/api/v1/recordings/{clip['id']}/playback", headers=web_world.headers("020304"))
    assert r.status_code == 200, r.text  # the case handler watched it
    page = pages.open("040506", path=f"/recordings/{clip['id']}")
    page.get_by_test_id("unplayable").wait_for()
    assert "您的角色不能观看视音频" in page.get_by_test_id("unplayable").inner_text()
    assert page.get_by_test_id("video").count() == 0 and page.get_by_test_id("download").count() == 0
    assert page.get_by_test_id("sha256").inner_text() == clip["sha256"]
    assert "020304" in page.get_by_test_id("trail").inner_text(), "the trail shows who watched it"
    pages.shot(page, "player-auditor-desktop-zh")
    assert pages.problems == []
