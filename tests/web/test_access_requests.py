"""Access requests in Chromium: an officer of AU02 meets a recording of AU01 he may not open, asks
for access from the not-found page with a reason (phone, English); the AU01 supervisor approves it
until a time a few seconds away (desktop, Chinese); the officer then opens the recording and sees
the time left, and once the grant has ended the recording is refused again with the plain message."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE
from tests.web.own_units import add_units_and_users, dock_one_clip

pytestmark = pytest.mark.embedded

OWNER, SUPERVISOR, REQUESTER = "660101", "660102", "660201"
GRANT_SECONDS = 20  # long enough to open the recording on a busy machine, short enough to wait out


@pytest.fixture(scope="module")
def clip(web_world, tmp_path_factory):
    admin = web_world.headers("admin")
    add_units_and_users(web_world, admin, ["AU01", "AU02"], {
        OWNER: ("孙亮", "officer", "AU01"), SUPERVISOR: ("周平", "supervisor", "AU01"),
        REQUESTER: ("吴迪", "officer", "AU02")})
    return dock_one_clip(web_world, admin, tmp_path_factory.mktemp("au-access"), "AU01", OWNER, "AUCAM1", seed=6601)


def _mine(web_world, headers: dict) -> list[dict]:
    r = web_world.http.get("/api/v1/access-requests", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["mine"]


def test_a_grant_opens_the_recording_until_it_ends_and_not_after(pages, web_world, clip):
    rec_id, http = clip["id"], web_world.http
    requester = web_world.headers(REQUESTER)
    assert http.get(f"/api/v1/recordings/{rec_id}", headers=requester).status_code == 404

    # The officer of AU02 meets the recording: not found, with a way to ask.
    phone = pages.open(REQUESTER, viewport=PHONE, language="en", path=f"/recordings/{rec_id}")
    phone.get_by_test_id("not-found").wait_for()
    assert "outside what you may see" in phone.get_by_test_id("not-found").inner_text()
    phone.get_by_test_id("request-access").click()
    phone.wait_for_url(f"**/access-requests?recording={rec_id}")
    assert phone.get_by_test_id("ask-id").input_value() == str(rec_id)
    phone.get_by_test_id("ask-send").click()
    assert "at least 5 characters" in phone.get_by_test_id("ask-message").inner_text()
    phone.get_by_test_id("ask-reason").fill("事故复核需要查看现场录像")
    phone.get_by_test_id("ask-send").click()
    phone.get_by_test_id("ask-message").get_by_text("Request sent").wait_for()
    [req] = _mine(web_world, requester)
    assert req["status"] == "pending" and req["recording_id"] == rec_id
    expect(phone.get_by_test_id(f"status-{req['id']}")).to_have_text("Waiting")
    pages.shot(phone, "access-requester-phone-en")

    # The AU01 supervisor approves it until a time a few seconds away, typed in the unit's clock.
    desk = pages.open(SUPERVISOR, path="/access-requests")
    item = desk.get_by_test_id(f"decide-{req['id']}")
    assert f"{REQUESTER} 吴迪" in item.get_by_test_id("requester").inner_text()
    assert item.get_by_test_id("reason").inner_text() == "事故复核需要查看现场录像"
    item.get_by_test_id(f"approve-{req['id']}").click()
    desk.get_by_test_id("duration").click()
    desk.get_by_test_id("duration-custom").click()
    until = datetime.now(timezone.utc) + timedelta(seconds=GRANT_SECONDS)
    wall = until.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    field = desk.get_by_test_id("until-input").locator("input")
    field.fill(wall)
    field.press("Enter")
    pages.shot(desk, "access-approve-desktop-zh")
    desk.get_by_test_id("approve-confirm").click()
    desk.get_by_text("已批准").first.wait_for()
    desk.get_by_test_id(f"decide-{req['id']}").wait_for(state="detached")
    [req] = _mine(web_world, requester)
    expires = datetime.fromisoformat(req["expires_at"])
    assert req["status"] == "approved" and req["decided_by"] == SUPERVISOR
    # the end as typed, to the second (the dialog counts from the browser's clock)
    assert abs((expires - until).total_seconds()) < 3, (expires, until)

    # The requester sees the grant with its time left and opens the recording.
    phone.get_by_test_id("refresh").click()
    expect(phone.get_by_test_id(f"status-{req['id']}")).to_have_text("Approved, in force")
    assert phone.get_by_test_id(f"left-{req['id']}").inner_text().endswith("s")
    pages.shot(phone, "access-granted-phone-en")
    phone.get_by_test_id(f"open-{req['id']}").click()
    phone.get_by_test_id("recording-title").get_by_text(clip["original_filename"]).wait_for()
    assert http.get(f"/api/v1/recordings/{rec_id}", headers=requester).status_code == 200

    # After the end: refused again, in plain words, and the grant shows as expired.
    time.sleep(max(0.0, (expires - datetime.now(timezone.utc)).total_seconds()) + 1)
    assert http.get(f"/api/v1/recordings/{rec_id}", headers=requester).status_code == 404
    phone.reload()
    refused = phone.get_by_test_id("not-found")
    refused.wait_for()
    assert "outside what you may see" in refused.inner_text()
    assert refused.get_by_test_id("request-access").is_visible()
    refused.get_by_test_id("request-access").click()
    expect(phone.get_by_test_id(f"status-{req['id']}")).to_have_text("Expired")
    assert phone.get_by_test_id(f"open-{req['id']}").count() == 0
    # In Chinese: the expired grant, the form ready to ask again, and the same plain refusal.
    phone.get_by_test_id("language").click()
    phone.get_by_role("option", name="中文").click()
    expect(phone.get_by_test_id(f"status-{req['id']}")).to_have_text("已过期")
    assert phone.get_by_test_id("ask-id").input_value() == str(rec_id)
    pages.shot(phone, "access-expired-phone-zh")
    phone.go_back()
    expect(phone.get_by_test_id("not-found")).to_contain_text("不在您的权限范围内")
    assert pages.problems == []


def test_a_case_grant_opens_the_case_page_for_an_officer(pages, web_world, clip):
    """An officer is no case reader by role: with an approved request for a case he opens its page
    from his grants; without one the same address is the plain not-found page."""
    http, supervisor = web_world.http, web_world.headers(SUPERVISOR)
    case_no = "AUCASE" + str(clip["id"])
    r = http.post("/api/v1/cases", headers=supervisor, json={
        "case_no": case_no, "case_type": "accident", "title": "中山路刮擦", "unit_code": "AU01"})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]

    page = pages.open(REQUESTER, path=f"/cases/{case_id}")
    expect(page.get_by_test_id("not-found")).to_contain_text("不在您的权限范围内")

    requester = web_world.headers(REQUESTER)
    r = http.post("/api/v1/access-requests", headers=requester,
                  json={"case_id": case_id, "reason": "协查肇事车辆去向"})
    assert r.status_code == 201, r.text
    r = http.post(f"/api/v1/access-requests/{r.json()['id']}/decision", headers=supervisor,
                  json={"approve": True, "expires_in_seconds": 3600})
    assert r.status_code == 200, r.text

    page.goto("/access-requests")
    page.get_by_test_id(f"open-{r.json()['id']}").click()
    expect(page.get_by_test_id("case-no")).to_have_text(case_no)
    expect(page.get_by_test_id("back-to-grants")).to_have_text("‹ 返回访问申请")
    pages.shot(page, "access-case-grant-desktop-zh")
    assert pages.problems == []
