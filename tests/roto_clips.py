"""Seeded clips with a known alpha for the rotoscoping tests and benchmark.

A textured subject with soft edges (head and shoulders cut from the astronaut photograph
along a drawn, blurred outline — or a lobed blob) moves and grows over a second photograph
(grass, tinted) that pans the other way; an opaque pole (a third photograph) passes in
front of it half-way through the shot. Frames are made one at a time, so a
long clip costs no more memory than a short one. The true matte is the subject's
coverage minus whatever the pole hides.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage import data

Frame = NDArray[np.float32]


@lru_cache(maxsize=4)
def _photo(name: str) -> Frame:
    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return np.asarray(image, np.float32) / np.float32(255.0)


@dataclass(frozen=True)
class RotoClip:
    """Geometry of one synthetic shot (sizes in pixels of the frame)."""

    width: int = 320
    height: int = 180
    frames: int = 24
    pan: float = 0.004
    """Background pan per frame, as a share of the width (leftwards)."""
    travel: float = 0.3
    """How far the subject's centre moves over the shot, as a share of the width."""
    grow: float = 0.3
    """Scale change of the subject over the shot (0.3: it ends 30 % larger)."""
    softness: float = 0.012
    """Width of the subject's soft edge, as a share of the height."""
    occlusion: bool = True
    shape: str = "bust"
    """``bust``: head and shoulders of the astronaut photograph (a person); ``lobes``: a
    three-lobed blob cut from it (a subject no person segmenter knows)."""
    exit_at: int | None = None
    """Frame from which the subject runs out of the right edge of the frame (None: never)."""
    background: str = "grass"
    """The ``skimage.data`` photograph behind the subject (tinted green when grey)."""
    seed: int | None = None
    """None: the geometry above as given. A number draws another shot from it: the
    subject's start, travel (either way), growth or shrinking, sway, the pan's direction
    and speed, and where the pole crosses."""


@lru_cache(maxsize=4)
def _foliage(name: str) -> Frame:
    """A ``skimage.data`` photograph, grey ones (``grass``, ``gravel``, ``brick``) tinted
    green: a busy photographic texture with no object in it that a segmenter would take
    for the subject."""
    photo = _photo(name)
    if name in ("grass", "gravel", "brick"):
        photo = photo * np.array([0.55, 0.8, 0.45], np.float32)
    return photo


@lru_cache(maxsize=16)
def _path(clip: RotoClip) -> tuple[float, float, float, float, float, float]:
    """(start x, travel, grow, sway phase, pan, pole start) as shares of the frame."""
    if clip.seed is None:
        return 0.32, clip.travel, clip.grow, 0.0, clip.pan, 0.85
    rng = np.random.default_rng(clip.seed)
    travel = float(rng.uniform(0.15, 0.3)) * float(rng.choice([-1.0, 1.0]))
    start = 0.5 - travel / 2 + float(rng.uniform(-0.05, 0.05))
    grow = float(rng.uniform(-0.25, 0.35))
    pan = float(rng.uniform(0.002, 0.006)) * float(rng.choice([-1.0, 1.0]))
    return start, travel, grow, float(rng.uniform(0, 2 * np.pi)), pan, float(rng.uniform(0.8, 0.9))


def _background(clip: RotoClip, t: int) -> Frame:
    photo = _foliage(clip.background)
    scale = clip.height / photo.shape[0] * 1.2
    shift = -_path(clip)[4] * clip.width * t - 0.05 * clip.width
    affine = np.float32([[scale, 0, shift], [0, scale, -0.1 * clip.height]])
    return cv2.warpAffine(photo, affine, (clip.width, clip.height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)  # fmt: skip


def _subject_pose(clip: RotoClip, t: int) -> tuple[float, float, float]:
    u = t / max(1, clip.frames - 1)
    start, travel, grow, phase, _, _ = _path(clip)
    cx = (start + travel * u) * clip.width
    if clip.exit_at is not None and t >= clip.exit_at:
        cx += (t - clip.exit_at + 1) * 0.06 * clip.width
    cy = (0.5 + 0.05 * np.sin(2 * np.pi * u + phase)) * clip.height
    return float(cx), float(cy), 1.0 + grow * u


@lru_cache(maxsize=1)
def _bust() -> Frame:
    """A head-and-shoulders matte over the astronaut photograph (512×512), soft-edged:
    a person as a person segmenter sees one, with an alpha known exactly."""
    alpha = np.zeros((512, 512), np.float32)
    cv2.ellipse(alpha, (228, 116), (74, 96), 0, 0, 360, 1.0, -1)
    shoulders = np.array(
        [[36, 500], [44, 300], [90, 236], [170, 200], [290, 200], [370, 236], [412, 300],
         [420, 500]], np.int32
    )  # fmt: skip
    cv2.fillPoly(alpha, [shoulders], 1.0)
    alpha[500:] = 0.0
    return cv2.GaussianBlur(alpha, (0, 0), 3.0)


def _photo_affine(clip: RotoClip, t: int) -> np.ndarray:
    """Photo (512×512) → frame: the subject photograph centred on the subject's pose."""
    photo = _photo("astronaut")
    cx, cy, scale = _subject_pose(clip, t)
    size = 0.7 * clip.height * scale / photo.shape[0]
    return np.float32(
        [[size, 0, cx - size * photo.shape[1] / 2], [0, size, cy - size * photo.shape[0] / 2]]
    )


def subject_alpha(clip: RotoClip, t: int) -> Frame:
    """The subject's own coverage at frame t (before occlusion), float32 (H, W) in [0, 1]."""
    if clip.shape == "bust":
        return cv2.warpAffine(_bust(), _photo_affine(clip, t), (clip.width, clip.height),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)  # fmt: skip
    cx, cy, scale = _subject_pose(clip, t)
    radius = 0.26 * clip.height * scale
    ys, xs = np.mgrid[0 : clip.height, 0 : clip.width].astype(np.float32)
    dx, dy = xs - cx, ys - cy
    theta = np.arctan2(dy, dx)
    boundary = radius * (1.0 + 0.18 * np.sin(3 * theta + 0.4) + 0.06 * np.cos(5 * theta))
    softness = max(1.0, clip.softness * clip.height)
    alpha = np.clip((boundary - np.hypot(dx, dy)) / softness + 0.5, 0.0, 1.0)
    return alpha.astype(np.float32)


def _subject_texture(clip: RotoClip, t: int) -> Frame:
    # The texture moves and grows with the subject: photo centre -> subject centre.
    size = (clip.width, clip.height)
    return cv2.warpAffine(_photo("astronaut"), _photo_affine(clip, t), size,
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)  # fmt: skip


def _pole(clip: RotoClip, t: int) -> tuple[Frame, Frame]:
    """The occluder's colour and coverage at frame t."""
    coverage = np.zeros((clip.height, clip.width), np.float32)
    if clip.occlusion:
        u = t / max(1, clip.frames - 1)
        left = (_path(clip)[5] - 0.7 * u) * clip.width
        half = 0.025 * clip.width
        xs = np.arange(clip.width, dtype=np.float32)
        row = np.clip(np.minimum(xs - (left - half), (left + half) - xs) + 0.5, 0.0, 1.0)
        coverage[:] = row[None, :]
    photo = _photo("camera")
    colour = cv2.resize(photo, (clip.width, clip.height), interpolation=cv2.INTER_AREA)
    return colour * np.float32(0.6), coverage


def pole_coverage(clip: RotoClip, t: int) -> Frame:
    """The occluder's coverage at frame t, float32 (H, W) in [0, 1] (all of it, where it
    hides the subject and where it does not)."""
    return _pole(clip, t)[1]


def frame_and_truth(clip: RotoClip, t: int) -> tuple[Frame, Frame]:
    """R'G'B' frame t and its true matte, float32 (H, W, 3) and (H, W)."""
    alpha = subject_alpha(clip, t)
    frame = _background(clip, t)
    frame += alpha[..., None] * (_subject_texture(clip, t) - frame)
    pole, cover = _pole(clip, t)
    frame += cover[..., None] * (pole - frame)
    truth = alpha * (1.0 - cover)
    return np.clip(frame, 0.0, 1.0).astype(np.float32), truth.astype(np.float32)


def clip_frames(clip: RotoClip) -> Iterator[tuple[Frame, Frame]]:
    """(frame, true matte) for every frame of the clip, made one at a time."""
    for t in range(clip.frames):
        yield frame_and_truth(clip, t)
