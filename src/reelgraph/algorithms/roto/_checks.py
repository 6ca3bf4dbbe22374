"""Input checks shared by the rotoscoping algorithms (private)."""

from __future__ import annotations

import numpy as np

from reelgraph.errors import AlgorithmError


def as_matte(alpha: np.ndarray, name: str = "alpha") -> np.ndarray:
    """``alpha`` as C-contiguous float32 ``(H, W)`` in [0, 1]; NaN becomes 0 (not subject)."""
    if not isinstance(alpha, np.ndarray) or alpha.ndim != 2 or alpha.size == 0:
        shape = getattr(alpha, "shape", None)
        raise AlgorithmError(
            f"{name} must be a non-empty (H, W) array, got shape {shape}",
            hint="pass a single-channel matte, float in [0, 1]",
        )
    matte = np.ascontiguousarray(alpha, dtype=np.float32)
    low, high = float(matte.min()), float(matte.max())  # NaN propagates into both
    if low >= 0.0 and high <= 1.0:  # the common case: no copy, no extra passes
        return matte
    matte = np.nan_to_num(matte, nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(matte, 0.0, 1.0)


def as_guide(frame: np.ndarray, shape: tuple[int, int], name: str = "frame") -> np.ndarray:
    """``frame`` as C-contiguous float32 ``(H, W, 3)`` of the matte's size; NaN becomes 0."""
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3:
        raise AlgorithmError(
            f"{name} must be an (H, W, 3) R'G'B' array, got shape {getattr(frame, 'shape', None)}",
            hint="pass the frame as float32 R'G'B' in [0, 1]",
        )
    if frame.shape[:2] != shape:
        raise AlgorithmError(
            f"{name} is {frame.shape[1]}×{frame.shape[0]}, the matte {shape[1]}×{shape[0]}",
            hint="the matte and the frame must share one pixel grid",
        )
    image = np.ascontiguousarray(frame, dtype=np.float32)
    if np.isfinite(float(image.sum())):  # one pass; NaN or inf anywhere makes the sum so
        return image
    return np.nan_to_num(image, nan=0.0, posinf=1.0, neginf=0.0)
