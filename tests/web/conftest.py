"""Browser tests (marked embedded: they run in the single-box lane): Playwright from pytest driving Debian's Chromium (/usr/bin/chromium; Playwright's
own browser download does not work on these machines) against one single box per session."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.world import WebWorld, build_web_world, password_of

DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist" / "index.html"


@pytest.fixture(scope="session")
def web_world(tmp_path_factory) -> WebWorld:
    if not WEB_DIST.is_file():
        pytest.fail("web/dist is not built: run the tests through scripts/test (it builds web/)")
    world = build_web_world(tmp_path_factory.mktemp("web-box"))
    yield world
    world.http.close()
    code = world.box.stop()
    assert code == 0, world.box.output()[-3000:]


class Pages:
    """Opens signed-in browser pages and collects what the browser complained about."""

    def __init__(self, browser, world: WebWorld, artifacts: Path):
        self.browser, self.world, self.artifacts = browser, world, artifacts
        self.contexts = []
        self.problems: list[str] = []

    def open(self, police_id: str | None = None, viewport: dict = DESKTOP, language: str = "zh-CN", path: str = "/"):
        context = self.browser.new_context(viewport=viewport, base_url=self.world.base_url, accept_downloads=True,
                                           locale=language, timezone_id="UTC")
        context.add_init_script(f"localStorage.setItem('language', '{language}')")
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m, p=page: self._console(m, p.url))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        if police_id:
            sign_in(page, police_id, self.world.admin_password if police_id == "admin" else password_of(police_id))
        if path != "/":
            page.goto(path)
        return page

    def _console(self, message, url: str = "") -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console error: {message.text}")
        if message.type == "warning" and re.search(r"Not found '.*' key", message.text):
            self.problems.append(f"untranslated on {url}: {message.text}")

    def shot(self, page, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        for c in self.contexts:
            c.close()


@pytest.fixture
def pages(browser, web_world, tmp_path):
    artifacts = Path(os.environ.get("EVIDENCE_TEST_SCREENSHOTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    p = Pages(browser, web_world, artifacts)
    yield p
    p.close()


def sign_in(page, police_id: str, password: str) -> None:
    page.goto("/login")
    page.get_by_test_id("police-id").fill(police_id)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def choose_option(page, select_test_id: str, text: str) -> None:
    """Pick the option holding `text` in an Element Plus select and wait until the select shows it.

    Once in CI (two lanes on two cores) a click on a case in the attach dialog left the select
    empty, so the confirm button stayed disabled for 30 s; it never happened alone. A person sees
    the empty select and picks again, and so does this (once): what the test then checks is that
    the choice took, not a fixed sleep."""
    select = page.get_by_test_id(select_test_id)
    for attempt in range(2):
        select.click()
        page.get_by_role("option").filter(has_text=text).click()
        try:
            expect(select).to_contain_text(text, timeout=5000)
            return
        except AssertionError:
            if attempt:
                raise
