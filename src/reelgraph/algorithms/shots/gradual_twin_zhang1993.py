"""Gradual transitions: twin-comparison candidates, classified by the model that explains them.

References:

* H. J. Zhang, A. Kankanhalli and S. W. Smoliar, "Automatic partitioning of full-motion
  video", *Multimedia Systems* 1(1), 1993, §3.2 "twin-comparison": frame distances above a
  low threshold ``T_s`` open a candidate; it closes when they fall back; it is a transition
  when the accumulated change — here the distance between the last frame before and the
  first frame after — reaches the cut threshold ``T_b``.
* R. Lienhart, "Comparison of automatic shot boundary detection algorithms", *SPIE Storage
  and Retrieval for Image and Video Databases VII*, 1999, §3: a dissolve is the linear mix
  ``F_t = (1 − α_t)·A + α_t·B`` with ``α_t`` rising from 0 to 1; a fade is a dissolve whose
  ``A`` (fade-in) or ``B`` (fade-out) is a monochrome picture (luma standard deviation near
  zero).
* A wipe moves a boundary across the picture: every pixel of an intermediate frame is either
  ``A``'s or ``B``'s, and the share that is ``B``'s grows.

A candidate that none of the models explains — a pan, a whip-pan, a person crossing the
frame — is not a transition.

=============  ============================  ==========================================
input          dtype, shape                  domain
=============  ============================  ==========================================
``before``     uint8 ``(H, W, 3)``           ``A``: last frame before the candidate
``middle``     uint8 ``(T, H, W, 3)``        the candidate's frames, T ≥ 1
``after``      uint8 ``(H, W, 3)``           ``B``: first frame after it
returns        (kind, confidence) or None    kind: dissolve, fade_in, fade_out, wipe
=============  ============================  ==========================================

>>> import numpy as np
>>> a = np.zeros((8, 8, 3), np.uint8); a[:, :4] = 200
>>> b = np.zeros((8, 8, 3), np.uint8); b[4:] = 120
>>> mix = np.stack([((1 - t) * a + t * b).astype(np.uint8) for t in (0.25, 0.5, 0.75)])
>>> classify_gradual(a, mix, b, GradualParameters())[0]
'dissolve'
>>> classify_gradual(a, mix, np.zeros_like(b), GradualParameters()) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from reelgraph.errors import AlgorithmError

__all__ = ["GradualParameters", "classify_gradual", "mix_fit", "wipe_fit"]


@dataclass(frozen=True)
class GradualParameters:
    """Thresholds of the gradual-transition detector."""

    low_factor: float = 1.8
    """``T_s``: a frame opens or extends a candidate when its distance exceeds this many
    times the recent typical (median) distance of the shot ..."""
    low_floor: float = 1.5
    """... and at least this (8-bit HSV units), so still pictures' noise never opens one."""
    run_drop: float = 0.5
    """A candidate also closes when distances fall below this fraction of its median."""
    min_frames: int = 3
    """Shortest candidate (frames changing) that can be a gradual transition."""
    max_frames: int = 60
    """Longest candidate examined (frames); longer runs are continuous motion."""
    mix_residual: float = 0.25
    """A frame fits the linear mix when its residual is at most this fraction of |B − A|."""
    wipe_explained: float = 0.85
    """A frame fits a wipe when at least this share of its pixels is A's or B's."""
    monochrome_std: float = 0.03
    """A picture is monochrome (black, white, a flat colour) below this luma std (0–1)."""

    def __post_init__(self) -> None:
        if not 2 <= self.min_frames <= self.max_frames:
            raise AlgorithmError("need 2 <= min_frames <= max_frames")


def _flat(frames: NDArray[np.uint8]) -> NDArray[np.float32]:
    return np.asarray(frames, dtype=np.float32).reshape(frames.shape[0], -1) / np.float32(255.0)


def mix_fit(
    before: NDArray[np.uint8], middle: NDArray[np.uint8], after: NDArray[np.uint8]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Least-squares ``α_t`` of each middle frame as ``A + α(B − A)`` and its residual.

    The residual is ``‖F_t − A − α_t(B − A)‖ / ‖B − A‖`` (0 for an exact mix).
    """
    a, b = _flat(before[None])[0], _flat(after[None])[0]
    f = _flat(middle)
    direction = b - a
    norm2 = float(direction @ direction)
    if norm2 <= 1e-12:
        return np.zeros(len(f)), np.full(len(f), np.inf)
    alpha = ((f - a) @ direction) / norm2
    residual = f - a - alpha[:, None] * direction
    return alpha.astype(np.float64), np.sqrt(np.einsum("ij,ij->i", residual, residual) / norm2)


def wipe_fit(
    before: NDArray[np.uint8],
    middle: NDArray[np.uint8],
    after: NDArray[np.uint8],
    tolerance: float = 0.08,
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """How well a wipe explains the middle frames.

    Returns the share of pixels where ``A`` and ``B`` differ (by more than ``tolerance``),
    and per middle frame, among those pixels, the share equal (within ``tolerance``) to
    ``A``'s or ``B``'s and the share that is ``B``'s. Frames are compared at a quarter of
    their size so the shots' own slow motion stays within the tolerance.
    """

    def coarse(frame: NDArray[np.uint8]) -> NDArray[np.float32]:
        gray = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        size = (max(1, gray.shape[1] // 4), max(1, gray.shape[0] // 4))
        small = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), np.float32)
        return small * np.float32(1.0 / 255.0)

    a, b = coarse(before), coarse(after)
    f = np.stack([coarse(frame) for frame in middle])
    differs = np.abs(b - a) > tolerance
    count = int(differs.sum())
    if count == 0:
        return 0.0, np.zeros(len(f)), np.zeros(len(f))
    near_a = np.abs(f - a) <= tolerance
    near_b = np.abs(f - b) <= tolerance
    explained = ((near_a | near_b) & differs).reshape(len(f), -1).sum(axis=1) / count
    share_b = (near_b & ~near_a & differs).reshape(len(f), -1).sum(axis=1) / count
    return count / differs.size, explained.astype(np.float64), share_b.astype(np.float64)


def _luma_std(frame: NDArray[np.uint8]) -> float:
    return float(np.asarray(frame, np.float32).mean(axis=2).std() / 255.0)


def _rising(values: NDArray[np.float64], slack: float = 0.1) -> bool:
    """Values go up overall (start low, end high) and never fall back by more than slack."""
    if values.size == 0:
        return False
    drops = np.maximum.accumulate(values) - values
    return bool(values[-1] - values[0] >= 0.3 or values.size == 1) and bool(drops.max() <= slack)


def classify_gradual(
    before: NDArray[np.uint8],
    middle: NDArray[np.uint8],
    after: NDArray[np.uint8],
    params: GradualParameters,
) -> tuple[str, float] | None:
    """The kind of transition from ``before`` through ``middle`` to ``after``, or None."""
    if middle.ndim != 4 or middle.shape[1:] != before.shape or before.shape != after.shape:
        raise AlgorithmError(
            f"frames must share one shape; got {before.shape}, {middle.shape}, {after.shape}"
        )
    mono_a = _luma_std(before) < params.monochrome_std
    mono_b = _luma_std(after) < params.monochrome_std
    if mono_a and mono_b:
        return None  # one flat picture to another (e.g. black to white): no shot changes
    alpha, residual = mix_fit(before, middle, after)
    fit = float(np.median(residual))
    if fit <= params.mix_residual and _rising(alpha) and 0.0 < alpha.mean() < 1.0:
        kind = "fade_in" if mono_a else "fade_out" if mono_b else "dissolve"
        return kind, round(float(np.clip(1.0 - fit / (2 * params.mix_residual), 0.0, 1.0)), 3)
    differing, explained, share_b = wipe_fit(before, middle, after)
    wipe_like = differing >= 0.3 and explained.min() >= params.wipe_explained
    if wipe_like and _rising(share_b) and share_b[0] < 0.5 < share_b[-1]:
        # A wipe's middle frames split into A's and B's pixels; a dissolve's do not.
        confidence = float(np.clip((explained.mean() - params.wipe_explained) * 4 + 0.5, 0, 1))
        return "wipe", round(confidence, 3)
    return None
