"""Administration page, in Chromium, as admin: a unit AD.. under ZD01, a user 65.... whose role is
changed and who is then disabled (he can no longer sign in); a docking station registered (its
key shown once), reporting through the real dock agent's heartbeat, beside one that never
reported (失联); a deliberately broken upload listed in the processing queue with its reason."""

from __future__ import annotations

import uuid

import pytest

from docking_station import __version__ as AGENT_VERSION
from tests import media
from tests.dock import dock, write_dock_env
from tests.helpers import poll
from tests.web.conftest import PHONE

pytestmark = pytest.mark.embedded

TAG = uuid.uuid4().hex[:4].upper()
UNIT = f"AD{TAG}"
POLICE_ID = f"65{int(TAG, 16) % 10000:04d}"
QUEUE_POLICE_ID = f"69{int(TAG, 16) % 10000:04d}"  # nobody's: the broken file stays outside ZD01
PASSWORD = "Admin-Page-Test-4k"


def _pick(page, test_id: str, text: str) -> None:
    """Choose an option of an Element Plus select by its visible text."""
    page.get_by_test_id(test_id).click()
    page.locator(".el-select-dropdown__item:visible", has_text=text).first.click()


@pytest.fixture(scope="module")
def broken_upload(web_world, tmp_path_factory):
    """A station of this file's own (in a unit outside ZD01) docks a truncated MP4 of officer 65.... at once, so the workers
    probe it while the other tests run. Returns the station's dock.env."""
    http, admin = web_world.http, web_world.headers("admin")
    # A unit of its own outside ZD01: the other browser tests count what ZD01's people see.
    r = http.post("/api/v1/units", headers=admin, json={"code": f"QU{TAG}", "name": "处理队列测试", "level": "detachment"})
    assert r.status_code == 201, r.text
    r = http.post("/api/v1/stations", headers=admin, json={"name": f"{UNIT} queue dock", "unit_code": f"QU{TAG}"})
    assert r.status_code == 201, r.text
    tmp = tmp_path_factory.mktemp("admin-dock")
    camera = tmp / "camera" / "DCIM"
    camera.mkdir(parents=True)
    source = media.h264_mp4(tmp / "whole.mp4", seed=650, seconds=3)
    name = f"CAM{TAG}_{QUEUE_POLICE_ID}_20261123100000_0001.mp4"
    media.truncated_mp4(camera / name, source)
    env = write_dock_env(tmp / "dock.env", web_world.base_url, r.json()["api_key"], tmp / "spool")
    result = dock("ingest", str(camera.parent), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"env": env, "filename": name}


def test_units_and_users(pages, web_world, broken_upload):
    http, admin = web_world.http, web_world.headers("admin")
    page = pages.open("admin", path="/admin")
    page.get_by_test_id("add-under-ZD01").click()
    page.get_by_test_id("unit-code").fill(UNIT)
    page.get_by_test_id("unit-name").fill("管理测试中队")
    _pick(page, "unit-level", "中队")
    page.get_by_test_id("unit-create").click()
    page.get_by_test_id(f"unit-{UNIT}").wait_for()
    pages.shot(page, "admin-units-zh-desktop")
    units = {u["code"]: u for u in http.get("/api/v1/units", headers=admin).json()}
    assert units[UNIT]["parent_id"] == units["ZD01"]["id"] and units[UNIT]["level"] == "squadron"

    page.get_by_test_id("tab-users").click()
    page.get_by_test_id("user-new").click()
    page.get_by_test_id("form-police-id").fill(POLICE_ID)
    page.get_by_test_id("form-name").fill("刘测试")
    _pick(page, "form-unit", f"{UNIT} ")
    page.get_by_test_id("form-password").fill(PASSWORD)
    page.get_by_test_id("form-save").click()
    actions = page.get_by_test_id(f"user-actions-{POLICE_ID}")
    actions.wait_for()
    row = page.locator(".el-table__row", has=actions)
    assert "执勤民警" in row.inner_text() and UNIT in row.inner_text()
    assert http.post("/api/v1/auth/login", json={"police_id": POLICE_ID, "password": PASSWORD}).status_code == 200

    actions.get_by_test_id("user-change").click()
    page.get_by_test_id("role-supervisor").click()
    page.get_by_test_id("form-save").click()
    page.locator(".el-table__row", has=actions, has_text="督察").wait_for()
    user = next(u for u in http.get("/api/v1/users", headers=admin).json() if u["police_id"] == POLICE_ID)
    assert user["role"] == "supervisor" and user["unit_id"] == units[UNIT]["id"]

    actions.get_by_test_id("user-disable").click()
    page.locator(".el-table__row", has=actions, has_text="已停用").wait_for()
    assert http.post("/api/v1/auth/login", json={"police_id": POLICE_ID, "password": PASSWORD}).status_code == 401
    pages.shot(page, "admin-users-zh-desktop")

    # The admin's own row: no demotion, no disabling — in the page and in the API.
    me = page.get_by_test_id("user-actions-admin")
    assert me.get_by_test_id("user-change").is_disabled() and me.get_by_test_id("user-disable").is_disabled()
    admin_id = next(u["id"] for u in http.get("/api/v1/users", headers=admin).json() if u["police_id"] == "admin")
    r = http.patch(f"/api/v1/users/{admin_id}", headers=admin, json={"role": "officer", "unit_code": "ZD01"})
    assert r.status_code == 422 and "own role" in r.json()["detail"]
    assert pages.problems == []


def test_station_key_is_shown_once_and_its_heartbeat_is_seen(pages, web_world, tmp_path, broken_upload):
    http, admin = web_world.http, web_world.headers("admin")
    r = http.post("/api/v1/stations", headers=admin, json={"name": f"{UNIT} 从未上报", "unit_code": "ZD01"})
    assert r.status_code == 201, r.text
    silent_id = r.json()["id"]

    page = pages.open("admin", language="en", path="/admin?tab=stations")
    page.get_by_test_id("station-name").fill(f"{UNIT} dock 1")
    page.get_by_test_id("station-register").click()
    dialog = page.get_by_test_id("station-key-dialog")
    key = dialog.get_by_test_id("station-key").inner_text().strip()
    assert key.startswith("dock_") and "only once" in dialog.inner_text()
    pages.shot(page, "admin-station-key-en-desktop")
    dialog.get_by_test_id("key-done").click()
    dialog.wait_for(state="hidden")
    assert key not in page.locator("main").inner_text()
    stations = http.get("/api/v1/stations", headers=admin).json()
    mine = next(s for s in stations if s["name"] == f"{UNIT} dock 1")
    assert "api_key" not in mine and mine["health"] == "never_seen"

    env = write_dock_env(tmp_path / "dock.env", web_world.base_url, key, tmp_path / "spool")
    result = dock("heartbeat", env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr

    page = pages.open("admin", viewport=PHONE, path="/admin?tab=stations")
    reported = page.get_by_test_id(f"station-card-{mine['id']}")
    reported.wait_for()
    assert reported.get_by_test_id("station-health").inner_text() == "在线"
    assert reported.get_by_test_id("station-version").inner_text() == AGENT_VERSION
    assert reported.get_by_test_id("station-heartbeat").inner_text().startswith("20")
    assert reported.get_by_test_id("station-queue").inner_text() == "0"
    never = page.get_by_test_id(f"station-card-{silent_id}")
    assert "失联" in never.get_by_test_id("station-health").inner_text()
    assert never.get_by_test_id("station-heartbeat").inner_text() == "无"
    pages.shot(page, "admin-stations-zh-phone")
    assert pages.problems == []


def test_a_broken_upload_is_in_the_processing_queue_with_its_reason(pages, web_world, broken_upload):
    http, admin = web_world.http, web_world.headers("admin")

    def listed():
        items = http.get("/api/v1/processing-queue", headers=admin, params={"page_size": 200}).json()["items"]
        return next((i for i in items if i["original_filename"] == broken_upload["filename"]), None)

    item = poll("the broken upload to be flagged", listed, timeout=240)
    reason = item["processing_reason"] or item["processing_error"]
    assert reason
    page = pages.open("admin", viewport=PHONE, language="en", path="/admin?tab=queue")
    row = page.get_by_test_id("queue-item").filter(has_text=broken_upload["filename"])
    row.wait_for()
    state = {"failed": "Failed", "unplayable": "Unplayable"}[item["processing_state"]]
    assert row.get_by_test_id("queue-state").inner_text() == state
    assert row.get_by_test_id("queue-reason").inner_text() == reason
    assert int(page.get_by_test_id(f"queue-count-{item['processing_state']}").locator("b").inner_text()) >= 1
    pages.shot(page, "admin-queue-en-phone")
    assert pages.problems == []


def test_cameras_and_assignments_and_a_dry_run_sweep(pages, web_world, broken_upload):
    http, admin = web_world.http, web_world.headers("admin")
    serial = f"CAMREG{TAG}"
    page = pages.open("admin", language="en", path="/admin?tab=cameras")
    page.get_by_test_id("camera-serial").fill(serial)
    page.get_by_test_id("camera-model").fill("DSJ-TEST")
    page.get_by_test_id("camera-register").click()
    page.get_by_test_id("camera-table").get_by_text(serial).wait_for()
    csv = ("device_id,police_id,assigned_from,assigned_to\n"
           f"{serial},{POLICE_ID},2026-11-01T00:00:00,\n"
           f"{serial},NO-SUCH-{TAG},2026-11-01T00:00:00,\n")
    page.get_by_test_id("assignment-file").set_input_files({"name": "assign.csv", "mimeType": "text/csv",
                                                            "buffer": csv.encode()})
    page.get_by_test_id("assignment-import").click()
    report = page.get_by_test_id("assignment-report")
    report.wait_for()
    assert "1 created" in report.inner_text() and "1 rejected" in report.inner_text()
    assert page.get_by_test_id("assignment-error").inner_text().startswith("Line 3")
    pages.shot(page, "admin-cameras-en-desktop")
    assert serial in [d["serial"] for d in http.get("/api/v1/devices", headers=admin).json()]

    before = len(http.get("/api/v1/retention/runs", headers=admin).json())
    page.get_by_test_id("tab-retention").click()
    page.get_by_test_id("sweep-dry-run").click()
    page.get_by_test_id("run-kind").nth(before).wait_for()
    assert page.get_by_test_id("run-kind").first.inner_text() == "Dry run"
    runs = http.get("/api/v1/retention/runs", headers=admin).json()
    assert len(runs) == before + 1 and runs[0]["dry_run"] is True
    pages.shot(page, "admin-retention-en-desktop")
    assert pages.problems == []
