"""Synthetic, seeded clips for the shot-boundary and take tests.

Real photographs (scikit-image's) slowly panned, so every shot has motion and texture; each
transition is placed at known frames. Frames are uint8 ``(H, W, 3)`` R′G′B′ at 25 fps.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from skimage import data

FPS = 25
WIDTH, HEIGHT = 320, 180

Frame = NDArray[np.uint8]


@lru_cache(maxsize=8)
def photo(name: str, scale: float = 2.0) -> NDArray[np.float32]:
    image = {
        "astronaut": data.astronaut,
        "coffee": data.coffee,
        "chelsea": data.chelsea,
        "rocket": data.rocket,
    }[name]()
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return np.asarray(big, dtype=np.float32)


def shot(name: str, frames: int, *, top: int = 40, left: int = 0, step: float = 1.0) -> list[Frame]:
    """A photograph panned ``step`` pixels per frame (sub-pixel steps are interpolated)."""
    image = photo(name)
    out = []
    for k in range(frames):
        x = left + step * k
        matrix = np.float32([[1, 0, -x], [0, 1, -top]])
        view = cv2.warpAffine(image, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
        out.append(np.clip(np.rint(view), 0, 255).astype(np.uint8))
    return out


def mix(a: Frame, b: Frame, alpha: float) -> Frame:
    return np.clip(np.rint((1 - alpha) * a.astype(np.float32) + alpha * b), 0, 255).astype(np.uint8)


def dissolve(a: list[Frame], b: list[Frame], length: int) -> list[Frame]:
    """``a``'s last ``length`` frames mixed into ``b``'s first ``length``: frames
    ``len(a) - length … len(a) - 1`` of the result are the mixed ones."""
    head = a[: len(a) - length]
    middle = [mix(a[len(a) - length + k], b[k], (k + 1) / (length + 1)) for k in range(length)]
    return head + middle + b[length:]


def fade_out(frames: list[Frame], length: int) -> list[Frame]:
    """The last ``length`` frames fade to black; the last one is the first black frame's
    predecessor (the clip ends on the fade's darkest non-black frame)."""
    black = np.zeros_like(frames[0])
    n = len(frames)
    return frames[: n - length] + [
        mix(frames[n - length + k], black, (k + 1) / (length + 1)) for k in range(length)
    ]


def fade_in(frames: list[Frame], length: int) -> list[Frame]:
    black = np.zeros_like(frames[0])
    return [mix(black, frames[k], (k + 1) / (length + 1)) for k in range(length)] + frames[length:]


def black(frames: int) -> list[Frame]:
    return [np.zeros((HEIGHT, WIDTH, 3), np.uint8) for _ in range(frames)]


def wipe(a: list[Frame], b: list[Frame], length: int) -> list[Frame]:
    """Left-to-right wipe over ``length`` frames, like :func:`dissolve`'s layout."""
    head = a[: len(a) - length]
    middle = []
    for k in range(length):
        edge = round(WIDTH * (k + 1) / (length + 1))
        frame = a[len(a) - length + k].copy()
        frame[:, :edge] = b[k][:, :edge]
        middle.append(frame)
    return head + middle + b[length:]


def flash(frames: list[Frame], at: int, length: int = 1, strength: float = 0.8) -> list[Frame]:
    """A camera flash: ``length`` frames from ``at`` blown towards white."""
    out = list(frames)
    for k in range(at, at + length):
        out[k] = mix(out[k], np.full_like(out[k], 255), strength)
    return out


def strobe(frames: list[Frame], start: int, end: int, period: int = 3) -> list[Frame]:
    """A strobe light: one bright frame in every ``period`` from ``start`` to ``end``."""
    out = list(frames)
    for k in range(start, end, period):
        out = flash(out, k, 1, 0.7)
    return out


def whip_pan(
    name: str, frames: int, *, top: int = 40, left: float = 0.0, peak: float = 80.0
) -> list[Frame]:
    """A whip-pan from ``left``: the camera accelerates to ``peak`` pixels per frame and
    stops on another part of the picture (about ``peak · frames / 2`` pixels on), with motion
    blur (the average of 8 sub-frame positions)."""
    image = photo(name)
    t = np.linspace(0.0, 1.0, frames + 1)
    # Smooth speed profile (raised cosine): slow, very fast, slow.
    speed = peak * 0.5 * (1 - np.cos(2 * np.pi * t))
    position = np.concatenate(([0.0], np.cumsum(speed[1:])))
    out = []
    for k in range(frames):
        acc = np.zeros((HEIGHT, WIDTH, 3), np.float32)
        for s in np.linspace(position[k], position[k + 1], 8, endpoint=False):
            matrix = np.float32([[1, 0, -(left + s)], [0, 1, -top]])
            acc += cv2.warpAffine(image, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
        out.append(np.clip(np.rint(acc / 8), 0, 255).astype(np.uint8))
    return out


def encode(frames: list[Frame], path: Path, fps: int = FPS) -> Path:
    """Write frames as H.264 4:2:0 (lossy, like camera files) with PyAV."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "18", "preset": "ultrafast", "threads": "1"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


# Clips with their ground truth: (frames, hard cuts, gradual [(kind, first, last)]).
Truth = tuple[list[Frame], list[int], list[tuple[str, int, int]]]


def hard_cuts_clip() -> Truth:
    frames = (
        shot("astronaut", 40)
        + shot("coffee", 35, top=80)
        + shot("chelsea", 30, step=-1.5, left=200)
    )
    return frames, [40, 75], []


def dissolve_clip() -> Truth:
    frames = dissolve(shot("astronaut", 50), shot("coffee", 50, top=80), 12)
    return frames, [], [("dissolve", 38, 49)]


def fades_clip() -> Truth:
    frames = (
        fade_out(shot("chelsea", 40, left=100), 15)
        + black(10)
        + fade_in(shot("rocket", 40, top=100), 15)
    )
    return frames, [], [("fade_out", 25, 39), ("fade_in", 50, 64)]


def wipe_clip() -> Truth:
    frames = wipe(shot("coffee", 45, top=60), shot("astronaut", 45, top=200), 10)
    return frames, [], [("wipe", 35, 44)]


def flash_clip() -> Truth:
    frames = flash(shot("astronaut", 60, step=0.5), 30)
    return frames, [], []


def strobe_clip() -> Truth:
    frames = strobe(shot("coffee", 60, top=60, step=0.7), 15, 45)
    return frames, [], []


def whip_pan_clip() -> Truth:
    frames = (
        shot("chelsea", 25, left=20, step=0.5)
        + whip_pan("chelsea", 12, left=32.5, peak=40.0)
        + shot("chelsea", 25, left=32.5 + 240, step=0.5)
    )
    return frames, [], []


CLIPS = {
    "hard_cuts": hard_cuts_clip,
    "dissolve": dissolve_clip,
    "fades": fades_clip,
    "wipe": wipe_clip,
    "flash": flash_clip,
    "strobe": strobe_clip,
    "whip_pan": whip_pan_clip,
}
