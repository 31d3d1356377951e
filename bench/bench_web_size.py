"""JavaScript and CSS the browser fetches for the first page after sign-in, gzip (goal ≤ 350 KB).

Builds web/ (unless --no-build and web/dist exists), starts `evidence serve` through
`_stack.Stack(box=True)` (the single box serves web/dist at /), makes the users through the HTTP
API, waits for an idle machine (`_idle.py`), signs in in Chromium
(Playwright, /usr/bin/chromium) as an officer (lands on My work) and as a case handler (lands on
the evidence library), and sums what the browser actually fetched from the login page to the
settled landing page: every response of type script or stylesheet, its body gzipped at level 6.

The peer, measured the same way in the same run: a bare Vite + Vue "hello" page built with the
same Vite and Vue from web/node_modules. Element Plus's full bundle (dist/index.full.min.js +
dist/index.css, gzip 6) is printed as well, for scale: it is what importing the whole library
would ship before the application's own code.

    .venv/bin/python bench/bench_web_size.py [--no-build] [--keep] [--idle-timeout 600]
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import partial
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import log, save_report  # noqa: E402
from _idle import add_idle_option, wait_for_idle  # noqa: E402
from _stack import Stack  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GOAL_KB = 350
PASSWORD = "Bench-Web-7q-size"

HELLO_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>hello</title></head>
<body><div id="app"></div><script type="module" src="/main.js"></script></body></html>"""
HELLO_MAIN = """import { createApp } from "vue";
import App from "./App.vue";
createApp(App).mount("#app");
"""
HELLO_APP = """<script setup>
import { ref } from "vue";
const n = ref(0);
</script>
<template><h1>hello</h1><button @click="n++">{{ n }}</button></template>
"""
HELLO_CONFIG = """import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
export default defineConfig({ plugins: [vue()], logLevel: "warn" });
"""


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


class Fetched:
    """Scripts and stylesheets the page fetched: URL → (raw bytes, gzip bytes)."""

    def __init__(self, page):
        self.items: dict[str, tuple[int, int]] = {}
        page.on("response", self._on)

    def _on(self, response) -> None:
        if response.request.resource_type in ("script", "stylesheet") and response.ok:
            body = response.body()
            self.items[response.url] = (len(body), gz(body))

    def totals(self) -> tuple[int, int]:
        return sum(r for r, _ in self.items.values()), sum(g for _, g in self.items.values())


def build_web() -> None:
    if not (WEB / "node_modules").is_dir():
        log("npm ci in web/")
        subprocess.run(["npm", "ci"], cwd=WEB, check=True)
    log("building web/ (npm run build)")
    subprocess.run(["npm", "run", "build"], cwd=WEB, check=True, stdout=subprocess.DEVNULL)


def build_hello(tmp: Path) -> Path:
    """A bare Vite + Vue page, built with web/'s own Vite, Vue and plugin."""
    app = tmp / "hello"
    app.mkdir()
    (app / "index.html").write_text(HELLO_HTML)
    (app / "main.js").write_text(HELLO_MAIN)
    (app / "App.vue").write_text(HELLO_APP)
    (app / "vite.config.mjs").write_text(HELLO_CONFIG)
    (app / "node_modules").symlink_to(WEB / "node_modules")
    subprocess.run([str(WEB / "node_modules" / ".bin" / "vite"), "build"], cwd=app, check=True,
                   stdout=subprocess.DEVNULL)
    return app / "dist"


def serve_static(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def make_users(stack: Stack) -> None:
    """A unit, an officer and a case handler, through the HTTP API as the box's admin."""
    with stack.http(timeout=30) as http:
        r = http.post("/api/v1/units", json={"code": "BW01", "name": "一大队", "level": "brigade"})
        r.raise_for_status()
        for police_id, role in (("710001", "officer"), ("710002", "case_handler")):
            r = http.post("/api/v1/users", json={"police_id": police_id, "name": "测试", "role": role,
                                                 "password": PASSWORD, "unit_code": "BW01"})
            r.raise_for_status()


def first_page(browser, base_url: str, police_id: str) -> tuple[str, Fetched]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=base_url)
    page = context.new_page()
    fetched = Fetched(page)
    page.goto("/login")
    page.locator("[data-test=police-id]").fill(police_id)
    page.locator("[data-test=password]").fill(PASSWORD)
    page.locator("[data-test=sign-in]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("networkidle")
    landed = page.url.removeprefix(base_url)
    context.close()
    return landed, fetched


def hello_page(browser, base_url: str) -> Fetched:
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    fetched = Fetched(page)
    page.goto("/")
    page.wait_for_selector("h1")
    page.wait_for_load_state("networkidle")
    context.close()
    return fetched


def element_plus_full() -> int:
    dist = WEB / "node_modules" / "element-plus" / "dist"
    return gz((dist / "index.full.min.js").read_bytes()) + gz((dist / "index.css").read_bytes())


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-build", action="store_true", help="use web/dist as it is")
    parser.add_argument("--keep", action="store_true", help="keep the run folder")
    add_idle_option(parser)
    args = parser.parse_args()
    if not args.no_build or not (WEB / "dist" / "index.html").is_file():
        build_web()
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-size-"))
    stack = Stack(tmp, box=True)  # `evidence serve`: the whole single box, web/dist at /
    static = None
    try:
        hello_dist = build_hello(tmp)
        stack.start()
        make_users(stack)
        static, hello_url = serve_static(hello_dist)
        from playwright.sync_api import sync_playwright

        # What is fetched does not depend on the load, but a busy machine can end "networkidle" early.
        waits = [wait_for_idle("first pages and the peer", args.idle_timeout, own=stack.pids)]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            ours = {pid: first_page(browser, stack.api_url, pid) for pid in ("710001", "710002")}
            hello = hello_page(browser, hello_url)
            browser.close()
        peer_raw, peer_gz = hello.totals()
        ep_full = element_plus_full()
        report = {"goal_kb": GOAL_KB, "peer": "bare Vite + Vue hello build (same Vite and Vue)",
                  "peer_gzip_bytes": peer_gz, "element_plus_full_gzip_bytes": ep_full, "pages": {},
                  "idle_waits": [w.as_dict() for w in waits]}
        print()
        print(f"{'first page after sign-in':<34}{'files':>6}{'raw':>12}{'gzip -6':>12}{'vs hello':>10}{'vs EP full':>12}")
        worst = 0
        for pid, (landed, fetched) in ours.items():
            raw, zipped = fetched.totals()
            worst = max(worst, zipped)
            report["pages"][landed] = {"files": len(fetched.items), "raw_bytes": raw, "gzip_bytes": zipped,
                                       "by_file": {u.rsplit("/", 1)[-1]: g for u, (_, g) in fetched.items.items()}}
            print(f"{'ours ' + landed:<34}{len(fetched.items):>6}{kb(raw):>12}{kb(zipped):>12}"
                  f"{zipped / peer_gz:>9.1f}×{zipped / ep_full:>11.2f}×")
            for url, (r, g) in sorted(fetched.items.items(), key=lambda kv: -kv[1][1]):
                print(f"    {url.rsplit('/', 1)[-1]:<40}{kb(r):>12}{kb(g):>12}")
        print(f"{'peer: Vite + Vue hello':<34}{len(hello.items):>6}{kb(peer_raw):>12}{kb(peer_gz):>12}")
        print(f"{'Element Plus full bundle (JS+CSS)':<34}{'2':>6}{'':>12}{kb(ep_full):>12}")
        verdict = "met" if worst <= GOAL_KB * 1024 else "MISSED"
        print(f"\nlargest first page: {kb(worst)} gzip; goal ≤ {GOAL_KB} KB: {verdict}")
        report["largest_gzip_bytes"], report["goal_met"] = worst, worst <= GOAL_KB * 1024
        log(f"report: {save_report('web-size', report)}")
        return 0 if report["goal_met"] else 1
    finally:
        if static:
            static.shutdown()
        stack.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
