"""Input checks shared by the restoration algorithms (private).

Every public function of the family validates its frames here, so a bad frame fails the
same way everywhere: an :class:`~reelgraph.errors.AlgorithmError` that says what is wrong
and what to do, never a cryptic OpenCV assertion or a silently corrupted result.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from reelgraph.algorithms.colour.standards import LUMA_BT709
from reelgraph.errors import AlgorithmError

#: Largest value accepted in a display-referred R'G'B' frame. Super-whites of narrow-range
#: video decode to about 1.09 and resampling overshoots a little further; anything far
#: above is almost certainly an integer code-value frame stored as float.
MAX_DISPLAY_VALUE = 2.0


def as_frame(frame: np.ndarray, name: str = "frame", *, allow_above: bool = False) -> np.ndarray:
    """Return ``frame`` as a C-contiguous float32 ``(H, W, 3)`` array or raise.

    Raises :class:`AlgorithmError` for a wrong shape (including a 4-channel RGBA frame),
    an integer dtype, an empty frame, non-finite values, or values in a code-value range
    (e.g. 0-1023). ``allow_above`` skips the range check (linear-light inputs).
    """
    if not isinstance(frame, np.ndarray):
        raise AlgorithmError(
            f"{name} must be a numpy array, got {type(frame).__name__}",
            hint="pass a float32 array of shape (H, W, 3)",
        )
    if frame.ndim == 3 and frame.shape[2] == 4:
        raise AlgorithmError(
            f"{name} has 4 channels (an alpha channel?); restoration works on R'G'B' only",
            hint="split alpha off (rgb = frame[..., :3]), restore rgb, and re-attach alpha",
        )
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise AlgorithmError(
            f"{name} must have shape (H, W, 3), got {frame.shape}",
            hint="stack grey frames to 3 channels: np.repeat(frame[..., None], 3, axis=2)",
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise AlgorithmError(f"{name} is empty: shape {frame.shape}", hint="pass a non-empty frame")
    if not np.issubdtype(frame.dtype, np.floating):
        raise AlgorithmError(
            f"{name} has integer dtype {frame.dtype}; frames are float32 in [0, 1]",
            hint="convert code values: frame.astype(np.float32) / (2**bit_depth - 1)",
        )
    out = np.ascontiguousarray(frame, dtype=np.float32)
    lo, hi = float(out.min()), float(out.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise AlgorithmError(
            f"{name} contains NaN or infinite values",
            hint="find the stage that produced them, or clean with np.nan_to_num(frame)",
        )
    if not allow_above and hi > MAX_DISPLAY_VALUE:
        raise AlgorithmError(
            f"{name} has values up to {hi:g}; display-referred R'G'B' frames are in [0, 1]",
            hint="divide code values by 2**bit_depth - 1 (e.g. 1023 for 10-bit)",
        )
    return out


def as_window(
    window: Sequence[np.ndarray] | np.ndarray, centre: int, name: str = "window"
) -> list[np.ndarray]:
    """Validate a temporal window (frames of equal shape) and the index of its centre frame."""
    frames = list(window)
    if not frames:
        raise AlgorithmError(f"{name} is empty", hint="pass at least the frame to restore")
    if not -len(frames) <= centre < len(frames):
        raise AlgorithmError(
            f"centre index {centre} is outside a window of {len(frames)} frames",
            hint="centre is the position of the frame to restore inside the window",
        )
    checked = [as_frame(f, f"{name}[{i}]") for i, f in enumerate(frames)]
    shape = checked[0].shape
    for i, f in enumerate(checked):
        if f.shape != shape:
            raise AlgorithmError(
                f"{name}[{i}] has shape {f.shape}, {name}[0] has {shape}",
                hint="all frames of a temporal window must have the same size",
            )
    return checked


def check_positive(value: float, name: str) -> float:
    """Return ``value`` as float if finite and > 0, else raise."""
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise AlgorithmError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def check_non_negative(value: float, name: str) -> float:
    """Return ``value`` as float if finite and >= 0, else raise."""
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise AlgorithmError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def luma_bt709(frame: np.ndarray) -> np.ndarray:
    """Y' = 0.2126 R' + 0.7152 G' + 0.0722 B' (ITU-R BT.709-6 item 3.2), float32 (H, W)."""
    weights = LUMA_BT709[None, :]
    return cv2.transform(np.ascontiguousarray(frame, dtype=np.float32), weights)


def to_u8(frame: np.ndarray) -> np.ndarray:
    """Round a [0, 1] float frame to uint8 code values (clipped)."""
    return np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8)
