"""The agent names the camera of a file whose name carries no serial (issue 10, item 20)."""

from __future__ import annotations

from docking_station.identify import DeviceInfo, compile_patterns, folder_serial, identify

BUILTIN = compile_patterns([])


def _files(tmp_path, *names):
    paths = []
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        paths.append(tmp_path / name)
    return paths


def test_the_serial_every_other_file_names_is_taken_with_source_folder(tmp_path):
    paths = _files(tmp_path, "CAM9_010203_20261128101500_0001.mp4", "CAM9_010203_20261128102000_0002.mp4",
                   "执法 记录 0001.MP4")
    serial = folder_serial(paths, BUILTIN)
    assert serial == "CAM9"
    ident = identify(paths[2], DeviceInfo(), BUILTIN, folder=serial)
    assert (ident.serial, ident.serial_source) == ("CAM9", "folder")
    named = identify(paths[0], DeviceInfo(), BUILTIN, folder=serial)
    assert (named.serial, named.serial_source) == ("CAM9", "filename")


def test_files_that_disagree_give_no_folder_serial(tmp_path):
    paths = _files(tmp_path, "CAM9_010203_20261128101500_0001.mp4", "CAM8_010203_20261128102000_0002.mp4",
                   "执法 记录 0001.MP4")
    assert folder_serial(paths, BUILTIN) is None
    assert identify(paths[2], DeviceInfo(), BUILTIN, folder=None).serial is None
    assert folder_serial(_files(tmp_path, "only.mp4"), BUILTIN) is None


def test_the_device_info_file_names_the_camera_first(tmp_path):
    paths = _files(tmp_path, "CAM9_010203_20261128101500_0001.mp4", "执法 记录 0001.MP4")
    ident = identify(paths[1], DeviceInfo(serial="REAL1", source="DEVICE_INFO.json"), BUILTIN, folder="CAM9")
    assert (ident.serial, ident.serial_source) == ("REAL1", "device_info")
