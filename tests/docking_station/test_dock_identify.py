"""How the agent names a file's camera, officer and start time, and that it stands alone."""

from __future__ import annotations

import ast
from datetime import datetime, timezone

import pytest

from docking_station.config import AgentSettings
from docking_station.identify import DeviceInfo, compile_patterns, identify, read_device_info
from tests import media
from tests.conftest import ROOT

BUILTIN = compile_patterns([])


@pytest.mark.parametrize("name,serial,police_id,start,important,kind", [
    ("CAM123_010203_20261128101500_0001.mp4", "CAM123", "010203", datetime(2026, 11, 28, 10, 15), False, "video"),
    ("CAM123_010203_20261128101500_0002_IMP.MOV", "CAM123", "010203", datetime(2026, 11, 28, 10, 15), True, "video"),
    ("DCAM_X9-7_A01_20261128_235959.jpg", "X9-7", "A01", datetime(2026, 11, 28, 23, 59, 59), False, "photo"),
    ("DCAM_X9_A01_20261128_000001_IMP.wav", "X9", "A01", datetime(2026, 11, 28, 0, 0, 1), True, "audio"),
    ("CAM123_010203_20261399999999_0001.mp4", "CAM123", "010203", None, False, "video"),  # not a date
])
def test_builtin_patterns(tmp_path, name, serial, police_id, start, important, kind):
    path = tmp_path / name
    path.write_bytes(b"x")
    ident = identify(path, DeviceInfo(), BUILTIN)
    assert (ident.serial, ident.police_id, ident.important, ident.kind) == (serial, police_id, important, kind)
    if start:
        assert (ident.started_at, ident.time_source) == (start, "filename")
    else:  # the bytes are no container: the file time is the last resort
        assert ident.time_source == "mtime" and ident.started_at.tzinfo is timezone.utc


def test_device_info_serial_wins_and_fills_a_missing_police_id(tmp_path):
    (tmp_path / "DEVICE_INFO.json").write_text('{"serial": "REALSERIAL", "police_id": "777777"}', encoding="utf-8")
    info = read_device_info(tmp_path, ["DEVICE_INFO.json"])
    named = tmp_path / "WRONGSERIAL_010203_20261128101500_0001.mp4"
    named.write_bytes(b"x")
    plain = tmp_path / "VID_0001.mp4"
    plain.write_bytes(b"x")
    assert (identify(named, info, BUILTIN).serial, identify(named, info, BUILTIN).police_id) == ("REALSERIAL", "010203")
    assert (identify(plain, info, BUILTIN).serial, identify(plain, info, BUILTIN).police_id) == ("REALSERIAL", "777777")


def test_container_creation_time_is_the_fallback(tmp_path):
    clip = media.h264_mp4(tmp_path / "VID_0002.mp4", creation_time="2026-11-28T03:04:05Z")
    ident = identify(clip, DeviceInfo(), BUILTIN)
    assert ident.time_source == "container"
    assert ident.started_at == datetime(2026, 11, 28, 3, 4, 5, tzinfo=timezone.utc)


def test_invalid_values_are_dropped_not_sent(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"x")
    ident = identify(path, DeviceInfo(serial="../etc", police_id="<b>"), BUILTIN)
    assert ident.serial is None and ident.police_id is None


def test_custom_patterns_from_the_config_file_come_first(tmp_path):
    env = tmp_path / "dock.env"
    env.write_text('DOCK_PATTERNS=["^(?P<serial>[A-Z0-9]+)-(?P<police_id>\\\\d{6})-(?P<start>\\\\d{14})\\\\.(?P<ext>\\\\w+)$"]\n')
    settings = AgentSettings(_env_file=env)
    path = tmp_path / "ZX81-123456-20261128080000.mp4"
    path.write_bytes(b"x")
    ident = identify(path, DeviceInfo(), compile_patterns(settings.patterns))
    assert (ident.serial, ident.police_id, ident.started_at) == ("ZX81", "123456", datetime(2026, 11, 28, 8))


def test_a_broken_pattern_is_a_clear_error():
    with pytest.raises(ValueError, match="not a valid regular expression"):
        compile_patterns(["(?P<serial>"])


def test_the_agent_imports_no_server_module():
    server = {"evidence", "api", "ingest", "storage", "workers"}
    offenders = []
    for path in (ROOT / "docking_station").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in server]
    assert offenders == []
    declared = (ROOT / "docking_station" / "pyproject.toml").read_text()
    assert "bodycam-evidence" not in declared


def test_every_agent_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert [n for n in AgentSettings.model_fields if f"`DOCK_{n.upper()}`" not in readme] == []
