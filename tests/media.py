"""Real media generated with ffmpeg (lavfi testsrc2 + sine), and deliberately broken files."""

from __future__ import annotations

import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

def _video(size: str, rate: int, seconds: float, seed: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency={220 + seed * 37}:duration={seconds}"]


def _ffmpeg(args: list[str], out: Path) -> Path:
    # A random tag makes every generated file unique, so no test finds another's bytes "already verified".
    tag = ["-metadata", f"title=test-{uuid.uuid4().hex}"]
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, *tag, str(out)], check=True,
                   stdin=subprocess.DEVNULL)
    return out


def h264_mp4(out: Path, seed: int = 0, seconds: float = 2, size: str = "320x240", noise: bool = False,
             creation_time: str | None = None) -> Path:
    """noise=True makes frames incompressible: about 10 MB per second at 720p (multi-part files)."""
    quality = ["-vf", "noise=alls=30:allf=t", "-crf", "18"] if noise else ["-crf", "30"]
    tags = ["-metadata", f"creation_time={creation_time}"] if creation_time else []
    return _ffmpeg([*_video(size, 15, seconds, seed), "-metadata", f"comment=seed{seed}", *tags, "-c:v", "libx264",
                    "-preset", "ultrafast", *quality, "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"], out)


def h265_mp4(out: Path, seed: int = 0, seconds: float = 2, size: str = "320x240") -> Path:
    return _ffmpeg([*_video(size, 15, seconds, seed), "-metadata", f"comment=seed{seed}", "-c:v", "libx265",
                    "-preset", "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1",
                    "-c:a", "aac", "-shortest"], out)


def mjpeg_avi(out: Path, seed: int = 0, seconds: float = 2) -> Path:
    return _ffmpeg([*_video("320x240", 10, seconds, seed), "-metadata", f"comment=seed{seed}", "-c:v", "mjpeg",
                    "-q:v", "8", "-c:a", "pcm_s16le", "-shortest"], out)


def wav(out: Path, seed: int = 0, seconds: float = 2) -> Path:
    return _ffmpeg(["-f", "lavfi", "-i", f"sine=frequency={300 + seed * 41}:duration={seconds}",
                    "-c:a", "pcm_s16le"], out)


def jpeg(out: Path, seed: int = 0) -> Path:
    _jpeg(out, seed)
    with open(out, "ab") as fh:  # bytes after the end-of-image marker: ignored by decoders, unique per file
        fh.write(uuid.uuid4().bytes)
    return out


def _jpeg(out: Path, seed: int) -> Path:
    return _ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=1:duration=1",
                    "-vf", f"hue=h={seed * 17}",
                    "-frames:v", "1", "-q:v", "3"], out)


def truncated_mp4(out: Path, source: Path) -> Path:
    """The first third of an MP4 whose moov atom is at the end: unplayable."""
    data = source.read_bytes()
    out.write_bytes(data[: len(data) // 3])
    return out


def generate(jobs: list[tuple], workers: int = 2) -> list[Path]:
    """Run (function, path, kwargs) jobs in parallel; returns the paths in order."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda job: job[0](job[1], **job[2]), jobs))


def audio_only_mp4(out: Path, seed: int = 0, seconds: float = 2) -> Path:
    return _ffmpeg(["-f", "lavfi", "-i", f"sine=frequency={500 + seed}:duration={seconds}", "-c:a", "aac"], out)


def rotated_mp4(out: Path, seed: int = 0, degrees: int = 90) -> Path:
    """H.264 320x240 whose display matrix says: turn it by `degrees` when showing it."""
    plain = out.with_suffix(".plain.mp4")
    h264_mp4(plain, seed=seed)
    _ffmpeg(["-i", str(plain), "-c", "copy", "-metadata:s:v:0", f"rotate={degrees}"], out)
    plain.unlink()
    return out


def long_low_bitrate_mp4(out: Path, seconds: int = 3 * 3600) -> Path:
    """A 3-hour clip at 64x48, 1 frame/s, with quiet mono audio: long but small."""
    return _ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=64x48:rate=1:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=300:sample_rate=8000:duration={seconds}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-c:a", "aac", "-b:a", "8k", "-ac", "1",
                    "-shortest"], out)
