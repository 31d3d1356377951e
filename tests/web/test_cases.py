"""The case handler's day in Chromium: a case from a ledger case number, its suggestions accepted,
the stage moved on, the court export downloaded with progress and its SHA-256 shown; then the
package's viewer.html, opened offline from the unzipped folder, checks every file and names the
one whose byte was flipped."""

from __future__ import annotations

import hashlib
import secrets
import zipfile
from pathlib import Path

import pytest

from tests.helpers import verify_offline
from tests.web.conftest import DESKTOP, PHONE
from tests.helpers import poll

pytestmark = pytest.mark.embedded


def _ledger_case(web_world) -> str:
    """A ledger event of officer 010203 covering his two docked clips (10:00:00–10:00:10 by the
    camera's clock), with a fresh case number; returns the number once coverage linked the clips."""
    case_no = f"AJ-WEB-{secrets.token_hex(3).upper()}"
    event_id = f"EV-{case_no}"
    ledger = ("event_id,event_type,police_ids,started_at,ended_at,case_no\n"
              f"{event_id},accident,010203,2026-11-20T10:00:00,2026-11-20T10:00:10,{case_no}\n")
    admin = web_world.headers("admin")
    r = web_world.http.post("/api/v1/ledger/import", headers=admin,
                            files={"file": ("ledger.csv", ledger.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 1, r.text

    def covered():
        day = {"start_from": "2026-11-20T00:00:00", "start_to": "2026-11-21T00:00:00"}
        items = web_world.http.get("/api/v1/coverage/events", headers=admin, params=day).json()["items"]
        event = next((e for e in items if e["event_id"] == event_id), None)
        return event if event and event["status"] == "covered" else None

    poll("coverage of the ledger event", covered)
    return case_no


def test_a_case_handler_builds_a_case_from_the_ledger_and_exports_it(pages, web_world, tmp_path):
    case_no = _ledger_case(web_world)
    clips = [r for r in web_world.recordings["010203"] if r["original_filename"].endswith(".mp4")]
    page = pages.open("020304", path="/cases")
    page.get_by_test_id("case-table").wait_for()
    pages.shot(page, "cases-list-desktop-zh")

    page.get_by_test_id("from-ledger").click()
    page.get_by_test_id("ledger-case-no").fill(case_no)
    page.get_by_test_id("create-submit").click()
    page.wait_for_url("**/cases/*")
    assert page.get_by_test_id("case-no").inner_text() == case_no
    assert page.get_by_test_id("stage-now").inner_text() == "受案"
    suggestions = page.get_by_test_id("suggestion")
    suggestions.first.wait_for()
    assert suggestions.count() == 2
    for clip in clips:
        assert clip["original_filename"] in page.get_by_test_id("suggestions").inner_text()
    pages.shot(page, "case-suggestions-desktop-zh")

    page.get_by_test_id("accept-all").click()
    page.get_by_test_id("clip").nth(1).wait_for()
    assert page.get_by_test_id("suggestion").count() == 0
    attached = page.get_by_test_id("clips").inner_text()
    assert "李娜 · 020304" in attached, "who attached each clip is shown"
    assert all(c["original_filename"] in attached for c in clips)

    marked = page.get_by_test_id("clip").filter(has_text=clips[1]["original_filename"])
    marked.get_by_test_id("edit-clip").click()
    page.locator("[data-test=mark-in] input").fill("0.5")
    page.locator("[data-test=mark-in] input").press("Tab")
    page.locator("[data-test=mark-out] input").fill("2.5")
    page.locator("[data-test=mark-out] input").press("Tab")
    page.get_by_test_id("clip-note").fill("驾驶人下车")
    page.get_by_test_id("clip-save").click()
    marked.filter(has_text="驾驶人下车").wait_for()
    assert "00:00.50 → 00:02.50" in marked.get_by_test_id("marks").inner_text()

    page.get_by_test_id("stage-to-investigation").click()
    page.get_by_test_id("stage-note").fill("现场视频已调取")
    page.get_by_test_id("stage-confirm").click()
    page.get_by_test_id("stage-now").filter(has_text="调查").wait_for()
    history = page.get_by_test_id("stage-history").inner_text()
    assert "受案 → 调查" in history and "现场视频已调取" in history and "李娜" in history

    try:
        with page.expect_download(timeout=180_000) as info:
            page.get_by_test_id("export").click()
    except Exception:
        pages.shot(page, "DEBUG-export")
        raise AssertionError(page.get_by_test_id("export-card").inner_text() + str(pages.problems))
    download = info.value
    package = tmp_path / download.suggested_filename
    download.save_as(package)
    assert download.suggested_filename == f"case-{case_no}.zip"
    progress = page.get_by_test_id("export-progress")
    assert progress.get_attribute("data-done") == "yes"
    assert "下载完成" in page.get_by_test_id("export-bytes").inner_text()
    shown = page.get_by_test_id("export-sha256")
    shown.wait_for()
    assert shown.inner_text() == hashlib.sha256(package.read_bytes()).hexdigest()
    fingerprint = web_world.http.get("/api/v1/signing-key").json()["current"]
    assert page.get_by_test_id("fingerprint").get_attribute("data-value") == fingerprint
    assert f"--fingerprint {fingerprint}" in page.get_by_test_id("verify-command").inner_text()
    pages.shot(page, "case-exported-desktop-zh")

    verified = verify_offline(package, tmp_path, "--fingerprint", fingerprint)
    assert verified.returncode == 0 and verified.stdout.startswith("TRUSTED"), verified.stdout + verified.stderr

    # Detaching stamps the clip: it stays on the page, struck through, with who and when.
    first = page.get_by_test_id("clip").filter(has_text=clips[0]["original_filename"])
    first.get_by_test_id("detach").click()
    page.locator(".el-message-box").get_by_role("button", name="移除").click()
    detached = page.locator("[data-test=clip][data-detached=yes]")
    detached.wait_for()
    assert clips[0]["original_filename"] in detached.inner_text() and "李娜 · 020304 于" in detached.inner_text()
    assert "line-through" in detached.locator(".file").evaluate("e => getComputedStyle(e).textDecorationLine")
    assert page.get_by_test_id("clip").count() == 2
    pages.shot(page, "case-detached-desktop-zh")

    folder = tmp_path / "unzipped" / f"case-{case_no}"
    with zipfile.ZipFile(package) as zf:
        zf.extractall(folder)
        listed = [n for n in zf.namelist() if n not in ("manifest.json", "manifest.sig", "public_key.pem",
                                                        "verify.py", "README.txt")]
    _viewer_checks_the_folder(pages, folder, case_no, listed, fingerprint, clips[1]["id"])
    assert pages.problems == []


def _viewer_checks_the_folder(pages, folder: Path, case_no: str, listed: list[str], fingerprint: str,
                              marked_id: int) -> None:
    context = pages.browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="UTC")
    pages.contexts.append(context)
    context.set_offline(True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.on("pageerror", lambda e: pages.problems.append(f"viewer page error: {e}"))
    page.goto((folder / "viewer.html").as_uri())
    page.get_by_test_id("folder").set_input_files(folder)
    summary = page.get_by_test_id("summary")
    page.wait_for_selector("[data-test=summary]:not([data-state=checking])")
    assert summary.get_attribute("data-state") == "verified", summary.inner_text()
    assert page.get_by_test_id("signature").get_attribute("data-state") == "valid"
    assert page.get_by_test_id("fingerprint").inner_text() == fingerprint
    assert page.get_by_test_id("case-no").inner_text() == case_no
    rows = page.get_by_test_id("file-row")
    states = {rows.nth(i).get_attribute("data-path"): rows.nth(i).get_attribute("data-state") for i in range(rows.count())}
    assert states == {name: "verified" for name in listed}, states
    clip_card = page.locator(f"[data-test=clip][data-recording='{marked_id}']")
    assert "0.50" in clip_card.get_by_test_id("marks").inner_text() and "驾驶人下车" in clip_card.inner_text()
    page.get_by_test_id("pin").fill(fingerprint)
    assert page.get_by_test_id("pin-result").get_attribute("data-state") == "match"
    clip_card.get_by_test_id("play-clip").click()
    media = page.get_by_test_id("player-media")
    media.wait_for()
    poll("the verified clip playing in the viewer", lambda: media.evaluate("m => m.readyState >= 2 && !m.error"), 30)
    assert media.evaluate("m => m.currentTime") >= 0.5, "a clip plays from its in-mark"
    pages.shot(page, "viewer-verified-desktop-zh")
    page.get_by_test_id("language").click()
    assert "Verified" in summary.inner_text()
    pages.shot(page, "viewer-verified-desktop-en")

    victim = next(n for n in listed if n.startswith("originals/"))
    data = bytearray((folder / victim).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / victim).write_bytes(bytes(data))
    page.reload()
    page.get_by_test_id("folder").set_input_files(folder)
    page.wait_for_selector("[data-test=summary]:not([data-state=checking])")
    assert summary.get_attribute("data-state") == "failed"
    assert page.locator(f"[data-test=file-row][data-path='{victim}']").get_attribute("data-state") == "changed"
    others = [n for n in listed if n != victim]
    for name in others:
        assert page.locator(f"[data-test=file-row][data-path='{name}']").get_attribute("data-state") == "verified"
    problems = page.get_by_test_id("problem").all_inner_texts()
    assert len(problems) == 1 and victim in problems[0], problems
    recording_id = victim.split("/")[1].split("_")[0]
    card = page.locator(f"[data-test=clip][data-recording='{recording_id}']")
    assert card.get_by_test_id("play").is_disabled(), "a file whose hash failed is not played"
    pages.shot(page, "viewer-changed-desktop-zh")
    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto((folder / "viewer.html").as_uri())
    phone.get_by_test_id("folder").set_input_files(folder)
    phone.wait_for_selector("[data-test=summary]:not([data-state=checking])")
    pages.shot(phone, "viewer-changed-phone-zh")
    assert [u for u in requests if not u.startswith("file:") and not u.startswith("blob:")] == [], requests


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_case_pages_read_well_in_both_languages_on_desktop_and_phone(pages, web_world, language, viewport):
    handler = web_world.headers("020304")
    r = web_world.http.get("/api/v1/case-list", headers=handler)
    cases = r.json()["items"]
    if not cases:
        created = web_world.http.post("/api/v1/cases", headers=handler, json={
            "case_no": f"AJ-HAND-{secrets.token_hex(3).upper()}", "case_type": "violation", "title": "路面执法 未录像"})
        assert created.status_code == 201, created.text
        cases = [created.json()]
    name = f"{'desktop' if viewport == DESKTOP else 'phone'}-{language}"
    page = pages.open("020304", viewport=viewport, language=language, path="/cases")
    page.get_by_test_id("stage-accepted").wait_for()
    page.wait_for_selector("[data-test=case-link]")
    pages.shot(page, f"cases-list-{name}")
    page.get_by_test_id("new-case").click()
    page.get_by_test_id("manual-case-no").wait_for()
    page.wait_for_timeout(400)  # the dialog's fade-in, for the screenshot
    pages.shot(page, f"cases-new-{name}")
    page.keyboard.press("Escape")
    page.goto(f"/cases/{cases[0]['id']}")
    page.get_by_test_id("case-no").wait_for()
    pages.shot(page, f"case-workspace-{name}")
    assert pages.problems == []


def test_another_units_case_is_plainly_not_found(pages, web_world):
    handler = web_world.headers("020304")
    created = web_world.http.post("/api/v1/cases", headers=handler, json={
        "case_no": f"AJ-DD01-{secrets.token_hex(3).upper()}", "case_type": "other"})
    assert created.status_code == 201, created.text
    page = pages.open("090807", path=f"/cases/{created.json()['id']}")  # an officer of DD02: no case pages
    page.get_by_test_id("not-found").wait_for()
    supervisor = pages.open("030405", path=f"/cases/{created.json()['id']}")  # ZD01 above DD01: may read
    supervisor.get_by_test_id("case-no").wait_for()
    assert supervisor.get_by_test_id("hold").is_visible(), "a supervisor may place a legal hold"
    supervisor.get_by_test_id("hold").click()
    supervisor.get_by_test_id("hold-reason").fill("当事人起诉，需长期保存")
    supervisor.get_by_test_id("hold-confirm").click()
    supervisor.get_by_test_id("hold-tag").wait_for()
    missing = pages.open("020304", path="/cases/2147483000")
    missing.get_by_test_id("not-found").wait_for()
    assert pages.problems == []
