"""Copy one open file into another and compute its SHA-256, reading the source once.

On Linux the bytes move inside the kernel (`sendfile`, which also works from a camera's FAT/exFAT
mount to the spool's filesystem, where `copy_file_range` refuses), and a second thread hashes each
chunk of the *destination* through a memory map while the next chunk is copied. So the camera is
read once, the digest describes exactly the bytes the spool now holds, and the two cores share
the work: one copies, one hashes. After a chunk is hashed its write-back to disk is started
(`posix_fadvise(DONTNEED)` starts it without waiting), so the final `fsync` has little left to do
and the spool does not fill the page cache with footage. Elsewhere, or if the kernel refuses, it
falls back to read → hash → write through one buffer.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import queue
import threading
from collections.abc import Callable

CHUNK = 8 * 1024 * 1024  # a multiple of mmap.ALLOCATIONGRANULARITY: chunk offsets stay mappable
_AHEAD = 4  # chunks the copier may run ahead of the hasher
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # fault the chunk in at once, not page by page
_REFUSALS = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV}  # this pair of files cannot sendfile


def copy_and_hash(src: int, dst: int, size: int, throttle: Callable[[int], None] | None = None,
                  on_bytes: Callable[[int], None] | None = None) -> str:
    """Copy `src` (from offset 0) into the empty `dst`; returns the hex SHA-256 of what was written.

    `size` is what the caller saw before copying; the copy goes to the real end of the source
    either way. `throttle(n)` is called before each chunk is read (a speed cap), `on_bytes(n)`
    after each chunk is copied and hashed (progress)."""
    if hasattr(os, "sendfile") and hasattr(os, "posix_fadvise"):
        try:
            return _kernel_copy(src, dst, size, throttle, on_bytes)
        except _Unsupported:
            os.lseek(src, 0, os.SEEK_SET)
            os.ftruncate(dst, 0)
            os.lseek(dst, 0, os.SEEK_SET)
    return _buffer_copy(src, dst, throttle, on_bytes)


class _Unsupported(Exception):
    """The kernel cannot sendfile between these two files (nothing was copied)."""


def _send(src: int, dst: int, offset: int, want: int) -> int:
    """Copy up to `want` bytes from `offset`; fewer only at the end of the source."""
    done = 0
    while done < want:
        n = os.sendfile(dst, src, offset + done, want - done)
        if n == 0:
            break
        done += n
    return done


def _kernel_copy(src: int, dst: int, size: int, throttle, on_bytes) -> str:
    digest = hashlib.sha256()
    chunks: queue.Queue = queue.Queue(maxsize=_AHEAD)
    failed: list[BaseException] = []

    def hash_chunks() -> None:
        while (item := chunks.get()) is not None:
            if failed:
                continue  # drain so the copier never blocks on a full queue
            offset, n = item
            try:
                with mmap.mmap(dst, n, flags=_MAP_FLAGS, prot=mmap.PROT_READ, offset=offset) as view:
                    digest.update(view)
                os.posix_fadvise(dst, offset, n, os.POSIX_FADV_DONTNEED)
                if on_bytes:
                    on_bytes(n)
            except BaseException as exc:  # handed to the copying thread, which raises it
                failed.append(exc)

    hasher = threading.Thread(target=hash_chunks, name="spool-hash", daemon=True)
    offset = 0
    try:
        os.posix_fadvise(src, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        if throttle:
            throttle(min(CHUNK, size))
        try:
            n = _send(src, dst, 0, CHUNK)
        except OSError as exc:
            if exc.errno in _REFUSALS:
                raise _Unsupported from exc
            raise
        hasher.start()
        while n and not failed:
            chunks.put((offset, n))
            offset += n
            if n < CHUNK:
                break
            if throttle:
                throttle(min(CHUNK, max(size - offset, 0)) or CHUNK)
            n = _send(src, dst, offset, CHUNK)
    finally:
        if hasher.is_alive():
            chunks.put(None)
            hasher.join()
    if failed:
        raise failed[0]
    return digest.hexdigest()


def _buffer_copy(src: int, dst: int, throttle, on_bytes) -> str:
    digest = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        if throttle:
            throttle(CHUNK)
        n = os.readv(src, [buf])
        if not n:
            break
        digest.update(view[:n])
        written = 0
        while written < n:
            written += os.write(dst, view[written:n])
        if on_bytes:
            on_bytes(n)
    return digest.hexdigest()
