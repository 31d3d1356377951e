"""The court export over HTTP, streamed, so that a failed export cannot pass for a good one.

The ZIP is built in a thread with its own session (the request's session is finished before,
so on SQLite no write lock is held while bytes flow). The first bytes are held back until a
megabyte is ready: a failure before that (missing original, storage down, a small file that
fails its hash) is answered with an error status instead of a 200. The last bytes (the ZIP's
central directory) are held back until the export is committed to the database and audited;
a failure after the first byte cuts the connection, so the client sees an incomplete transfer
and never a complete ZIP. Every failure is audited as `case.export_failed`.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
from collections.abc import Iterator

from fastapi import HTTPException
from sqlalchemy.exc import OperationalError

from evidence.cases import export
from evidence.cases.models import Case
from evidence.db import session_scope
from evidence.errors import DomainError
from evidence.identity.models import User
from evidence.store import get_store

log = logging.getLogger(__name__)
HOLD_BYTES = 1024 * 1024


class ExportAborted(Exception):
    """Raised into the response body so the server drops the connection instead of ending it cleanly."""


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


class _Pipe(io.RawIOBase):
    """Collects the ZIP's bytes and hands them on in pieces of at least HOLD_BYTES."""

    def __init__(self, chunks: queue.Queue, cancelled: threading.Event):
        self.chunks, self.cancelled, self.buffer = chunks, cancelled, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.buffer += b
        if len(self.buffer) >= HOLD_BYTES:
            self.send(bytes(self.buffer))
            self.buffer.clear()
        return len(b)

    def send(self, item) -> None:
        while True:
            if self.cancelled.is_set():
                raise ExportAborted("the client went away before the export was complete")
            try:
                self.chunks.put(item, timeout=1)
                return
            except queue.Full:
                continue


def stream_export(user_id: int, case_id: int, case_no: str, proxies: bool, ip: str | None) -> Iterator[bytes]:
    """Start the export; raise (an error status) if it fails before its first bytes, else return the body."""
    chunks: queue.Queue = queue.Queue(maxsize=8)
    cancelled = threading.Event()
    pipe = _Pipe(chunks, cancelled)
    done = object()

    def build():
        try:
            with session_scope() as s:
                export.write_export(s, get_store(), s.get(User, user_id), s.get(Case, case_id), pipe, proxies, ip)
            if pipe.buffer:
                pipe.send(bytes(pipe.buffer))  # the ZIP's end, only now that the export is recorded
            pipe.send(done)
        except BaseException as exc:  # noqa: BLE001  every failure is reported to the client and audited
            log.exception("export of case %s failed", case_no)
            _audit_failure(user_id, case_id, f"{type(exc).__name__}: {exc}", ip)
            try:
                pipe.send(_Failed(exc))
            except ExportAborted:
                pass

    threading.Thread(target=build, daemon=True, name=f"export-{case_id}").start()
    first = chunks.get()
    if isinstance(first, _Failed):
        if isinstance(first.exc, (DomainError, OperationalError)):
            raise first.exc  # a refusal, or the database restarting (503, try again): the app's handlers answer
        raise HTTPException(500, f"export of case {case_no} failed: {first.exc}. Nothing was sent; "
                                 "the failure is recorded in the audit log.")
    return _body(first, chunks, cancelled, done, case_no)


def _body(first, chunks: queue.Queue, cancelled: threading.Event, done, case_no: str) -> Iterator[bytes]:
    item = first
    try:
        while item is not done:
            if isinstance(item, _Failed):
                raise ExportAborted(f"export of case {case_no} failed after it started: {item.exc}")
            yield item
            item = chunks.get()
    finally:
        cancelled.set()  # a client that leaves early stops the builder


def _audit_failure(user_id: int, case_id: int, reason: str, ip: str | None) -> None:
    try:
        with session_scope() as s:
            export.record_failure(s, s.get(User, user_id), s.get(Case, case_id), reason, ip)
    except Exception:  # noqa: BLE001  the failure itself is already in the log
        log.exception("could not audit the failed export of case %s", case_id)
