"""An audio-only MP4 is catalogued as audio; a file whose name carries no serial takes the one
every other file of its camera names (issue 10, item 20)."""

from __future__ import annotations

from sqlalchemy import select

from docking_station.client import sha256_file
from evidence.db import session_scope
from evidence.recordings.models import Recording
from tests import media
from tests.conftest import unique
from tests.dock import dock, write_dock_env
from tests.workers.test_media import wait_processed
from tests.uploading import upload


def test_an_audio_only_mp4_is_catalogued_as_audio(world, service, admin_token, tmp_path):
    clip = media.audio_only_mp4(tmp_path / "voice.mp4", seed=2001)
    rec_id = upload(world, clip, world.users["officer_a"][0], unique("CAMA").upper(), "2026-11-28T09:00:00")
    wait_processed([sha256_file(clip)])
    rec = service.http.get(f"/api/v1/recordings/{rec_id}", headers={"Authorization": f"Bearer {admin_token}"}).json()
    assert (rec["media_kind"], rec["proxy_kind"]) == ("audio", "audio")


def test_a_file_without_a_serial_takes_the_one_every_other_file_names(world, service, tmp_path):
    officer, serial = world.users["officer_a"][0], unique("CAMF").upper()
    camera = tmp_path / "camera" / "DCIM"
    camera.mkdir(parents=True)
    media.h264_mp4(camera / f"{serial}_{officer}_20261128100000_0001.mp4", seed=2010, seconds=1)
    media.h264_mp4(camera / f"{serial}_{officer}_20261128100500_0002.mp4", seed=2011, seconds=1)
    plain = media.h264_mp4(camera / "执法 记录 0001.MP4", seed=2012, seconds=1)
    sha = sha256_file(plain)
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool")
    result = dock("ingest", str(camera.parent), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    with session_scope() as s:
        rec = s.scalar(select(Recording).where(Recording.sha256 == sha))
        assert (rec.device_serial, rec.serial_source) == (serial, "folder")
        assert rec.device_id is not None
