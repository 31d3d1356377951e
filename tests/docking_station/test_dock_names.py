"""Camera file names that are not valid UTF-8 (FAT cards written in GBK, damaged entries): the
file is kept, uploaded under a safe stand-in name with its raw bytes preserved in hex, and its
neighbours are not held up."""

from __future__ import annotations

import hashlib
import os

from sqlalchemy import select

from evidence.db import session_scope
from evidence.recordings.models import Recording
from tests import media
from tests.conftest import unique
from tests.dock import dock, write_dock_env


def test_an_undecodable_name_is_uploaded_safely_and_its_neighbours_too(world, service, tmp_path):
    serial, officer = unique("CAMU").upper(), world.users["officer_a"][0]
    camera = tmp_path / "camera"
    folder = camera / "DCIM"
    folder.mkdir(parents=True)
    neighbours = media.generate([(media.h264_mp4, folder / f"{serial}_{officer}_20261128083000_0001.mp4",
                                  {"seed": 41})])
    (folder / f"{serial}_{officer}_20261128083500_0003.mp4").write_bytes(os.urandom(5000))
    neighbours.append(folder / f"{serial}_{officer}_20261128083500_0003.mp4")
    # GBK bytes of 测试 plus stray bytes: not UTF-8, as a camera set to a Chinese code page writes them.
    raw_name = f"{serial}_{officer}_".encode() + b"\xb2\xe2\xca\xd4\xff" + b".mp4"
    raw_path = os.fsencode(folder) + b"/" + raw_name
    payload = os.urandom(7000)
    with open(raw_path, "wb") as fh:
        fh.write(payload)

    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool")
    result = dock("ingest", str(camera), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "UnicodeEncodeError" not in result.stdout + result.stderr

    with session_scope() as s:
        recs = s.scalars(select(Recording).where(Recording.device_serial == serial)).all()
        odd = s.scalar(select(Recording).where(Recording.sha256 == hashlib.sha256(payload).hexdigest()))
    assert odd is not None and odd.status == "verified", "the oddly named file reached the server"
    assert bytes.fromhex(odd.original_filename_hex) == raw_name, "its raw name is kept, byte for byte"
    safe = odd.original_filename
    assert safe.startswith(f"{serial}_{officer}_") and safe.endswith(".mp4") and "\ufffd" not in safe
    names = {r.original_filename for r in recs}
    assert {p.name for p in neighbours} <= names
    assert all(r.status == "verified" for r in recs), [(r.original_filename, r.status) for r in recs]

    shown = service.http.get(f"/api/v1/recordings/{odd.id}", headers=world.headers("admin2")).json()
    assert shown["original_filename_hex"] == raw_name.hex() and shown["original_filename"] == safe

    # Verified, so wiped from the camera: the agent found the file again by its raw name.
    assert not os.path.exists(raw_path)
    assert not any(p.is_file() for p in camera.rglob("*"))
    status = dock("status", "--all", env_file=env)
    assert status.returncode == 0, status.stdout + status.stderr
