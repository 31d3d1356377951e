"""ffprobe (through ffmpeg-python) and EXIF: what a file holds, or why it cannot be played."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import ffmpeg

BROWSER_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2"}
IMAGE_CONTAINERS = {"image2", "jpeg_pipe", "png_pipe", "webp_pipe", "bmp_pipe"}
# ffmpeg's own line (AVPROBE_SCORE_RETRY): at or below it ffmpeg warns "misdetection possible".
# Random bytes (a camera's log, a damaged file) now and then pass as raw H.263 or LRC at such a score;
# real recordings score 50 to 100, a JPEG without its extension 26.
GUESS_SCORE = 25


class Unplayable(Exception):
    """The original is kept, but it cannot be played; the message says why."""


@dataclass
class MediaInfo:
    kind: str  # video, audio, photo
    container: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    pix_fmt: str | None = None
    audio_codec: str | None = None
    frame_rate: float | None = None
    bitrate: int | None = None
    rotation: int = 0
    creation_time: datetime | None = None
    location: str | None = None
    extra: dict = field(default_factory=dict)

    def summary_json(self) -> str:
        data = asdict(self)
        data["creation_time"] = self.creation_time.isoformat() if self.creation_time else None
        return json.dumps(data, ensure_ascii=False, default=str)


def _rate(text: str | None) -> float | None:
    if not text or text in ("0/0", "0"):
        return None
    num, _, den = text.partition("/")
    try:
        return round(float(num) / float(den or 1), 3)
    except (ValueError, ZeroDivisionError):
        return None


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return int(round(float(side["rotation"]))) % 360
    rotate = (stream.get("tags") or {}).get("rotate")
    return int(rotate) % 360 if rotate and rotate.lstrip("-").isdigit() else 0


def _time(tags: dict) -> datetime | None:
    value = tags.get("creation_time")
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year < 2000:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _explain(stderr: str) -> str:
    text = stderr.strip().splitlines()[-1] if stderr.strip() else "ffprobe failed"
    if "moov atom not found" in stderr:
        return "corrupt: truncated MP4 (no moov atom)"
    if "Invalid data found" in stderr:
        return "not a media file (ffprobe: invalid data)"
    return f"corrupt: {text[-200:]}"


def probe(path: Path) -> MediaInfo:
    if path.stat().st_size == 0:
        raise Unplayable("zero length")
    try:
        data = ffmpeg.probe(str(path))
    except ffmpeg.Error as exc:
        raise Unplayable(_explain((exc.stderr or b"").decode("utf-8", "replace"))) from None
    fmt = data.get("format", {})
    container = fmt.get("format_name")
    score = fmt.get("probe_score")
    if isinstance(score, int) and score <= GUESS_SCORE:
        raise Unplayable(f"not a media file (ffprobe only guessed {container}, confidence {score} of 100)")
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    tags = fmt.get("tags") or {}
    duration = float(fmt["duration"]) if fmt.get("duration") not in (None, "N/A") else None
    if video is not None and container in IMAGE_CONTAINERS:
        kind = "photo"
    elif video is not None:
        kind = "video"
    elif audio is not None:
        kind = "audio"
    else:
        raise Unplayable("no video or audio stream")
    info = MediaInfo(
        kind=kind, container=container, duration=duration,
        width=int(video["width"]) if video and video.get("width") else None,
        height=int(video["height"]) if video and video.get("height") else None,
        video_codec=video.get("codec_name") if video else None,
        pix_fmt=video.get("pix_fmt") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        frame_rate=_rate(video.get("avg_frame_rate") or video.get("r_frame_rate")) if video else None,
        bitrate=int(fmt["bit_rate"]) if str(fmt.get("bit_rate", "")).isdigit() else None,
        rotation=_rotation(video) if video else 0,
        creation_time=_time(tags),
        location=tags.get("location") or tags.get("com.apple.quicktime.location.ISO6709"),
    )
    if kind == "video" and (duration is not None and duration <= 0):
        raise Unplayable("zero-length video (no frames)")
    if kind == "photo":
        info.duration = None
        info.extra.update(read_exif(path))
        info.location = info.location or info.extra.get("gps")
    return info


def read_exif(path: Path) -> dict:
    """Camera make/model, time taken and GPS of a photo (Pillow), where present."""
    from PIL import ExifTags, Image

    out: dict = {}
    try:
        with Image.open(path) as img:
            exif = img.getexif()
    except Exception:  # noqa: BLE001 - no EXIF is not an error
        return out
    named = {ExifTags.TAGS.get(k, str(k)): v for k, v in exif.items()}
    for key in ("Make", "Model", "Orientation", "DateTime"):
        if key in named:
            out[key.lower()] = str(named[key])
    taken = exif.get_ifd(0x8769).get(36867) or named.get("DateTime")  # DateTimeOriginal
    if taken:  # the camera's clock, without a zone: kept as text beside the UTC times
        try:
            out["taken_at_camera_clock"] = datetime.strptime(str(taken), "%Y:%m:%d %H:%M:%S").isoformat()
        except ValueError:
            pass
    gps = exif.get_ifd(0x8825)
    if gps and 2 in gps and 4 in gps:
        def deg(v):
            d, m, s = (float(x) for x in v)
            return d + m / 60 + s / 3600
        lat = deg(gps[2]) * (-1 if gps.get(1) == "S" else 1)
        lon = deg(gps[4]) * (-1 if gps.get(3) == "W" else 1)
        out["gps"] = f"{lat:+.6f}{lon:+.6f}/"
    return out


def browser_video(info: MediaInfo) -> bool:
    """Plays in browsers as it is: H.264 (8-bit 4:2:0) in MP4/MOV with AAC or MP3 audio or none."""
    return (info.container in BROWSER_CONTAINERS and info.video_codec == "h264"
            and info.pix_fmt in ("yuv420p", "yuvj420p") and info.audio_codec in (None, "aac", "mp3"))


def browser_audio(info: MediaInfo) -> bool:
    return info.container in BROWSER_CONTAINERS and info.audio_codec == "aac"
