"""Review player: time from clicking a recording to its first video frame on screen,
against the same proxy opened alone in a bare <video> page, in Chromium, in the same run.

    .venv/bin/python bench/bench_player.py            # 10 rounds (the issue's figure: median of 10)
    .venv/bin/python bench/bench_player.py --rounds 3 --idle-timeout 5 # quick check

It builds web/ first when web/dist is missing (npm --prefix web run build), starts the single box
through `_stack.Stack(box=True)` (`evidence serve`, web/dist at /), makes a unit, an officer, a
case handler and a station through the HTTP API, docks a camera holding one 6 s H.264 clip with the
real agent (`evidence-dock ingest`), waits until the clip is processed and the box is quiet, signs
the case handler in once, then per round (after waiting for an idle machine, `_idle.py`),
alternating which goes first:

- click: in a tab where the application already runs (signed in, on /library), a click on a
  recording (the router navigation a link does) until the player's first frame: the page's code,
  the recording's detail and the presigned proxy URL are all inside the timing;
- bare: a new tab goes to a static page (plain local HTTP server) holding only <video preload=auto>
  with a freshly presigned proxy URL (fetched outside the timing), from its navigation start;
- typed (reported beside, not in the ratio): a new tab opens /recordings/<id>, so the whole
  application loads and signs in from its stored token first.

The end is the first requestVideoFrameCallback (the first frame sent to the compositor) in every case. Every round uses a fresh
presigned URL on both sides, so no video bytes come from the cache. Goal: ours ≤ 1.5 × bare.
"""

from __future__ import annotations

import argparse
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import log  # noqa: E402
from _idle import add_idle_option, wait_for_idle  # noqa: E402
from _stack import Stack  # noqa: E402

VERBOSE = False
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
# The bare page: a static file on a plain local HTTP server (Playwright's request interception
# would also intercept the video's range requests and break them); the proxy URL comes in the query.
BARE = b"""<!doctype html><html><body style="margin:0;background:#000">
<video id="v" preload="auto" playsinline style="width:100%"></video>
<script>
const v = document.getElementById('v');
v.requestVideoFrameCallback(() => performance.mark('player-first-frame'));
v.src = new URLSearchParams(location.search).get('src');
</script></body></html>"""
FIRST_FRAME = "() => performance.getEntriesByName('player-first-frame')[0]?.startTime"
HANDLER, OFFICER, PASSWORD = "020304", "010203", "Bench-Player-7q"
CLIP = f"CAMB01_{OFFICER}_20261120100000_0001.mp4"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--verbose", action="store_true", help="show where each of our page loads spends its time")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    add_idle_option(ap)
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    if not (ROOT / "web" / "dist" / "index.html").is_file():
        log("building web/ (npm --prefix web run build)")
        subprocess.run(["npm", "--prefix", str(ROOT / "web"), "run", "build"], check=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-player-") as tmp, Stack(Path(tmp), box=True) as stack:
        clip = _dock_one_clip(stack, Path(tmp))
        log(f"recording {clip['id']}: {clip['original_filename']}, {clip['size_bytes']} bytes, "
            f"{clip['duration_seconds']} s; proxy {clip['proxy_kind']} ({clip['proxy_method']})")
        log(f"  the box was busy for {stack.settle():.0f} s more (media workers)")
        with httpx.Client(base_url=stack.api_url, timeout=60) as api:
            r = api.post("/api/v1/auth/login", json={"police_id": HANDLER, "password": PASSWORD})
            r.raise_for_status()
            handler = {"Authorization": f"Bearer {r.json()['access_token']}"}
            bare_server = _bare_server()
            waits = []
            with sync_playwright() as p:
                p.selectors.set_test_id_attribute("data-test")
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                context = browser.new_context(base_url=stack.api_url, viewport={"width": 1920, "height": 1080})
                page = context.new_page()
                page.goto("/login")
                page.locator("[data-test=police-id] input, input[data-test=police-id]").first.fill(HANDLER)
                page.locator("[data-test=password] input, input[data-test=password]").first.fill(PASSWORD)
                page.locator("[data-test=sign-in]").click()
                page.wait_for_url(lambda url: "/login" not in url)
                # One untimed visit of each: the application's files and the bare page's origin are warm.
                _ours(context, clip["id"])
                _bare(context, bare_server, api, handler, clip["id"])
                page.close()
                runs = {"click": lambda: _ours(context, clip["id"]),
                        "typed": lambda: _ours_typed(context, clip["id"]),
                        "bare": lambda: _bare(context, bare_server, api, handler, clip["id"])}
                times: dict[str, list[float]] = {k: [] for k in runs}
                for i in range(args.rounds):
                    # The box and the browser are ours (Chromium is this process's child): not "other".
                    waits.append(wait_for_idle(f"round {i + 1}", args.idle_timeout, own=stack.pids).as_dict())
                    order = list(runs)[i % 3:] + list(runs)[:i % 3]  # each goes first in turn
                    for name in order:
                        times[name].append(runs[name]())
                    log(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.0f} ms" for k, v in times.items()))
                browser.close()
            bare_server.shutdown()
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["click"] / med["bare"]
    n = args.rounds
    print()
    print(f"click on a recording in the app → first frame, median of {n}: {med['click']:7.0f} ms"
          f"  (min {min(times['click']):.0f}, max {max(times['click']):.0f})")
    print(f"bare <video> page opened → first frame, median of {n}:      {med['bare']:7.0f} ms"
          f"  (min {min(times['bare']):.0f}, max {max(times['bare']):.0f})")
    print(f"ratio: {ratio:.2f}x  (goal <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})")
    print(f"also: player URL opened cold (whole application loads first), median of {n}: {med['typed']:.0f} ms"
          f" = {med['typed'] / med['bare']:.2f}x the bare page")
    args.out.mkdir(parents=True, exist_ok=True)
    report = args.out / f"player-{time.strftime('%Y%m%d-%H%M%S')}.json"
    report.write_text(json.dumps({"times_ms": times, "median_ms": med, "ratio_click_to_bare": ratio,
                                  "idle_waits": waits}, indent=2))
    log(f"report: {report}")
    return 0


def _dock_one_clip(stack: Stack, tmp: Path) -> dict:
    """Through the public paths only: unit, users and station by the HTTP API (as the box's admin),
    a camera folder with one clip docked by `evidence-dock ingest`, then poll until it is processed."""
    with stack.http(timeout=60) as api:
        api.post("/api/v1/units", json={"code": "DD01", "name": "一大队", "level": "brigade"}).raise_for_status()
        for police_id, name, role in ((OFFICER, "张伟", "officer"), (HANDLER, "李娜", "case_handler")):
            api.post("/api/v1/users", json={"police_id": police_id, "name": name, "role": role,
                                            "password": PASSWORD, "unit_code": "DD01"}).raise_for_status()
        r = api.post("/api/v1/stations", json={"name": "DD01 采集站", "unit_code": "DD01"})
        r.raise_for_status()
        camera = tmp / "camera" / "DCIM"
        camera.mkdir(parents=True)
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=320x240:rate=15:duration=6", "-f", "lavfi", "-i", "sine=frequency=220:duration=6",
                        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p", "-c:a", "aac",
                        "-shortest", str(camera / CLIP)], check=True, stdin=subprocess.DEVNULL)
        env_file = tmp / "dock.env"
        env_file.write_text(f"DOCK_SERVER_URL={stack.api_url}\nDOCK_STATION_KEY={r.json()['api_key']}\n"
                            f"DOCK_SPOOL_DIR={tmp / 'spool'}\nDOCK_WIPE=false\nDOCK_VERIFY_TIMEOUT_SECONDS=300\n")
        log("docking a camera with one clip (evidence-dock ingest)")
        dock = Path(stack.python).parent / "evidence-dock"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCK_")}
        subprocess.run([str(dock), "ingest", str(camera.parent), "-c", str(env_file)], env=env, cwd=tmp,
                       check=True, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            items = api.get("/api/v1/recordings", params={"page_size": 10}).json()["items"]
            clip = next((i for i in items if i["original_filename"] == CLIP), None)
            if clip and clip["processing_state"] == "ready":
                return clip
            if clip and clip["processing_state"] in ("unplayable", "failed"):
                raise RuntimeError(f"the clip was not processed: {clip}")
            time.sleep(1)
        raise RuntimeError("the clip was not processed within 300 s")


def _first_frame(page) -> float:
    try:
        page.wait_for_function(FIRST_FRAME, timeout=30000)
    except Exception:
        state = page.evaluate("""() => { const v = document.querySelector('video');
            return v ? {readyState: v.readyState, networkState: v.networkState, error: v.error && v.error.message,
                        src: v.currentSrc.slice(0, 80)} : 'no video element'; }""")
        raise RuntimeError(f"no frame shown in 30 s on {page.url}: {state}") from None
    return float(page.evaluate(FIRST_FRAME))


def _ours(context, rec_id: int) -> float:
    """A click on a recording inside the running application (what a router link does), to the
    player's first frame."""
    page = context.new_page()
    try:
        page.goto("/library")
        page.get_by_test_id("who").wait_for()
        page.wait_for_load_state("networkidle")
        page.evaluate("""(id) => { window.__clickedAt = performance.now();
            document.querySelector('#app').__vue_app__.config.globalProperties.$router.push('/recordings/' + id); }""",
                      rec_id)
        took = _first_frame(page) - page.evaluate("window.__clickedAt")
        if VERBOSE:
            _show_resources(page, page.evaluate("window.__clickedAt"), took)
        return took
    finally:
        page.close()


def _ours_typed(context, rec_id: int) -> float:
    """The player's URL typed or opened from a link: the whole application loads first."""
    page = context.new_page()
    try:
        page.goto(f"/recordings/{rec_id}", wait_until="commit")
        took = _first_frame(page)
        if VERBOSE:
            _show_resources(page, 0, took)
        return took
    finally:
        page.close()


def _show_resources(page, since: float, took: float) -> None:
    for e in page.evaluate("""() => performance.getEntriesByType('resource').map(e =>
            [e.name.split('?')[0].slice(-60), Math.round(e.startTime), Math.round(e.responseEnd)])"""):
        if e[1] >= since:
            log(f"  {e[1] - since:5.0f} → {e[2] - since:5.0f} ms  {e[0]}")
    log(f"  first frame {took:.0f} ms")


class _BarePage(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BARE)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(BARE)

    def log_message(self, *args):
        pass


def _bare_server() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BarePage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _bare(context, server, api: httpx.Client, headers: dict, rec_id: int) -> float:
    r = api.post(f"/api/v1/recordings/{rec_id}/playback", headers=headers)
    r.raise_for_status()
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{server.server_port}/bare.html?src={quote(r.json()['proxy_url'], safe='')}",
                  wait_until="commit")
        return _first_frame(page)
    finally:
        page.close()


if __name__ == "__main__":
    sys.exit(main())
