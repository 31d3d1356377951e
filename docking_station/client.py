"""HTTP client for the server's upload protocol. Talks to the server and to presigned
object-storage URLs only; imports nothing from the server packages."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

HASH_CHUNK = 4 * 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        while block := fh.read(HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


class ServerError(Exception):
    """The server refused a request; `detail` is its explanation. status 0: no answer."""

    def __init__(self, status: int, detail, body: dict | None = None):
        super().__init__(f"HTTP {status}: {detail}" if status else str(detail))
        self.status = status
        self.detail = detail
        self.body = body or {}

    @property
    def transient(self) -> bool:
        """Worth trying again later (outage, overload, a busy peer), as opposed to a refusal."""
        return self.status in (0, 408, 409, 429) or self.status >= 500


@dataclass
class UploadResult:
    recording_id: int
    status: str
    session_id: str | None
    bytes_sent: int
    reason: str | None = None


class StationClient:
    def __init__(self, base_url: str, station_key: str, *, concurrency: int = 4, timeout: float = 120.0,
                 retries: int = 5, throttle: Callable[[int], None] | None = None):
        self.api = httpx.Client(base_url=base_url.rstrip("/"), headers={"X-Station-Key": station_key},
                                timeout=timeout)
        self.storage = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=concurrency * 2))
        self.concurrency = concurrency
        # PUTs in flight across all files: a big file uses them for its parts, small files one each.
        self._streams = threading.BoundedSemaphore(concurrency)
        self.retries = retries
        self.throttle = throttle  # called with a part's size before it is sent (bandwidth cap)

    def close(self) -> None:
        self.api.close()
        self.storage.close()

    def _call(self, method: str, url: str, **kw) -> dict:
        try:
            response = self.api.request(method, url, **kw)
        except httpx.TransportError as exc:
            raise ServerError(0, f"server unreachable: {exc}") from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"detail": response.text}
            raise ServerError(response.status_code, body.get("detail", response.text), body)
        return response.json()

    # -- protocol calls -------------------------------------------------------------------
    def open_session(self, meta: dict) -> dict:
        return self._call("POST", "/api/v1/ingest/sessions", json=meta)

    def progress(self, session_id: str) -> dict:
        return self._call("GET", f"/api/v1/ingest/sessions/{session_id}")

    def statuses(self, session_ids: list[str]) -> list[dict]:
        """Where many uploads stand; sessions the server does not know (for this station) are left out."""
        return self._call("POST", "/api/v1/ingest/sessions/status", json={"session_ids": session_ids})

    def complete(self, session_id: str) -> dict:
        return self._call("POST", f"/api/v1/ingest/sessions/{session_id}/complete")

    def heartbeat(self, **state) -> dict:
        return self._call("POST", "/api/v1/stations/heartbeat", json=state)

    def put_part(self, path: Path, part_size: int, part_number: int, url: str) -> int:
        """PUT one part straight to object storage, with retries and backoff."""
        with self._streams:
            return self._put_part(path, part_size, part_number, url)

    def _put_part(self, path: Path, part_size: int, part_number: int, url: str) -> int:
        offset = (part_number - 1) * part_size
        with open(path, "rb", buffering=0) as fh:
            data = os.pread(fh.fileno(), part_size, offset)
        delay = 0.5
        for attempt in range(self.retries + 1):
            if self.throttle:
                self.throttle(len(data))
            try:
                r = self.storage.put(url, content=data)
                if r.status_code == 200:
                    return len(data)
                error = f"HTTP {r.status_code}: {r.text[:200]}"
                if r.status_code < 500 and r.status_code != 429:
                    # Refused (expired or bad URL): the caller asks the server for fresh URLs.
                    raise ServerError(0, f"object storage refused part {part_number}: {error}")
            except httpx.TransportError as exc:
                error = str(exc)
            if attempt == self.retries:
                raise ServerError(0, f"part {part_number} failed after {attempt + 1} tries: {error}")
            time.sleep(delay)
            delay = min(delay * 2, 30)
        raise AssertionError("unreachable")

    def send_parts(self, path: Path, session: dict, *, max_parts: int | None = None,
                   on_part: Callable[[int], None] | None = None) -> int:
        """Send the parts the session lists as missing; returns bytes sent."""
        todo = session["parts"][:max_parts] if max_parts is not None else session["parts"]
        sent = 0
        with ThreadPoolExecutor(self.concurrency) as pool:
            futures = [pool.submit(self.put_part, path, session["part_size"], p["part_number"], p["url"])
                       for p in todo]
            for f in futures:
                n = f.result()
                sent += n
                if on_part:
                    on_part(n)
        return sent

    def wait_settled(self, session_id: str, timeout: float = 300.0, poll: float = 0.2) -> dict:
        """Poll until the server has verified (or failed) the upload."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.progress(session_id)
            if state["status"] in ("verified", "failed") or time.monotonic() > deadline:
                return state
            time.sleep(poll)
            poll = min(poll * 1.5, 1.0)

    def upload(self, path: Path, meta: dict, *, wait: bool = True) -> UploadResult:
        """The whole protocol for one file: open or resume, send what is missing, complete."""
        session = self.open_session(meta)
        if session["status"] == "already_verified":
            return UploadResult(session["recording_id"], "already_verified", None, 0)
        sent = 0
        if session["status"] == "open":
            sent = self.send_parts(path, session)
            session = self.complete(session["session_id"])
        if wait and session["status"] == "verifying":
            session = self.wait_settled(session["session_id"])
        return UploadResult(session["recording_id"], session["status"], session["session_id"], sent,
                            session.get("reason"))
