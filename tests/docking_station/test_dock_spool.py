"""Stage 1's copy: the spool holds the camera's exact bytes under the SHA-256 of those bytes."""

from __future__ import annotations

import errno
import hashlib
import os

import pytest

from docking_station import copyhash
from docking_station.spool import Spool

CHUNK = copyhash.CHUNK


@pytest.fixture
def spool(tmp_path):
    return Spool(tmp_path / "spool", budget_bytes=1 << 40, min_free_bytes=0)


@pytest.mark.parametrize("size", [0, 1, 4097, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])
def test_spool_copy_is_exact_at_every_chunk_edge(tmp_path, spool, size):
    data = os.urandom(size)
    source = tmp_path / "CAM1_010203_20261128101500_0001.mp4"
    source.write_bytes(data)
    progress: list[int] = []
    sha, path, new = spool.copy_in(source, "t1", progress.append)
    assert new and sha == hashlib.sha256(data).hexdigest()
    assert path == spool.path_for(sha) and path.read_bytes() == data
    assert sum(progress) == size
    assert source.read_bytes() == data  # the camera's file is untouched
    assert not list(spool.incoming.iterdir())


def test_identical_content_is_kept_once(tmp_path, spool):
    data = os.urandom(CHUNK + 5)
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(data)
    first = spool.copy_in(tmp_path / "a.mp4", "a")
    second = spool.copy_in(tmp_path / "b.mp4", "b")
    assert first[:2] == second[:2] and (first[2], second[2]) == (True, False)
    assert [p for p in spool.objects.rglob("*") if p.is_file()] == [first[1]]


def test_a_kernel_that_refuses_sendfile_falls_back_to_a_buffered_copy(tmp_path, spool, monkeypatch):
    """Some filesystem pairs (and non-Linux systems) refuse in-kernel copies: same bytes, same hash."""
    def refuse(*_args):
        raise OSError(errno.EINVAL, "sendfile refused")

    monkeypatch.setattr(copyhash.os, "sendfile", refuse)
    data = os.urandom(2 * CHUNK + 3)
    (tmp_path / "a.mp4").write_bytes(data)
    sha, path, _ = spool.copy_in(tmp_path / "a.mp4", "a")
    assert sha == hashlib.sha256(data).hexdigest() and path.read_bytes() == data


def test_a_read_error_mid_copy_leaves_no_partial_file(tmp_path, spool, monkeypatch):
    """A camera pulled out mid-file: the error reaches the caller and the spool keeps no half copy."""
    real = os.sendfile
    calls = []

    def unplug(out_fd, in_fd, offset, count):
        calls.append(offset)
        if len(calls) > 2:
            raise OSError(errno.EIO, "Input/output error")
        return real(out_fd, in_fd, offset, count)

    monkeypatch.setattr(copyhash.os, "sendfile", unplug)
    (tmp_path / "a.mp4").write_bytes(os.urandom(4 * CHUNK))
    with pytest.raises(OSError) as err:
        spool.copy_in(tmp_path / "a.mp4", "a")
    assert err.value.errno == errno.EIO
    assert not list(spool.incoming.iterdir()) and not [p for p in spool.objects.rglob("*") if p.is_file()]
