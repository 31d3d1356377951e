"""The dock's local journal (SQLite, synchronous=FULL): one row per camera file, from first
sight to verified and wiped. It is what lets a killed agent resume without losing or
duplicating anything.

States: copying → spooled → uploading → verifying → verified; `refused` when the server
rejects the file's metadata (kept on camera and spool, shown to the operator).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from docking_station import names

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,              -- camera id (serial, or mount folder name)
    camera_root TEXT NOT NULL,         -- where it was mounted when seen
    rel_path TEXT NOT NULL,            -- path on the camera
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    state TEXT NOT NULL,
    sha256 TEXT,
    spool_path TEXT,
    serial TEXT, police_id TEXT, started_at TEXT, time_source TEXT,
    important INTEGER NOT NULL DEFAULT 0, kind TEXT,
    docked_at TEXT NOT NULL,
    session_id TEXT, recording_id INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    spooled_at TEXT, verified_at TEXT, wiped_at TEXT, spool_removed_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (camera, rel_path, size, mtime_ns)
);
CREATE INDEX IF NOT EXISTS files_state ON files(state);
CREATE INDEX IF NOT EXISTS files_sha ON files(sha256);
"""
ADDED_COLUMNS = {"serial_source": "TEXT"}  # columns newer than a journal an older agent may have left

PENDING_UPLOAD = ("spooled", "uploading", "verifying")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass
class Entry:
    id: int
    camera: str
    camera_root: str
    rel_path: str
    size: int
    mtime_ns: int
    state: str
    sha256: str | None
    spool_path: str | None
    serial: str | None
    police_id: str | None
    started_at: str | None
    time_source: str | None
    important: bool
    kind: str | None
    docked_at: str
    session_id: str | None
    recording_id: int | None
    attempts: int
    last_error: str | None
    spooled_at: str | None
    verified_at: str | None
    wiped_at: str | None
    spool_removed_at: str | None
    updated_at: str
    serial_source: str | None = None

    @property
    def filename(self) -> str:
        """The name sent to the server and shown: a safe stand-in when it is not UTF-8."""
        return names.safe(Path(self.rel_path).name)

    @property
    def filename_raw_hex(self) -> str | None:
        return names.raw_hex(Path(self.rel_path).name)

    @property
    def display_path(self) -> str:
        return names.safe(self.rel_path)


class Journal:
    """Thread-safe: one connection, one lock; every change is committed (and fsync'd) at once."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        have = {r["name"] for r in self._db.execute("PRAGMA table_info(files)")}
        for name, kind in ADDED_COLUMNS.items():
            if name not in have:
                self._db.execute(f"ALTER TABLE files ADD COLUMN {name} {kind}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, args=()) -> list[Entry]:
        with self._lock:
            rows = [dict(r) for r in self._db.execute(sql, args).fetchall()]
        for row in rows:  # names that are not UTF-8 are stored as raw bytes
            for key in ("camera", "camera_root", "rel_path"):
                row[key] = names.from_db(row[key])
        return [Entry(**row) for row in rows]

    def find(self, camera: str, rel_path: str, size: int, mtime_ns: int) -> Entry | None:
        rows = self._rows("SELECT * FROM files WHERE camera=? AND rel_path=? AND size=? AND mtime_ns=?",
                          (names.to_db(camera), names.to_db(rel_path), size, mtime_ns))
        return rows[0] if rows else None

    def get(self, entry_id: int) -> Entry:
        return self._rows("SELECT * FROM files WHERE id=?", (entry_id,))[0]

    def start_copy(self, camera: str, camera_root: str, rel_path: str, size: int, mtime_ns: int, docked_at: str,
                   **identity) -> Entry:
        with self._tx() as db:
            db.execute(
                "INSERT INTO files (camera, camera_root, rel_path, size, mtime_ns, state, docked_at, updated_at, "
                "serial, police_id, started_at, time_source, important, kind, serial_source) "
                "VALUES (?,?,?,?,?,'copying',?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (camera, rel_path, size, mtime_ns) DO UPDATE SET camera_root=excluded.camera_root, "
                "updated_at=excluded.updated_at",
                (names.to_db(camera), names.to_db(camera_root), names.to_db(rel_path), size, mtime_ns, docked_at,
                 now(), identity.get("serial"),
                 identity.get("police_id"), identity.get("started_at"), identity.get("time_source"),
                 int(identity.get("important", False)), identity.get("kind"), identity.get("serial_source")))
        return self.find(camera, rel_path, size, mtime_ns)

    def update(self, entry_id: int, **fields) -> None:
        fields["updated_at"] = now()
        cols = ", ".join(f"{k}=?" for k in fields)
        with self._tx() as db:
            db.execute(f"UPDATE files SET {cols} WHERE id=?", (*fields.values(), entry_id))

    def pending_uploads(self) -> list[Entry]:
        """What stage 2 still owes the server: important first, then oldest first."""
        return self._rows(
            "SELECT * FROM files WHERE state IN ('spooled','uploading','verifying') "
            "ORDER BY important DESC, COALESCE(started_at, docked_at) ASC, id ASC")

    def by_state(self, *states: str) -> list[Entry]:
        marks = ",".join("?" * len(states))
        return self._rows(f"SELECT * FROM files WHERE state IN ({marks}) ORDER BY id", states)

    def all(self) -> list[Entry]:
        return self._rows("SELECT * FROM files ORDER BY id")

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {r[0]: r[1] for r in self._db.execute("SELECT state, COUNT(*) FROM files GROUP BY state")}

    def spool_users(self, spool_path: str) -> list[Entry]:
        return self._rows("SELECT * FROM files WHERE spool_path=?", (spool_path,))

    def removable_spool_files(self) -> list[Entry]:
        """Verified files still in the spool, oldest verification first."""
        return self._rows("SELECT * FROM files WHERE state='verified' AND spool_path IS NOT NULL "
                          "AND spool_removed_at IS NULL ORDER BY verified_at ASC")

    def unwiped_verified(self) -> list[Entry]:
        return self._rows("SELECT * FROM files WHERE state='verified' AND wiped_at IS NULL ORDER BY id")
