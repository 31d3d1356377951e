"""Poster frames, scrubbing strips and photo previews with OpenCV."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def _resize(frame: np.ndarray, width: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if w <= width:
        return frame
    return cv2.resize(frame, (width, max(2, round(h * width / w))), interpolation=cv2.INTER_AREA)


def _write_jpeg(frame: np.ndarray, out: Path, quality: int = 85) -> None:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    out.write_bytes(data.tobytes())


def video_thumbnails(src: Path, duration: float | None, poster: Path, strip: Path, count: int,
                     poster_width: int, frame_width: int) -> int:
    """A poster frame and a strip of `count` frames spread over the duration.

    Returns how many frames the strip holds (0: nothing decodable, no files written).
    OpenCV applies the stream's rotation itself.
    """
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        return 0
    try:
        length = duration or 0.0
        times = [length * (i + 0.5) / count for i in range(count)] if length > 0 else [0.0]
        frames = []
        for t in times:
            cap.set(cv2.CAP_PROP_POS_MSEC, t * 1000)
            ok, frame = cap.read()
            if ok and frame is not None:
                frames.append(frame)
        if not frames:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = cap.read()
            if not ok:
                return 0
            frames = [frame]
    finally:
        cap.release()
    poster_frame = frames[min(len(frames) - 1, max(0, len(frames) // 10))]
    _write_jpeg(_resize(poster_frame, poster_width), poster)
    tiles = [_resize(f, frame_width) for f in frames]
    height = min(t.shape[0] for t in tiles)
    tiles = [t[:height] for t in tiles]
    _write_jpeg(cv2.hconcat(tiles), strip, quality=75)
    return len(tiles)


def photo_preview(src: Path, preview: Path, poster: Path, max_side: int, poster_width: int) -> tuple[int, int]:
    """A resized JPEG preview and a poster of a photo (EXIF orientation applied). Returns (w, h)."""
    image = cv2.imread(str(src), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("the photo cannot be decoded")
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA) if scale < 1 else image
    _write_jpeg(resized, preview)
    _write_jpeg(_resize(image, poster_width), poster)
    return w, h
