"""Synthetic, seeded clips for the QC tests: real photographs panned, cut and defaced.

Frames are float32 ``(H, W, 3)`` R′G′B′ in [0, 1] at 25 fps unless stated. Every defect is
placed at known frames so a test can say where it must be found.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from skimage import data

FPS = 25.0
WIDTH, HEIGHT = 320, 180

Frame = NDArray[np.float32]


@lru_cache(maxsize=4)
def _photo(name: str, scale: float) -> NDArray[np.float32]:
    image = {"astronaut": data.astronaut, "coffee": data.coffee, "chelsea": data.chelsea}[name]()
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return np.asarray(big, dtype=np.float32) / np.float32(255.0)


def pan(
    name: str,
    frames: int,
    step: int,
    *,
    top: int = 60,
    left: int = 0,
    width: int = WIDTH,
    height: int = HEIGHT,
    scale: float = 2.0,
) -> list[Frame]:
    """A photograph panned ``step`` pixels per frame (left to right)."""
    photo = _photo(name, scale)
    if left + step * (frames - 1) + width > photo.shape[1] or top + height > photo.shape[0]:
        raise ValueError("pan leaves the photograph; lower step or frames")
    return [
        np.ascontiguousarray(photo[top : top + height, left + step * k : left + step * k + width])
        for k in range(frames)
    ]


def clean_clip() -> list[Frame]:
    """6 s at 25 fps: a fast pan, a hard cut to another photograph, a cut back.

    Cuts at frames 60 and 110. Contains no defect: every check must stay silent.
    """
    return (
        pan("astronaut", 60, 4)
        + pan("coffee", 50, 6, top=100)
        + pan("astronaut", 40, 5, top=300, left=40)
    )


def static_clip(frames: int, name: str = "chelsea") -> list[Frame]:
    """A still photograph with a little seeded noise, so no two frames are identical."""
    base = pan(name, 1, 0, top=40)[0]
    rng = np.random.default_rng(7)
    return [
        np.clip(base + rng.normal(0.0, 0.004, base.shape).astype(np.float32), 0, 1)
        for _ in range(frames)
    ]


def with_black(frames: list[Frame], start: int, end: int) -> list[Frame]:
    """Frames ``start``..``end`` (inclusive) replaced by black."""
    out = list(frames)
    for k in range(start, end + 1):
        out[k] = np.zeros_like(frames[k])
    return out


def with_freeze(frames: list[Frame], start: int, end: int) -> list[Frame]:
    """Frames ``start + 1``..``end`` repeat frame ``start``: a freeze covering start..end."""
    out = list(frames)
    for k in range(start + 1, end + 1):
        out[k] = frames[start].copy()
    return out


def with_flashes(
    frames: list[Frame],
    start: int,
    end: int,
    period: int,
    *,
    on: int | None = None,
    box: tuple[slice, slice] | None = None,
    colour: tuple[float, float, float] = (1.0, 1.0, 1.0),
    off_colour: tuple[float, float, float] | None = None,
) -> list[Frame]:
    """A flash train in frames ``start``..``end``: ``on`` frames of ``colour`` per ``period``.

    ``box`` limits it to part of the screen; ``off_colour`` paints the off frames too
    (otherwise they show the picture).
    """
    on = period // 2 if on is None else on
    out = list(frames)
    region = box or (slice(None), slice(None))
    for k in range(start, end + 1):
        phase = (k - start) % period
        paint = colour if phase < on else off_colour
        if paint is None:
            continue
        frame = frames[k].copy()
        frame[region] = np.asarray(paint, dtype=np.float32)
        out[k] = frame
    return out


def with_offset_flicker(
    frames: list[Frame],
    start: int,
    end: int,
    amplitude: float,
    box: tuple[slice, slice] | None = None,
) -> list[Frame]:
    """Brightness alternately raised and lowered by ``amplitude`` in frames start..end."""
    out = list(frames)
    region = box or (slice(None), slice(None))
    for k in range(start, end + 1):
        frame = frames[k].copy()
        sign = 1.0 if (k - start) % 2 == 0 else -1.0
        frame[region] = np.clip(frame[region] + np.float32(sign * amplitude), 0.0, 1.0)
        out[k] = frame
    return out


def box_fraction(fraction: float, width: int = WIDTH, height: int = HEIGHT) -> tuple[slice, slice]:
    """A centred box covering ``fraction`` of a ``width × height`` frame."""
    side = np.sqrt(fraction)
    box_width, box_height = round(width * side), round(height * side)
    x0, y0 = (width - box_width) // 2, (height - box_height) // 2
    return slice(y0, y0 + box_height), slice(x0, x0 + box_width)


def encode(frames: list[Frame], path: Path, fps: float = FPS, codec: str = "libx264rgb") -> Path:
    """Write frames losslessly (H.264 RGB, crf 0) with PyAV."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=round(fps))
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "rgb24" if codec == "libx264rgb" else "yuv444p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        for frame in frames:
            codes = np.clip(np.rint(frame * 255.0), 0, 255).astype(np.uint8)
            video_frame = av.VideoFrame.from_ndarray(codes, format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def ycbcr_planes(
    frame: Frame, bit_depth: int = 8, subsample: int = 2
) -> tuple[NDArray[np.uint16], NDArray[np.uint16], NDArray[np.uint16]]:
    """Narrow-range BT.709 ``Y′C′bC′r`` codes of an ``R′G′B′`` frame (chroma box-averaged).

    Returned as uint16 for any depth; callers cast to uint8 for 8 bits.
    """
    k_r, k_b = 0.2126, 0.0722
    k_g = 1.0 - k_r - k_b
    r, g, b = (frame[..., i].astype(np.float64) for i in range(3))
    y = k_r * r + k_g * g + k_b * b
    cb = (b - y) / (2 * (1 - k_b))
    cr = (r - y) / (2 * (1 - k_r))
    scale = 1 << (bit_depth - 8)
    if subsample > 1:
        size = (frame.shape[1] // subsample, frame.shape[0] // subsample)
        cb = cv2.resize(cb, size, interpolation=cv2.INTER_AREA)
        cr = cv2.resize(cr, size, interpolation=cv2.INTER_AREA)

    def quantise(values: NDArray[np.float64], gain: float, offset: float) -> NDArray[np.uint16]:
        codes = np.rint((gain * values + offset) * scale)
        return np.clip(codes, 0, (1 << bit_depth) - 1).astype(np.uint16)

    return quantise(y, 219, 16), quantise(cb, 224, 128), quantise(cr, 224, 128)
