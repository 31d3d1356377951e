"""The case handler's whole journey in one go, in Chinese, through the pages only: a case from a
ledger case number, one suggested clip opened in the player, played, stepped frame by frame, marked
with I and O and attached with a note, the other suggestion accepted, the stage moved on, the court
export downloaded, and the package passes the offline verifier with the marks' frames inside."""

from __future__ import annotations

import json
import math
import zipfile

import pytest

from tests.helpers import verify_offline
from tests.web.conftest import choose_option
from tests.web.test_cases import _ledger_case
from tests.web.test_player import FPS, _frame, _ready, _wait_frame

pytestmark = pytest.mark.embedded


def test_a_case_handler_goes_from_ledger_number_to_verified_court_package(pages, web_world, tmp_path):
    case_no = _ledger_case(web_world)
    long_clip, short_clip = (next(r for r in web_world.recordings["010203"] if r["original_filename"].endswith(end))
                             for end in ("_0001.mp4", "_0002.mp4"))
    page = pages.open("020304", path="/cases")
    page.get_by_test_id("from-ledger").click()
    page.get_by_test_id("ledger-case-no").fill(case_no)
    page.get_by_test_id("create-submit").click()
    page.wait_for_url("**/cases/*")
    workspace = page.url
    page.get_by_test_id("suggestion").nth(1).wait_for()

    # The suggested 6-second clip, opened from the suggestion list, in the player.
    page.get_by_test_id("suggestion").filter(has_text=long_clip["original_filename"]).locator("a.file").click()
    page.wait_for_url(f"**/recordings/{long_clip['id']}")
    _ready(page)
    page.get_by_test_id("play").click()
    page.wait_for_function("document.querySelector('[data-test=video]').currentTime > 0.5")
    page.get_by_test_id("play").click()
    page.wait_for_function("document.querySelector('[data-test=video]').paused")
    shown = _frame(page)
    page.get_by_test_id("frame-next").click()
    _wait_frame(page, shown + 1)
    page.get_by_test_id("frame-prev").click()
    _wait_frame(page, shown)

    page.get_by_test_id("recording-title").click()
    page.evaluate("document.querySelector('[data-test=video]').currentTime = 2.0")
    _wait_frame(page, 2 * FPS)
    page.keyboard.press("i")
    page.evaluate("document.querySelector('[data-test=video]').currentTime = 5.0")
    _wait_frame(page, math.floor(5.0 * FPS))
    page.keyboard.press("o")
    page.get_by_test_id("attach").click()
    choose_option(page, "attach-case", case_no)
    page.get_by_test_id("attach-note").fill("当事人下车争执")
    page.get_by_test_id("attach-confirm").click()
    page.get_by_test_id("clip-link").wait_for()

    # Back in the workspace: the marked clip is attached, the other suggestion is accepted.
    page.goto(workspace)
    page.get_by_test_id("clip").first.wait_for()
    marked = page.get_by_test_id("clip").filter(has_text=long_clip["original_filename"])
    assert "当事人下车争执" in marked.inner_text() and "李娜 · 020304" in marked.inner_text()
    remaining = page.get_by_test_id("suggestion")
    assert remaining.count() == 1 and short_clip["original_filename"] in remaining.inner_text()
    page.get_by_test_id("accept-all").click()
    page.get_by_test_id("clip").nth(1).wait_for()

    page.get_by_test_id("stage-to-investigation").click()
    page.get_by_test_id("stage-note").fill("视频已调取")
    page.get_by_test_id("stage-confirm").click()
    page.get_by_test_id("stage-now").filter(has_text="调查").wait_for()

    with page.expect_download(timeout=180_000) as info:
        page.get_by_test_id("export").click()
    package = tmp_path / info.value.suggested_filename
    info.value.save_as(package)
    fingerprint = page.get_by_test_id("fingerprint").get_attribute("data-value")
    assert fingerprint == web_world.http.get("/api/v1/signing-key").json()["current"]
    verified = verify_offline(package, tmp_path, "--fingerprint", fingerprint)
    assert verified.returncode == 0 and verified.stdout.startswith("TRUSTED"), verified.stdout + verified.stderr

    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    text = json.dumps(manifest, ensure_ascii=False)
    assert "当事人下车争执" in text, "the clip's note travels with the package"
    assert f'"mark_in_frame": {2 * FPS}' in text and f'"mark_out_frame": {5 * FPS}' in text, text[:3000]
    pages.shot(page, "journey-exported")
    assert pages.problems == []
