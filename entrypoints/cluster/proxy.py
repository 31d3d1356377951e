"""The small reverse proxy in front of the API processes: one address for browsers and docking
stations, requests spread round-robin, and a dead API process skipped without the client noticing.

Why a proxy rather than giving clients every API address: a docking station and a browser know one
URL, and a request that cannot reach a killed or restarting API process is simply sent to the next
one. A request that never reached an API process (connection refused or reset before it was sent)
is always retried on another; one that an API process may have started to act on is retried only
when its method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS) — a POST that broke half way gets
a 502 saying so, and the client repeats it (the agent does; every POST it makes is idempotent by
content hash). In production any proxy doing the same works (nginx `proxy_next_upstream error`,
HAProxy, a cloud load balancer); this one needs nothing beyond the project's own packages.

Run: `python -m entrypoints.cluster.proxy --port 8000 --backend http://10.0.0.2:8001 --backend ...`
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import time

import httpx

log = logging.getLogger("evidence.proxy")
IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "content-length"}
DOWN_SECONDS = 2.0  # a backend that refused a connection is skipped this long before being tried again
TRIES_PER_BACKEND = 3  # rounds over all backends before answering 502 (covers an API restarting)


class Backends:
    """Round-robin over the API addresses, skipping for a moment those that just failed."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.down_until = {u: 0.0 for u in urls}
        self._next = itertools.cycle(range(len(urls)))

    def order(self) -> list[str]:
        """Every backend once, starting at the next in turn, those marked down last."""
        start = next(self._next)
        turn = self.urls[start:] + self.urls[:start]
        now = time.monotonic()
        return sorted(turn, key=lambda u: self.down_until[u] > now)

    def mark_down(self, url: str) -> None:
        self.down_until[url] = time.monotonic() + DOWN_SECONDS


def _forward_headers(scope: dict) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() not in HOP_BY_HOP]
    client = scope.get("client")
    host = dict(scope["headers"]).get(b"host", b"")
    if client:
        previous = dict(scope["headers"]).get(b"x-forwarded-for")
        chain = (previous + b", " if previous else b"") + client[0].encode()
        headers = [(k, v) for k, v in headers if k.lower() != b"x-forwarded-for"]
        headers.append((b"x-forwarded-for", chain))
    headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
    if host:
        headers.append((b"x-forwarded-host", host))
    return headers


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class Proxy:
    """An ASGI application that forwards every HTTP request to one of the backends."""

    def __init__(self, backends: list[str]):
        self.backends = Backends([b.rstrip("/") for b in backends])
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(connect=3, read=600, write=600, pool=30),
                                        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50,
                                                            keepalive_expiry=2))  # under uvicorn's 5 s: no stale reuse

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        method = scope["method"]
        path = scope.get("raw_path") or scope["path"].encode()
        target = path.decode("latin-1") + ("?" + scope["query_string"].decode("latin-1")
                                           if scope.get("query_string") else "")
        headers = _forward_headers(scope)
        last_error = ""
        for attempt in range(TRIES_PER_BACKEND):
            for backend in self.backends.order():
                request = self.client.build_request(method, backend + target, headers=headers, content=body)
                try:
                    response = await self.client.send(request, stream=True)
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    self.backends.mark_down(backend)
                    last_error = f"{backend}: {exc!r}"
                    continue
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                    # The backend died with the request in hand: it may or may not have acted on it.
                    self.backends.mark_down(backend)
                    last_error = f"{backend}: {exc!r}"
                    if method in IDEMPOTENT:
                        continue
                    log.warning("%s %s broke at %s: %s", method, target, backend, exc)
                    return await _answer(send, 502, "The API process handling this request stopped before "
                                         "answering. Send the request again.")
                return await _relay(response, send)
            if attempt + 1 < TRIES_PER_BACKEND:
                await asyncio.sleep(0.5 * (attempt + 1))
        log.warning("%s %s: no API process answered (%s)", method, target, last_error)
        return await _answer(send, 502, "No API process is answering right now. Try again in a moment; "
                             "if it lasts, check that the API processes are running.")


async def _relay(response: httpx.Response, send) -> None:
    headers = [(k, v) for k, v in response.headers.raw if k.decode("latin-1").lower() not in HOP_BY_HOP]
    if "content-length" in response.headers:
        headers.append((b"content-length", response.headers["content-length"].encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    try:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        await response.aclose()
    await send({"type": "http.response.body", "body": b""})


async def _answer(send, status: int, detail: str) -> None:
    body = ('{"detail": "%s"}' % detail).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="an API process URL (repeat)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per forwarded request
    uvicorn.run(Proxy(args.backend), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
