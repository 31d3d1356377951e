"""Stage 1: camera → spool. Each file is copied and hashed in one read (copyhash), fsync'd, and
renamed into a content-addressed spool path; only then does the journal say `spooled`.
The spool stays under its budget by removing verified files, oldest first."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from docking_station.copyhash import CHUNK, copy_and_hash

log = logging.getLogger(__name__)
GB = 1024 ** 3


class SpoolFull(Exception):
    """The spool cannot take the next file; the message says how much is missing."""


class Spool:
    def __init__(self, root: Path, budget_bytes: int, min_free_bytes: int,
                 throttle: Callable[[int], None] | None = None):
        self.root = root
        self.objects = root / "objects"
        self.incoming = root / "incoming"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(parents=True, exist_ok=True)
        self.budget = budget_bytes
        self.min_free = min_free_bytes
        self.throttle = throttle  # called with each chunk's size before it is read (copy speed cap)
        self._lock = threading.Lock()
        self._reserved = 0
        for stale in self.incoming.iterdir():  # half-copied files of a killed run: the journal redoes them
            stale.unlink(missing_ok=True)
        self._used = sum(p.stat().st_size for p in self.objects.rglob("*") if p.is_file())

    # -- space ----------------------------------------------------------------------------------
    def used_bytes(self) -> int:
        return self._used

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.root).free

    def reserve(self, size: int, evict: Callable[[int], int]) -> None:
        """Make room for `size` bytes (evicting verified files through `evict`), or raise SpoolFull."""
        with self._lock:
            over = self._used + self._reserved + size - self.budget
            low = self.min_free + size - (self.free_bytes() - self._reserved)
            need = max(over, low, 0)
            if need > 0:
                freed = evict(need)
                self._used -= freed
                over = self._used + self._reserved + size - self.budget
                low = self.min_free + size - (self.free_bytes() - self._reserved)
            if over > 0:
                raise SpoolFull(f"the spool budget ({self.budget / GB:.1f} GB) cannot take a {size / GB:.2f} GB file "
                                f"until {over / GB:.2f} GB more of uploads are verified; the file stays on the camera")
            if low > 0:
                raise SpoolFull(f"the disk holding the spool is short of {low / GB:.2f} GB for a "
                                f"{size / GB:.2f} GB file (keeping {self.min_free / GB:.1f} GB free); "
                                f"the file stays on the camera")
            self._reserved += size

    def release(self, size: int, stored: bool) -> None:
        with self._lock:
            self._reserved -= size
            if stored:
                self._used += size

    def forget(self, size: int) -> None:
        with self._lock:
            self._used -= size

    # -- copying ----------------------------------------------------------------------------------
    def path_for(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256

    def copy_in(self, source: Path, tag: str, on_bytes: Callable[[int], None] | None = None) -> tuple[str, Path, bool]:
        """Copy `source` into the spool, hashing in the same read. Returns (sha256, path, new).

        The copy is fsync'd and renamed into place before this returns; `new` is False when the
        spool already held identical content (the temporary copy is then dropped).
        """
        tmp = self.incoming / f"{tag}.part"
        try:
            with open(source, "rb", buffering=0) as src, open(tmp, "w+b", buffering=0) as dst:  # read too: the hash maps it
                sha = copy_and_hash(src.fileno(), dst.fileno(), os.fstat(src.fileno()).st_size, self.throttle, on_bytes)
                os.fsync(dst.fileno())
            final = self.path_for(sha)
            if final.exists():
                tmp.unlink()
                return sha, final, False
            final.parent.mkdir(exist_ok=True)
            os.rename(tmp, final)
            _fsync_dir(final.parent)
            return sha, final, True
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def rehash(self, path: Path) -> str | None:
        try:
            digest = hashlib.sha256()
            with open(path, "rb", buffering=0) as fh:
                while block := fh.read(CHUNK):
                    digest.update(block)
            return digest.hexdigest()
        except FileNotFoundError:
            return None

    def remove(self, path: Path) -> int:
        try:
            size = path.stat().st_size
            path.unlink()
            return size
        except FileNotFoundError:
            return 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
