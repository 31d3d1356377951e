"""The dock PC's touchscreen page: one static HTML file (screen.html, which polls /state.json
every second) and the JSON of DockState.snapshot(), served from the standard library's HTTP
server in a daemon thread. No server round trip and no extra package: the dock shows what it
does even when the evidence server is out of reach."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

from docking_station.dock_state import DockState

log = logging.getLogger(__name__)
PAGE = Path(__file__).with_name("screen.html")


class ScreenServer:
    """Serves the page until stop(); port 0 takes any free port (see `url`)."""

    def __init__(self, state: DockState, host: str = "127.0.0.1", port: int = 8765):
        page = PAGE.read_bytes()

        class Handler(BaseHTTPRequestHandler):
            server_version = "evidence-dock-screen"

            def do_GET(self):  # noqa: N802 (the standard library's name)
                path = self.path.split("?", 1)[0]
                if path in ("/", "/index.html"):
                    self._send(page, "text/html; charset=utf-8")
                elif path == "/state.json":
                    body = json.dumps(state.snapshot(), ensure_ascii=False).encode("utf-8")
                    self._send(body, "application/json; charset=utf-8")
                else:
                    self._send(b"not found", "text/plain; charset=utf-8", HTTPStatus.NOT_FOUND)

            def _send(self, body: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt, *args):  # one line per second of polling: not for the agent's log
                log.debug("screen: " + fmt, *args)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread = Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.25}, daemon=True,
                              name="dock-screen")

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> ScreenServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.httpd.shutdown()
            self._thread.join(5)
        self.httpd.server_close()

    def __enter__(self) -> ScreenServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def open_screen(state: DockState, host: str, port: int) -> tuple[ScreenServer | None, str]:
    """Start the page if configured. Returns (server or None, a line for the operator): a busy
    port costs the page, never the agent."""
    if port == 0:
        return None, "dock screen off (DOCK_SCREEN_PORT=0)"
    try:
        server = ScreenServer(state, host, port).start()
    except OSError as exc:
        log.warning("dock screen not started on %s:%s: %s", host, port, exc)
        return None, f"dock screen not started: {host}:{port} cannot be used ({exc.strerror or exc}); the agent works without it"
    log.info("dock screen at %s", server.url)
    return server, f"dock screen: {server.url}"
