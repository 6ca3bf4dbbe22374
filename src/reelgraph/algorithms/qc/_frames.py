"""Frame and per-frame series validation and the luma weights shared by the QC checks
(internal).

Luma ``Y′`` is the weighted sum of the gamma-encoded ``R′G′B′`` components with the
``K_R``, ``K_G``, ``K_B`` of the colour matrix: ITU-R BT.709-6 Item 3.2, ITU-R BT.2020-2
Table 4 (non-constant luminance), ITU-R BT.601-7 Item 2.5.1. The same weights applied to
linear-light ``RGB`` give relative luminance ``Y`` (BT.709 / IEC 61966-2-1 for sRGB).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar, cast

import cv2
import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from reelgraph.algorithms.colour.standards import LUMA_BT601, LUMA_BT709, LUMA_BT2020
from reelgraph.errors import AlgorithmError

Matrix = Literal["bt709", "bt2020", "bt601"]

#: (K_R, K_G, K_B) per colour matrix, from colour.standards. Those are float32 for frame
#: maths; the standards give the weights to four decimals, which restores them exactly
#: for the float64 sums done here (so white stays exactly 1.0).
LUMA_WEIGHTS: dict[str, tuple[float, float, float]] = {
    name: (round(float(k[0]), 4), round(float(k[1]), 4), round(float(k[2]), 4))
    for name, k in (("bt709", LUMA_BT709), ("bt2020", LUMA_BT2020), ("bt601", LUMA_BT601))
}

FloatImage = NDArray[np.float32]
ByteImage = NDArray[np.uint8]
#: A frame or plane (float32 values or 8-bit codes), returned as the type it was given.
Image = TypeVar("Image", bound=NDArray[Any])


def luma_weights(matrix: str) -> tuple[float, float, float]:
    """``(K_R, K_G, K_B)`` of a colour matrix, or an error listing the valid ones."""
    try:
        return LUMA_WEIGHTS[matrix]
    except KeyError:
        raise AlgorithmError(
            f"unknown colour matrix {matrix!r}; valid: {', '.join(LUMA_WEIGHTS)}"
        ) from None


def validate_rgb(
    frame: object, name: str = "frame", *, check_values: bool = True
) -> NDArray[np.float32] | NDArray[np.uint8]:
    """Check an ``(H, W, 3)`` ``R′G′B′`` frame: float32 in [0, 1] or uint8 codes.

    Float frames must be finite; NaN or inf raises :class:`AlgorithmError` (a decoder never
    produces them, so they mean an upstream bug that a QC report must not hide).
    ``check_values=False`` skips that scan for callers that check a derived plane instead.
    """
    if not isinstance(frame, np.ndarray):
        raise AlgorithmError(f"{name} must be a numpy array, got {type(frame).__name__}")
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise AlgorithmError(
            f"{name} must have shape (H, W, 3), got {frame.shape}",
            hint="pass R'G'B' frames as float32 (H, W, 3) in [0, 1]",
        )
    if frame.shape[0] < 1 or frame.shape[1] < 1:
        raise AlgorithmError(f"{name} is empty (shape {frame.shape})")
    if frame.dtype == np.uint8:
        return frame
    if frame.dtype != np.float32:
        raise AlgorithmError(
            f"{name} must be float32 (or uint8 codes), got {frame.dtype}",
            hint="convert with frame.astype(np.float32) and scale to [0, 1]",
        )
    if check_values:
        check_finite(frame, name)
    return frame


def validate_plane(plane: object, name: str = "plane") -> NDArray[np.float32]:
    """Check a single-channel ``(H, W)`` float32 plane (e.g. luma) and that it is finite."""
    if not isinstance(plane, np.ndarray):
        raise AlgorithmError(f"{name} must be a numpy array, got {type(plane).__name__}")
    if plane.ndim != 2:
        raise AlgorithmError(f"{name} must have shape (H, W), got {plane.shape}")
    if plane.shape[0] < 1 or plane.shape[1] < 1:
        raise AlgorithmError(f"{name} is empty (shape {plane.shape})")
    if plane.dtype != np.float32:
        raise AlgorithmError(f"{name} must be float32, got {plane.dtype}")
    check_finite(plane, name)
    return plane


def check_finite(array: NDArray[Any], name: str) -> None:
    """Raise if a float array holds NaN or inf (one summing pass; NaN and inf propagate)."""
    channels = array.shape[2] if array.ndim == 3 else 1
    if channels <= 4:
        total = float(sum(cv2.sumElems(array)))
    else:
        total = float(np.sum(array, dtype=np.float64))
    if not np.isfinite(total):
        raise AlgorithmError(
            f"{name} contains NaN or infinite values",
            hint="the frame is corrupt upstream; QC cannot measure it",
        )


def to_codes8(frame: NDArray[np.float32] | NDArray[np.uint8]) -> NDArray[np.uint8]:
    """8-bit codes of a (finite) ``R′G′B′`` frame: ``round(255·x)`` clipped to [0, 255]."""
    if frame.dtype == np.uint8:
        return cast("NDArray[np.uint8]", frame)
    # convertScaleAbs rounds and saturates but takes absolute values, so negative inputs
    # (rare: decoders clip) are clipped to 0 first.
    flat = frame.reshape(frame.shape[0], -1)
    lowest = cv2.minMaxLoc(flat)[0] if flat.flags.c_contiguous else float(frame.min())
    source = frame if lowest >= 0.0 else np.maximum(frame, np.float32(0.0))
    return np.asarray(cv2.convertScaleAbs(source, alpha=255.0))


def working_frame(frame: Image, max_width: int | None) -> Image:
    """The frame (or plane) area-averaged to at most ``max_width`` pixels wide, same dtype
    (``None``: unchanged)."""
    height, width = frame.shape[:2]
    if max_width is None or width <= max_width:
        return frame
    size = (max_width, max(1, round(height * max_width / width)))
    resized = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=frame.dtype)
    return cast("Image", resized)


def to_float(frame: NDArray[np.float32] | NDArray[np.uint8]) -> NDArray[np.float32]:
    """Float32 ``R′G′B′`` in [0, 1] from float32 or 8-bit codes."""
    if frame.dtype == np.float32:
        return cast("NDArray[np.float32]", frame)
    return np.asarray(frame, dtype=np.float32) * np.float32(1.0 / 255.0)


def luma(frame: NDArray[np.float32] | NDArray[np.uint8], matrix: str = "bt709") -> FloatImage:
    """``Y′ = K_R R′ + K_G G′ + K_B B′`` as float32 in [0, 1] (shape ``(H, W)``)."""
    k_r, k_g, k_b = luma_weights(matrix)
    scale = 1.0 / 255.0 if frame.dtype == np.uint8 else 1.0
    weights = np.array([[k_r * scale, k_g * scale, k_b * scale]], dtype=np.float32)
    source = frame if frame.dtype == np.float32 else frame.astype(np.float32)
    return np.asarray(cv2.transform(source, weights), dtype=np.float32).reshape(frame.shape[:2])


def compare_scalar(source: NDArray[Any], value: float, operation: int) -> NDArray[np.uint8]:
    """``cv2.compare`` of an array with a scalar: 255 where true, else 0 (uint8)."""
    # OpenCV accepts a Python scalar as the second operand; its stubs list arrays only.
    return np.asarray(cv2.compare(source, value, operation))  # type: ignore[call-overload]


def check_fps(fps: float) -> None:
    """Raise unless ``fps`` is a positive, finite number of frames per second."""
    if not np.isfinite(fps) or fps <= 0:
        raise AlgorithmError(f"fps must be a positive number, got {fps}")


def round_fps(fps: float) -> int:
    """Integer frames per second for frame-counted windows (as IRIS and FFmpeg round)."""
    check_fps(fps)
    return max(1, round(fps))


def frames_lasting(seconds: float, fps: float) -> int:
    """Fewest frames ``N`` whose duration ``N / fps`` reaches ``seconds`` (FFmpeg's ``d``)."""
    # FFmpeg compares durations in stream time-base units; a relative epsilon keeps
    # N/fps == d (e.g. 50 frames at 25 fps for d = 2) on the reported side.
    return int(np.ceil(seconds * fps - 1e-6))


def series_1d(values: ArrayLike, name: str, dtype: DTypeLike = np.float64) -> NDArray[Any]:
    """A per-frame series as a 1-D array of ``dtype``, or an error naming it."""
    series = np.asarray(values, dtype=dtype)
    if series.ndim != 1:
        raise AlgorithmError(f"{name} must be 1-D, got shape {series.shape}")
    return series


def equal_series(check: str, *values: ArrayLike) -> list[NDArray[np.float64]]:
    """The per-frame series of one check as float64, or an error unless all are 1-D and
    of one length (one value per frame)."""
    arrays = [np.asarray(series, dtype=np.float64) for series in values]
    if any(array.ndim != 1 or array.size != arrays[0].size for array in arrays):
        raise AlgorithmError(f"{check} series must be 1-D and of equal length")
    return arrays
