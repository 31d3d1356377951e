"""Sign-in, the menu by role, an expired session, sign-out and the not-found page, in Chromium."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE

pytestmark = pytest.mark.embedded


def test_wrong_password_is_refused_in_plain_words(pages):
    page = pages.open()
    page.goto("/login")
    page.get_by_test_id("police-id").fill("010203")
    page.get_by_test_id("password").fill("not-the-password")
    page.get_by_test_id("sign-in").click()
    assert "警号或密码错误" in page.get_by_test_id("login-error").inner_text()
    assert page.url.endswith("/login")


def test_an_officer_lands_on_his_work_and_sees_only_what_his_role_may_do(pages):
    page = pages.open("010203")
    assert page.url.endswith("/my")
    assert "张伟 · 010203 · 执勤民警" in page.get_by_test_id("who").inner_text()
    expect(page.get_by_test_id("menu-library")).to_be_visible(timeout=20_000)
    assert page.get_by_test_id("menu-cases").count() == 0, "an officer has no case pages"
    page.goto("/cases")
    expect(page.get_by_test_id("not-found")).to_be_visible(timeout=20_000)
    pages.shot(page, "officer-home")


def test_a_case_handler_sees_the_case_menu(pages):
    page = pages.open("020304")
    expect(page.get_by_test_id("menu-cases")).to_be_visible(timeout=20_000)


def test_an_expired_session_returns_to_sign_in_and_then_to_the_same_page(pages, web_world):
    page = pages.open("020304")
    page.goto("/library?important=true")
    page.evaluate("localStorage.setItem('token', 'expired.token.value')")  # as a token past its lifetime
    page.reload()
    page.wait_for_url("**/login**")
    expect(page.get_by_test_id("expired")).to_be_visible(timeout=20_000)
    page.get_by_test_id("police-id").fill("020304")
    page.get_by_test_id("password").fill("Web-Shift-7q" + "020304"[::-1])
    page.get_by_test_id("sign-in").click()
    page.wait_for_url("**/library?important=true")


def test_sign_out_drops_the_session(pages):
    page = pages.open("030405")
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/login**")
    assert page.evaluate("localStorage.getItem('token')") is None
    page.goto("/library")
    page.wait_for_url("**/login**")


def test_an_unknown_page_is_plainly_not_found(pages):
    page = pages.open("010203", path="/no/such/page")
    # The page is drawn once the signed-in shell has loaded: wait for it (is_visible() does not).
    expect(page.get_by_test_id("not-found")).to_be_visible(timeout=20_000)
    assert "未找到" in page.get_by_test_id("not-found").inner_text()


def test_on_a_phone_the_menu_folds_into_a_drawer(pages):
    page = pages.open("020304", viewport=PHONE)
    assert not page.get_by_test_id("menu-cases").is_visible()
    page.get_by_test_id("menu-toggle").click()
    page.get_by_role("menuitem", name="案件").click()
    page.wait_for_url("**/cases")
    pages.shot(page, "phone-cases")


def test_the_api_docs_and_health_are_not_swallowed_by_the_web_application(web_world):
    http = httpx.Client(base_url=web_world.base_url, timeout=30)
    assert http.get("/health").json()["status"] == "ok"
    assert http.get("/api/v1/no-such-route").status_code == 404
    assert http.get("/api/v1/no-such-route").headers["content-type"].startswith("application/json")
    assert "openapi" in http.get("/openapi.json").json()
    deep = http.get("/cases/12345")
    assert deep.status_code == 200 and '<div id="app">' in deep.text, "a deep link loads the application"
    assert http.get("/assets/missing-file.js").status_code == 404
    assert http.get("/api/v1/site").json()["timezone"] == "Asia/Shanghai"
