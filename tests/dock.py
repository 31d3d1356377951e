"""Helpers for the dock-agent tests: generated camera folders and running `evidence-dock`."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from docking_station.client import sha256_file
from tests import media
from tests.conftest import ROOT

DOCK = str(Path(sys.executable).parent / "evidence-dock")


@dataclass
class CameraFile:
    path: Path
    sha256: str
    police_id: str | None
    started_device: str | None  # device clock as in the name, ISO, or None when not from the name
    important: bool


def write_dock_env(path: Path, base_url: str, key: str, spool: Path, **extra) -> Path:
    lines = {"DOCK_SERVER_URL": base_url, "DOCK_STATION_KEY": key, "DOCK_SPOOL_DIR": str(spool),
             "DOCK_WIPE": "true", "DOCK_PART_CONCURRENCY": "2", "DOCK_FILE_CONCURRENCY": "2",
             "DOCK_VERIFY_TIMEOUT_SECONDS": "300", **{f"DOCK_{k.upper()}": str(v) for k, v in extra.items()}}
    path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
    return path


def dock(*args: str, env_file: Path, timeout: float = 600, **popen) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCK_")}
    env["COLUMNS"] = "200"
    return subprocess.run([DOCK, *args, "-c", str(env_file)], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, **popen)


def dock_clips_of_today(tmp: Path, base_url: str, station_key: str, serial: str, clips: list[tuple[str, int]],
                        seconds: float) -> datetime:
    """H.264 clips, one per (police ID, seed), filmed 10 s apart from two hours ago (or from just after
    midnight, whichever is later, Asia/Shanghai: the box's default zone), so they fall on today;
    docked through the agent. Returns when the first began."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    start = max(now - timedelta(hours=2), now.replace(hour=0, minute=0, second=5, microsecond=0))
    camera = tmp / "camera" / "DCIM"
    camera.mkdir(parents=True)
    for n, (police_id, seed) in enumerate(clips):
        at = (start + timedelta(seconds=10 * n)).strftime("%Y%m%d%H%M%S")
        media.h264_mp4(camera / f"{serial}_{police_id}_{at}_000{n + 1}.mp4", seed=seed, seconds=seconds)
    env = write_dock_env(tmp / "dock.env", base_url, station_key, tmp / "spool")
    result = dock("ingest", str(camera.parent), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return start


def dock_process(*args: str, env_file: Path, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCK_")}
    return subprocess.Popen([DOCK, *args, "-c", str(env_file)], env=env, cwd=ROOT, stdout=open(log, "ab"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def mixed_camera(root: Path, serial: str, police_id: str, seed: int = 0) -> list[CameraFile]:
    """A camera folder with every kind of file a body camera leaves, broken ones included."""
    d = root / "DCIM" / "100MEDIA"
    d.mkdir(parents=True)
    s = seed
    jobs = [
        (media.h264_mp4, d / f"{serial}_{police_id}_20261128083000_0001.mp4", {"seed": s + 1}),
        (media.h264_mp4, d / f"{serial}_{police_id}_20261128083500_0002_IMP.mp4", {"seed": s + 2}),
        (media.h265_mp4, d / f"{serial}_{police_id}_20261128084000_0003.mp4", {"seed": s + 3, "size": "1298x730"}),
        (media.mjpeg_avi, d / f"{serial}_{police_id}_20261128084500_0004.avi", {"seed": s + 4}),
        (media.wav, d / f"{serial}_{police_id}_20261128085000_0005.wav", {"seed": s + 5}),
        (media.jpeg, d / f"DCAM_{serial}_{police_id}_20261128_085500.jpg", {"seed": s + 6}),
        (media.h264_mp4, d / f"DCAM_{serial}_{police_id}_20261128_090000_IMP.mp4", {"seed": s + 7}),
        (media.h264_mp4, d / "执法 记录 仪 (1).mp4", {"seed": s + 8, "creation_time": "2026-11-28T01:20:00Z"}),
    ]
    paths = media.generate(jobs)
    broken = media.truncated_mp4(d / f"{serial}_{police_id}_20261128090500_0006.mp4", paths[0])
    zero = d / f"{serial}_{police_id}_20261128091000_0007.mp4"
    zero.write_bytes(b"")
    text = d / f"{serial}_{police_id}_20261128091500_0008.mp4"
    text.write_text("this is not a video, only text named .mp4\n" * 10)
    other = d / "SYSLOG.DAT"
    other.write_bytes(os.urandom(2048) + seed.to_bytes(4, "big"))
    long_name = d / ("很长的文件名" * 12 + f"_{seed}.mp4")
    long_name.write_bytes(os.urandom(4096))
    (root / "DEVICE_INFO.json").write_text(f'{{"serial": "{serial}", "police_id": "{police_id}"}}')
    out = []
    for p in [*paths, broken, zero, text, other, long_name]:
        named = p.name.startswith((serial, f"DCAM_{serial}"))
        start = None
        if named and p.name.startswith("DCAM_"):
            parts = p.stem.split("_")
            start = f"{parts[3][:4]}-{parts[3][4:6]}-{parts[3][6:]}T{parts[4][:2]}:{parts[4][2:4]}:{parts[4][4:6]}"
        elif named:
            t = p.stem.split("_")[2]
            start = f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}"
        out.append(CameraFile(p, sha256_file(p), police_id, start, p.stem.endswith("_IMP")))
    return out
