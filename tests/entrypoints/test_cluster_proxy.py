"""The cluster's reverse proxy: a client with one address never notices an API process that is
down, and is told plainly to send again when a process died holding its POST."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import httpx
import uvicorn

from entrypoints.cluster.proxy import Proxy
from storage.seaweedfs import free_port


async def echo(scope, receive, send):
    """A stand-in API process: answers with what it received."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    out = json.dumps({"method": scope["method"], "path": scope["path"], "query": scope["query_string"].decode(),
                      "body": body.decode(), "forwarded_for": headers.get("x-forwarded-for")}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": out})


def serve_echo() -> str:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(echo, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


def serve_dying() -> str:
    """A process that takes the request and dies before answering (the connection just closes)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run():
        while True:
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.close()
    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


def through(proxy: Proxy, *requests: tuple) -> list[httpx.Response]:
    """Send (method, path, kwargs) requests one after the other to the proxy, as client 10.1.2.3."""
    async def go():
        transport = httpx.ASGITransport(app=proxy, client=("10.1.2.3", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
            return [await client.request(method, path, **kw) for method, path, kw in requests]
    return asyncio.run(go())


def test_requests_skip_an_api_process_that_is_down_and_arrive_whole():
    live, down = serve_echo(), f"http://127.0.0.1:{free_port()}"
    proxy = Proxy([down, live])
    answers = through(proxy, *[("POST", f"/api/v1/things/{i}", {"params": {"q": "是"}, "content": "正文".encode()})
                               for i in range(4)])
    for i, r in enumerate(answers):
        assert r.status_code == 200, r.text
        assert r.json() == {"method": "POST", "path": f"/api/v1/things/{i}", "query": "q=%E6%98%AF", "body": "正文",
                            "forwarded_for": "10.1.2.3"}


def test_a_post_cut_off_by_a_dying_process_is_answered_502_and_a_get_is_retried():
    live, dying = serve_echo(), serve_dying()
    [r] = through(Proxy([dying, live]), ("POST", "/api/v1/upload-sessions", {"json": {"sha256": "ab"}}))
    assert r.status_code == 502
    assert "stopped before answering" in r.json()["detail"] and "again" in r.json()["detail"]
    [r] = through(Proxy([dying, live]), ("GET", "/api/v1/recordings", {}))
    assert r.status_code == 200 and r.json()["path"] == "/api/v1/recordings"


def test_no_process_answering_is_a_502_saying_what_to_check():
    proxy = Proxy([f"http://127.0.0.1:{free_port()}"])
    [r] = through(proxy, ("GET", "/health", {}))
    assert r.status_code == 502 and "API processes are running" in r.json()["detail"]
