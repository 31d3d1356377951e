"""Benchmark: media processing steps against the bare ffmpeg/ffprobe commands doing the same job.

One run, on a generated 60 s 1080p30 H.264 MP4 and the same content as H.265:
  probe       workers.media.probe.probe        vs  ffprobe -show_format -show_streams -of json
  proxy       workers.media.proxy.make_proxy   vs  the same ffmpeg command line, run bare
  thumbnails  OpenCV poster + 10-frame strip   vs  ffmpeg -ss T -i IN -frames:v 1 (x 11)
  download    ObjectStore.download_original     vs  curl of a presigned URL, then sha256sum
  pipeline    workers.pipeline.process (download + hash + probe + thumbnails + proxy + uploads)
              vs  the sum of the bare commands above
and the bytes read from object storage per original (goal <= 1.05x its size).

Usage: .venv/bin/python bench/bench_media.py [--seconds 60] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import save_report  # noqa: E402  (bench/ is on sys.path)
from _idle import add_idle_option, wait_for_idle  # noqa: E402
from _stack import Stack  # noqa: E402

IDLE_TIMEOUT = [600.0]


def timed(fn, *args, **kw):
    start = time.perf_counter()
    result = fn(*args, **kw)
    return time.perf_counter() - start, result


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def best(n: int, fn) -> float:
    return min(fn() for _ in range(n))


def generate(workdir: Path, seconds: int) -> tuple[Path, Path]:
    src = ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    h264, h265 = workdir / "clip_h264.mp4", workdir / "clip_h265.mp4"
    base = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*base, *src, "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-shortest", str(h264)], check=True)
    subprocess.run([*base, "-i", str(h264), "-c:v", "libx265", "-preset", "ultrafast", "-b:v", "5M",
                    "-x265-params", "log-level=error", "-tag:v", "hvc1", "-c:a", "copy", str(h265)], check=True)
    return h264, h265


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--workdir", type=Path, default=None)
    add_idle_option(ap)
    args = ap.parse_args()
    IDLE_TIMEOUT[0] = args.idle_timeout
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-media-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        # SeaweedFS and a SQLite database migrated by `evidence db upgrade`; this process uses them.
        with Stack(workdir, storage=True, database="sqlite") as stack:
            stack.use_here()
            report = bench(workdir, args.seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nfigures written to {save_report('media', report)}")


def bench(workdir: Path, seconds: int) -> dict:
    from docking_station.client import sha256_file
    from evidence.db import session_scope
    from evidence.recordings.models import Recording
    from evidence.timeutil import utcnow
    from evidence.store import get_store
    from storage.keys import original_key
    from workers import pipeline
    from workers.media import thumbs
    from workers.media.probe import probe
    from workers.media.proxy import ProxySettings, audio_command, make_proxy, video_command

    store = get_store()
    print(f"generating {seconds} s 1080p30 H.264 and H.265 clips…")
    h264, h265 = generate(workdir, seconds)
    report: dict = {"machine": f"{os.cpu_count()} cores", "seconds": seconds, "clips": {}}
    proxy_settings = ProxySettings()
    for label, clip in (("h264", h264), ("h265", h265)):
        size = clip.stat().st_size
        sha = sha256_file(clip)
        key = original_key(sha)
        store.client.fput_object(store.originals, key, str(clip))
        r: dict = {"size_bytes": size}
        local = workdir / f"local_{label}.mp4"

        wait_for_idle(f"{label} clip", IDLE_TIMEOUT[0])
        # download + hash
        t_ours, _ = timed(store.download_original, key, local)
        url = store.presign_get_original(key, timedelta(minutes=10))
        t_curl = best(1, lambda: run(["curl", "-s", "-o", str(workdir / "curl.bin"), url]))
        t_sum = run(["sha256sum", str(workdir / "curl.bin")])
        r["download_hash"] = {"ours": t_ours, "bare_curl": t_curl, "bare_sha256sum": t_sum}

        # probe
        t_probe = best(3, lambda: timed(probe, local)[0])
        t_ffprobe = best(3, lambda: run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
                                         str(local)]))
        info = probe(local)
        r["probe"] = {"ours": t_probe, "bare": t_ffprobe}

        # proxy: the same command line, run through ffmpeg-python and bare
        out = workdir / "proxy.mp4"
        t_proxy, (kind, method) = timed(make_proxy, local, out, info, proxy_settings)
        cmd = (video_command(local, workdir / "bare.mp4", method, info, proxy_settings) if kind == "video"
               else audio_command(local, workdir / "bare.m4a", method, proxy_settings))
        bare_cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", *cmd.get_args()]
        t_bare_proxy = run(bare_cmd)
        r["proxy"] = {"method": method, "ours": t_proxy, "bare": t_bare_proxy,
                      "ours_realtime_x": seconds / t_proxy, "bare_realtime_x": seconds / t_bare_proxy,
                      "bare_command": " ".join(bare_cmd)}

        # thumbnails: poster + 10-frame strip
        t_thumbs, frames = timed(thumbs.video_thumbnails, local, info.duration, workdir / "poster.jpg",
                                 workdir / "strip.jpg", 10, 640, 320)
        times = [info.duration * (i + 0.5) / 10 for i in range(10)]
        start = time.perf_counter()
        for i, t in enumerate([*times, times[1]]):
            run(["ffmpeg", "-v", "error", "-y", "-ss", f"{t:.3f}", "-i", str(local), "-frames:v", "1",
                 "-vf", "scale=320:-2", str(workdir / f"thumb{i}.jpg")])
        t_bare_thumbs = time.perf_counter() - start
        r["thumbnails"] = {"ours": t_thumbs, "bare": t_bare_thumbs, "frames": frames}

        # whole pipeline on a recording row, counting bytes read from object storage
        wait_for_idle(f"{label} pipeline", IDLE_TIMEOUT[0])
        with session_scope() as s:
            rec = Recording(sha256=sha, size_bytes=size, media_kind="video", original_filename=clip.name,
                            object_key=key, status="verified", verified_at=utcnow(), started_at=utcnow())
            s.add(rec)
            s.flush()
            rec_id = rec.id
        read = {"bytes": 0}
        original_iter = store.iter_original

        def counting(k, chunk=8 * 1024 * 1024, version=None):
            for block in original_iter(k, chunk, version):
                read["bytes"] += len(block)
                yield block

        store.iter_original = counting
        cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        t_pipe, outcome = timed(pipeline.process, store, rec_id, "bench", allow_transcode=True)
        cpu1 = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        store.iter_original = original_iter
        bare_sum = t_curl + t_sum + t_ffprobe + t_bare_proxy + t_bare_thumbs
        r["pipeline"] = {"ours": t_pipe, "state": outcome.state, "bare_sum": bare_sum, "ratio": t_pipe / bare_sum,
                         "cpu_user_s": cpu1 - cpu0, "bytes_read_from_storage": read["bytes"],
                         "read_amplification": read["bytes"] / size}
        report["clips"][label] = r
        for f in workdir.glob("*.jpg"):
            f.unlink()
        local.unlink(missing_ok=True)
    print_table(report)
    return report


def print_table(report: dict) -> None:
    print(f"\n{'clip':6} {'step':12} {'ours s':>9} {'bare s':>9} {'ratio':>7}  notes")
    for label, r in report["clips"].items():
        d = r["download_hash"]
        bare_dl = d["bare_curl"] + d["bare_sha256sum"]
        print(f"{label:6} {'dl+hash':12} {d['ours']:9.2f} {bare_dl:9.2f} {d['ours'] / bare_dl:7.2f}  curl + sha256sum")
        p = r["probe"]
        print(f"{label:6} {'probe':12} {p['ours']:9.3f} {p['bare']:9.3f} {p['ours'] / p['bare']:7.2f}")
        x = r["proxy"]
        print(f"{label:6} {'proxy':12} {x['ours']:9.2f} {x['bare']:9.2f} {x['ours'] / x['bare']:7.2f}  "
              f"{x['method']}: {x['ours_realtime_x']:.1f}x realtime (bare {x['bare_realtime_x']:.1f}x); "
              f"RTF ratio ours/bare {x['ours_realtime_x'] / x['bare_realtime_x']:.2f}")
        t = r["thumbnails"]
        print(f"{label:6} {'thumbnails':12} {t['ours']:9.2f} {t['bare']:9.2f} {t['ours'] / t['bare']:7.2f}  "
              f"OpenCV vs 11 ffmpeg -ss runs")
        w = r["pipeline"]
        print(f"{label:6} {'pipeline':12} {w['ours']:9.2f} {w['bare_sum']:9.2f} {w['ratio']:7.2f}  "
              f"goal <= 1.15; read {w['read_amplification']:.3f}x of the original (goal <= 1.05); state {w['state']}")


if __name__ == "__main__":
    main()
