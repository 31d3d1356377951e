"""The dock PC's screen: the state the agent's events build (files, bytes, may be undocked,
what holds uploads back, undocked cameras leaving), and the page an officer reads in Chromium
while `evidence-dock ingest --screen` runs with no server in reach."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from docking_station.agent import Agent
from docking_station.config import AgentSettings
from docking_station.dock_state import DockState
from storage.seaweedfs import free_port
from tests import media
from tests.dock import dock_process, write_dock_env

SERIAL, OFFICER = "SCRN042", "071234"
TOUCHSCREEN = {"width": 800, "height": 480}
DESKTOP = {"width": 1920, "height": 1080}


def camera(root: Path, seed: int) -> list[Path]:
    """Two short clips named the way the camera names them (serial and 警号 from the names only)."""
    d = root / "DCIM" / "100MEDIA"
    d.mkdir(parents=True)
    return media.generate([
        (media.h264_mp4, d / f"{SERIAL}_{OFFICER}_20261203081500_0001.mp4", {"seed": seed}),
        (media.h264_mp4, d / f"{SERIAL}_{OFFICER}_20261203082000_0002_IMP.mp4", {"seed": seed + 1, "seconds": 3}),
    ])


def settings(tmp_path: Path, **extra) -> AgentSettings:
    # A port nobody listens on: the server is out of reach.
    return AgentSettings(_env_file=None, server_url=f"http://127.0.0.1:{free_port()}", station_key="dock_test",
                         spool_dir=tmp_path / "spool", min_free_gb=0, **extra)


def only_tile(state: DockState) -> dict:
    cameras = state.snapshot()["cameras"]
    assert len(cameras) == 1, cameras
    return cameras[0]


def test_stage_one_fills_the_state_that_the_screen_shows(tmp_path):
    clips = camera(tmp_path / "cam", seed=11)
    total = sum(p.stat().st_size for p in clips)
    clock = [1000.0]
    state = DockState(forget_after=600, clock=lambda: clock[0])
    agent = Agent(settings(tmp_path), stage1_events=state, upload_events=state.upload_events())
    try:
        agent.stage1(tmp_path / "cam")
        tile = only_tile(state)
        assert (tile["serial"], tile["officers"]) == (SERIAL, [OFFICER])
        assert (tile["files_done"], tile["files_total"]) == (2, 2)
        assert (tile["bytes_done"], tile["bytes_total"]) == (total, total)
        assert tile["may_undock"] and not tile["undocked"] and tile["problem"] is None

        # The service looks at a docked camera again now and then: nothing new, the figures stay.
        agent.stage1(tmp_path / "cam")
        tile = only_tile(state)
        assert (tile["files_done"], tile["bytes_done"], tile["may_undock"]) == (2, total, True)

        # Uploads find no server: the state says so, in a kind the page words.
        stop = threading.Event()
        events = state.upload_events()

        def problem(kind, detail):
            state.problem(kind, detail)
            if kind:
                stop.set()
        events.problem = problem
        agent.uploader.events = events
        agent.uploader.drain(stop, until_verified=False)
        snap = state.snapshot()
        assert snap["upload_problem"]["kind"] == "server_unreachable"
        assert (snap["cameras"][0]["uploaded"], snap["cameras"][0]["verified"]) == (0, 0)

        # Undocked: shown as such, then gone after the configured while.
        for p in sorted((tmp_path / "cam").rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        (tmp_path / "cam").rmdir()
        assert only_tile(state)["undocked"]
        clock[0] += 599
        assert only_tile(state)["undocked"]
        clock[0] += 2
        assert state.snapshot()["cameras"] == []
    finally:
        agent.close()


def test_a_full_spool_keeps_the_camera_docked_and_says_why(tmp_path):
    camera(tmp_path / "cam", seed=21)
    state = DockState()
    agent = Agent(settings(tmp_path, spool_budget_gb=0.0001), stage1_events=state)  # 100 KB: not one clip fits
    try:
        agent.stage1(tmp_path / "cam")
    finally:
        agent.close()
    tile = only_tile(state)
    assert not tile["may_undock"] and tile["files_done"] == 0
    assert tile["problem"] == "spool_full"
    assert "stays on the camera" in tile["problem_detail"]


# -- the page in Chromium ---------------------------------------------------------------------------

def wait_for_page(url: str, agent, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert agent.poll() is None, "the agent ended before its screen came up"
        try:
            if httpx.get(url + "state.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no dock screen at {url}")


def refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.embedded
def test_the_dock_screen_tells_the_officer_to_undock_in_both_languages(browser, tmp_path):
    from playwright.sync_api import expect

    cam = tmp_path / "cam"
    camera(cam, seed=31)
    port = free_port()
    env = write_dock_env(tmp_path / "dock.env", f"http://127.0.0.1:{free_port()}", "dock_test", tmp_path / "spool",
                         screen_port=port, min_free_gb=0)
    agent = dock_process("ingest", str(cam), "--screen", env_file=env, log=tmp_path / "agent.log")
    url = f"http://127.0.0.1:{port}/"
    shots = Path(os.environ.get("EVIDENCE_TEST_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    try:
        wait_for_page(url, agent)
        for viewport, size in ((DESKTOP, "desktop"), (TOUCHSCREEN, "800x480")):
            context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
            page = context.new_page()
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(url)
            tile = page.locator(f"[data-test=camera][data-serial={SERIAL}]")
            expect(tile.get_by_test_id("status")).to_have_text("可以拔出", timeout=30_000)
            expect(tile.get_by_test_id("serial")).to_have_text(SERIAL)
            expect(tile.get_by_test_id("officer")).to_have_text(f"警号 {OFFICER}")
            expect(tile.get_by_test_id("files")).to_have_text("2 / 2")
            expect(tile.get_by_test_id("problem")).to_contain_text("连不上服务器", timeout=30_000)
            expect(tile.get_by_test_id("problem")).to_contain_text("文件已安全保存在本机")
            page.screenshot(path=str(shots / f"dock-screen-zh-{size}.png"))

            page.get_by_test_id("lang").click()
            expect(tile.get_by_test_id("status")).to_have_text("May be undocked")
            expect(tile.get_by_test_id("officer")).to_have_text(f"Officer {OFFICER}")
            expect(tile.get_by_test_id("problem")).to_contain_text("Server unreachable")
            expect(tile.get_by_test_id("problem")).to_contain_text("uploads will continue")
            page.screenshot(path=str(shots / f"dock-screen-en-{size}.png"))
            page.get_by_test_id("lang").click()  # back to Chinese
            expect(tile.get_by_test_id("status")).to_have_text("可以拔出")
            if size == "desktop":
                context.close()
        assert problems == [], problems

        # The agent stops: its page goes with it, and the screen that stays open says so.
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
        assert refused(port), "the dock screen outlived the agent"
        expect(page.get_by_test_id("agent-down")).to_contain_text("采集程序没有运行", timeout=15_000)
        context.close()
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
