"""Stage 2: spool → server. Files go important first, then oldest first, several at a time,
each in parallel parts straight to object storage. Every outage is waited out with backoff;
a hash mismatch sends the file again; the journal records each step so a restart resumes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from docking_station.client import ServerError, StationClient
from docking_station.journal import Entry, Journal, now
from docking_station.spool import Spool

log = logging.getLogger(__name__)
STATUS_BATCH = 500  # sessions per status request
ROUND_FILES_PER_SLOT = 4  # a round steps at most this many files per file slot


class TokenBucket:
    """A shared bandwidth cap: callers wait until their bytes fit under the rate."""

    def __init__(self, bytes_per_second: float):
        self.rate = bytes_per_second
        self.allowance = bytes_per_second
        self.last = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self, nbytes: int) -> None:
        with self._lock:
            current = time.monotonic()
            self.allowance = min(self.rate, self.allowance + (current - self.last) * self.rate)
            self.last = current
            self.allowance -= nbytes
            wait = -self.allowance / self.rate if self.allowance < 0 else 0.0
        if wait > 0:
            time.sleep(wait)


@dataclass
class UploadEvents:
    """Hooks for the operator's display (dock_state.DockState counts them)."""

    file_started: Callable[[Entry], None] = lambda e: None
    bytes_sent: Callable[[Entry, int], None] = lambda e, n: None
    file_uploaded: Callable[[Entry], None] = lambda e: None  # every byte sent; the server is hashing it
    file_done: Callable[[Entry, str], None] = lambda e, outcome: None
    # What holds uploads back now (kind, detail), or (None, None) once a round went through.
    problem: Callable[[str | None, str | None], None] = lambda kind, detail: None


# The kinds of UploadEvents.problem (the dock screen words each one).
UPLOAD_PROBLEMS = ("server_unreachable", "server_busy", "resending", "spool_unreadable")


def problem_kind(exc: ServerError) -> str:
    """No answer (or object storage out of reach) vs. a server that answers but is overloaded."""
    return "server_unreachable" if exc.status == 0 else "server_busy"


@dataclass
class Outcome:
    verified: int = 0
    duplicates: int = 0
    wiped: int = 0
    bytes_sent: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # filename -> reason


class Uploader:
    def __init__(self, journal: Journal, spool: Spool, client: StationClient, *, file_concurrency: int = 2,
                 events: UploadEvents | None = None, verify_poll: float = 0.5):
        self.journal = journal
        self.spool = spool
        self.client = client
        self.file_concurrency = file_concurrency
        self.events = events or UploadEvents()
        self.verify_poll = verify_poll
        self.outcome = Outcome()
        self.last_error: str | None = None
        self._lock = threading.Lock()

    # -- one file -----------------------------------------------------------------------------
    def _meta(self, e: Entry) -> dict:
        return {"sha256": e.sha256, "size_bytes": e.size, "filename": e.filename, "device_serial": e.serial,
                "police_id": e.police_id, "started_at": e.started_at, "time_source": e.time_source or "unknown",
                "important": bool(e.important), "docked_at": e.docked_at,
                **({"filename_raw_hex": e.filename_raw_hex} if e.filename_raw_hex else {}),
                **({"serial_source": e.serial_source} if e.serial and e.serial_source else {})}

    def step(self, e: Entry) -> str:
        """Move one file as far as it can go now. Returns its state afterwards.

        Raises ServerError when the server or storage cannot be reached (try later). Files the
        server is verifying are settled before this (_settle_verifying); one that reaches here
        is opened again, which resumes its session or answers that it is already verified.
        """
        answer = self.client.open_session(self._meta(e))
        status = answer["status"]
        if status == "already_verified":
            self._verified(e, answer["recording_id"], duplicate=True)
            return "verified"
        if status == "open":
            self.journal.update(e.id, state="uploading", session_id=answer["session_id"], last_error=None)
            path = Path(e.spool_path)
            sent = self.client.send_parts(path, answer, on_part=lambda n: self._sent(e, n))
            answer = self.client.complete(answer["session_id"])
            status = answer["status"]
            with self._lock:
                self.outcome.bytes_sent += sent
        if status == "verifying":
            # The server is hashing it: no file slot waits for that; a later round asks again.
            self.events.file_uploaded(e)
            self.journal.update(e.id, state="verifying", session_id=answer["session_id"])
            return "verifying"
        if status == "verified":
            self._verified(e, answer["recording_id"])
            return "verified"
        if status == "failed":
            return self._spool_suspect(e, answer.get("reason") or "verification failed")
        return self.journal.get(e.id).state  # still verifying: look again later

    def _sent(self, e: Entry, n: int) -> None:
        self.events.bytes_sent(e, n)

    def _verified(self, e: Entry, recording_id: int, duplicate: bool = False) -> None:
        self.journal.update(e.id, state="verified", recording_id=recording_id, verified_at=now(), last_error=None)
        with self._lock:
            if duplicate:
                self.outcome.duplicates += 1
            else:
                self.outcome.verified += 1
        self.events.file_done(e, "duplicate" if duplicate else "verified")

    def _spool_suspect(self, e: Entry, reason: str) -> str:
        """The server's hash differed, or it refused a part's size. If the spool copy itself is
        bad, copy the file again from the camera; otherwise send it again."""
        log.warning("server could not verify %s: %s", e.display_path, reason)
        actual = self.spool.rehash(Path(e.spool_path)) if e.spool_path else None
        if actual != e.sha256:
            log.warning("spool copy of %s is damaged; it will be copied again from the camera", e.display_path)
            if e.spool_path and not any(o.id != e.id for o in self.journal.spool_users(e.spool_path)):
                self.spool.forget(self.spool.remove(Path(e.spool_path)))
            self.journal.update(e.id, state="copying", spool_path=None, session_id=None,
                                attempts=e.attempts + 1, last_error=f"{reason}; spool copy damaged, recopy")
            return "copying"
        self.journal.update(e.id, state="spooled", session_id=None, attempts=e.attempts + 1,
                            last_error=f"{reason}; sending again")
        return "spooled"

    # -- the queue ----------------------------------------------------------------------------
    def drain(self, stop: threading.Event, *, until_verified: bool = True, deadline: float | None = None) -> Outcome:
        """Work the queue until nothing is pending (or stop/deadline). Outages are retried with backoff."""
        backoff = 1.0
        while not stop.is_set():
            pending = self.journal.pending_uploads()
            if not pending:
                self.events.problem(None, None)
            if not pending or (deadline and time.monotonic() > deadline):
                break
            errors, stepped = self._round(pending, stop)
            if errors:
                kind, self.last_error = errors[-1]
                self.events.problem(kind, self.last_error)
                log.warning("upload round had %d problem(s), next try in %.0fs: %s", len(errors), backoff,
                            self.last_error)
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
            else:
                self.events.problem(None, None)
                backoff = 1.0
                if not stepped:  # everything left is being verified by the server
                    if not until_verified:
                        break
                    stop.wait(self.verify_poll)
        return self.outcome

    def _settle_verifying(self, pending: list[Entry], problems: list[tuple[str, str]]) -> list[Entry]:
        """Ask once for every file the server is still hashing and settle those it finished.
        Returns the entries that still need a step (files the server no longer knows included);
        a failed verification is added to `problems`, so the next send backs off."""
        waiting = [e.session_id for e in pending if e.state == "verifying" and e.session_id]
        answers: dict[str, dict] = {}
        for i in range(0, len(waiting), STATUS_BATCH):
            answers.update((a["session_id"], a) for a in self.client.statuses(waiting[i:i + STATUS_BATCH]))
        rest = []
        for e in pending:
            answer = answers.get(e.session_id) if e.state == "verifying" else None
            if answer is None:
                rest.append(e)
            elif answer["status"] == "verified":
                self._verified(e, answer["recording_id"])
            elif answer["status"] == "failed":
                self._spool_suspect(e, answer.get("reason") or "verification failed")
                problems.append(("resending", f"{e.filename}: {answer.get('reason') or 'verification failed'}"))
            elif answer["status"] != "verifying":
                rest.append(e)
        return rest

    def _round(self, pending: list[Entry], stop: threading.Event) -> tuple[list[tuple[str, str]], int]:
        """Settle what the server finished verifying, then step a few files (a short round, so
        verified files are seen, and wiped, soon). Returns (problems as (kind, text), files stepped)."""
        errors: list[tuple[str, str]] = []
        try:
            pending = self._settle_verifying(pending, errors)
        except ServerError as exc:
            return [(problem_kind(exc), f"asking how verification goes: {exc}")], 0
        # Files with the same content (same hash) go once per round; the others follow next round
        # and are answered "already verified".
        seen: set[str] = set()
        queue = [e for e in pending if not (e.sha256 in seen or seen.add(e.sha256))]
        queue = queue[:self.file_concurrency * ROUND_FILES_PER_SLOT]
        stepped = len(queue)
        lock = threading.Lock()

        def worker():
            while not stop.is_set():
                with lock:
                    if not queue:
                        return
                    e = queue.pop(0)
                self.events.file_started(e)
                try:
                    state = self.step(e)
                    if state in ("spooled", "copying"):  # the server refused its bytes: back off, send again
                        with lock:
                            errors.append(("resending", f"{e.filename}: {self.journal.get(e.id).last_error}"))
                except ServerError as exc:
                    if exc.status == 409 and "bad_part" in exc.body:
                        self._spool_suspect(e, exc.detail)  # a part of the wrong size: is the spool copy whole?
                        with lock:
                            errors.append(("resending", f"{e.filename}: {exc.detail}"))
                    elif exc.transient:
                        with lock:
                            errors.append((problem_kind(exc), f"{e.filename}: {exc}"))
                        self.journal.update(e.id, last_error=str(exc)[:500])
                    else:
                        self._refused(e, exc)
                except OSError as exc:
                    with lock:
                        errors.append(("spool_unreadable", f"{e.filename}: {exc}"))
                    self.journal.update(e.id, last_error=str(exc)[:500])

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.file_concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return errors, stepped

    def _refused(self, e: Entry, exc: ServerError) -> None:
        detail = exc.detail
        if isinstance(detail, list):  # validation errors: field and rule
            detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg')}" for d in detail)
        reason = f"refused by the server (HTTP {exc.status}): {detail}"
        log.error("%s %s", e.display_path, reason)
        self.journal.update(e.id, state="refused", last_error=reason[:2000])
        with self._lock:
            self.outcome.refused[e.display_path] = reason
        self.events.file_done(e, "refused")
