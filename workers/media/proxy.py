"""Browser-playable proxies with the ffmpeg binary (through ffmpeg-python).

Remux (copy the streams into a faststart MP4) when the codecs already play in browsers;
otherwise transcode to H.264 + AAC at most `max_height` high. Audio gets an M4A. ffmpeg's
autorotate applies rotation when transcoding; a remux keeps the rotation metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from workers.media.probe import MediaInfo, browser_audio, browser_video


@dataclass(frozen=True)
class ProxySettings:
    max_height: int = 720
    crf: int = 23
    preset: str = "veryfast"
    audio_bitrate: str = "128k"

    def fingerprint(self) -> str:
        return f"h{self.max_height}-crf{self.crf}-{self.preset}-a{self.audio_bitrate}-v1"


class ProxyError(Exception):
    pass


def plan(info: MediaInfo) -> tuple[str, str]:
    """(proxy kind, method): ('video'|'audio', 'remux'|'transcode')."""
    if info.kind == "video":
        return "video", "remux" if browser_video(info) else "transcode"
    return "audio", "remux" if browser_audio(info) else "transcode"


def _run(stream) -> None:
    try:
        stream.overwrite_output().global_args("-nostdin", "-v", "error").run(capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        raise ProxyError((exc.stderr or b"").decode("utf-8", "replace").strip()[-500:] or "ffmpeg failed") from None


def video_command(src: Path, out: Path, method: str, info: MediaInfo, s: ProxySettings):
    source = ffmpeg.input(str(src))
    streams = [source["v:0"]]
    if info.audio_codec:
        streams.append(source["a:0"])
    if method == "remux":
        return ffmpeg.output(*streams, str(out), c="copy", movflags="+faststart", f="mp4")
    video = source["v:0"].filter("scale", -2, f"trunc(min({s.max_height},ih)/2)*2").filter("format", "yuv420p")
    outputs = [video] + ([source["a:0"]] if info.audio_codec else [])
    audio = {"c:a": "aac", "b:a": s.audio_bitrate, "ac": 2} if info.audio_codec else {}
    return ffmpeg.output(*outputs, str(out), vcodec="libx264", preset=s.preset, crf=s.crf,
                         movflags="+faststart", f="mp4", **audio)


def audio_command(src: Path, out: Path, method: str, s: ProxySettings):
    source = ffmpeg.input(str(src))
    codec = {"c:a": "copy"} if method == "remux" else {"c:a": "aac", "b:a": s.audio_bitrate}
    return ffmpeg.output(source["a:0"], str(out), vn=None, movflags="+faststart", f="ipod", **codec)


def make_proxy(src: Path, out: Path, info: MediaInfo, s: ProxySettings) -> tuple[str, str]:
    """Write the proxy to `out`; returns (kind, method)."""
    kind, method = plan(info)
    if kind == "video":
        _run(video_command(src, out, method, info, s))
    else:
        _run(audio_command(src, out, method, s))
    if not out.exists() or out.stat().st_size == 0:
        raise ProxyError("ffmpeg wrote no output")
    return kind, method
