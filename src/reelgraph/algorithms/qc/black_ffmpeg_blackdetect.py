"""Black frames and black segments with the semantics of FFmpeg's ``blackdetect`` filter.

Reference: FFmpeg ``libavfilter/vf_blackdetect.c`` (options ``pix_th``, ``pic_th``, ``d``)
and its documentation, "blackdetect" in *FFmpeg Filters*. A pixel is black when its luma is
at most ``pix_th`` of the luma range; a picture is black when the fraction of black pixels
is at least ``pic_th``; a run of black pictures is reported when it lasts at least ``d``
seconds. FFmpeg measures the run from the first black frame's time stamp to the first
non-black one's, so a run of ``N`` frames at ``fps`` is reported when ``N / fps ≥ d``.

Two per-frame measurements are offered:

* :func:`black_ratio_from_luma` takes normalised ``Y′`` (0 = black, 1 = nominal white), as
  computed from ``R′G′B′`` with the stream's matrix; a pixel is black when ``Y′ ≤ pix_th``.
* :func:`black_ratio_from_codes` takes the decoded ``Y′`` plane as integer codes and applies
  FFmpeg's integer threshold exactly: ``⌊16·2^(b−8) + pix_th·219·2^(b−8)⌋`` for narrow range,
  ``⌊pix_th·(2^b − 1)⌋`` for full range, and ``code ≤ threshold``.

=================  ====================  ===============================================
input              dtype, shape          domain
=================  ====================  ===============================================
``luma``           float32 ``(H, W)``    ``Y′`` normalised, 0 = black; finite
``y_codes``        uint8/uint16 ``(H,W)`` ``Y′`` codes at ``bit_depth``
``ratios``         float ``(n,)``        per-frame black-pixel fraction in [0, 1]
returns            float / Finding list  fraction in [0, 1]; inclusive frame segments
=================  ====================  ===============================================

>>> import numpy as np
>>> frame = np.zeros((4, 4), np.float32); frame[0, 0] = 0.5
>>> black_ratio_from_luma(frame)
0.9375
>>> ratios = np.array([0.0] * 5 + [1.0] * 50 + [0.0] * 5)
>>> [(f.start_frame, f.end_frame) for f in detect_black(ratios, fps=25.0)]
[(5, 54)]
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc._frames import (
    check_fps,
    compare_scalar,
    frames_lasting,
    series_1d,
    validate_plane,
)
from reelgraph.algorithms.qc.findings import Finding, Severity, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = [
    "BlackParameters",
    "black_ratio_from_codes",
    "black_ratio_from_luma",
    "black_threshold_code",
    "detect_black",
]

STANDARD = "FFmpeg blackdetect"


@dataclass(frozen=True)
class BlackParameters:
    """Thresholds of the black check; the defaults are FFmpeg ``blackdetect``'s."""

    pixel_threshold: float = 0.10
    """``pix_th``: a pixel is black when its normalised luma is at most this (0–1)."""
    picture_threshold: float = 0.98
    """``pic_th``: a frame is black when at least this fraction of its pixels is black."""
    min_duration: float = 2.0
    """``d``: shortest black run reported, in seconds."""
    severity: Severity = "warning"
    """Severity of a reported run (black may be intended, e.g. at head and tail)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.pixel_threshold <= 1.0 or not 0.0 <= self.picture_threshold <= 1.0:
            raise AlgorithmError("pixel_threshold and picture_threshold must lie in [0, 1]")
        if self.min_duration < 0:
            raise AlgorithmError("min_duration must be >= 0 seconds")


def black_ratio_from_luma(luma: NDArray[np.float32], pixel_threshold: float = 0.10) -> float:
    """Fraction of pixels with normalised luma ``Y′ ≤ pixel_threshold`` (0 to 1)."""
    plane = validate_plane(luma, "luma")
    return _black_ratio(plane, pixel_threshold)


def _black_ratio(plane: NDArray[np.float32], pixel_threshold: float) -> float:
    black = cv2.countNonZero(compare_scalar(plane, float(pixel_threshold), cv2.CMP_LE))
    return black / plane.size


def black_threshold_code(pixel_threshold: float, bit_depth: int, full_range: bool) -> int:
    """FFmpeg's integer luma threshold (``pixel_black_th_i``) for a bit depth and range."""
    if not 8 <= bit_depth <= 16:
        raise AlgorithmError(f"bit_depth must be 8..16, got {bit_depth}")
    factor = 1 << (bit_depth - 8)
    if full_range:
        return int(pixel_threshold * ((1 << bit_depth) - 1))
    return int(16 * factor + pixel_threshold * (235 - 16) * factor)


def black_ratio_from_codes(
    y_codes: NDArray[np.integer],
    bit_depth: int,
    *,
    full_range: bool = False,
    pixel_threshold: float = 0.10,
) -> float:
    """Fraction of ``Y′`` codes at or below FFmpeg's integer black threshold."""
    if not isinstance(y_codes, np.ndarray) or y_codes.ndim != 2 or y_codes.size == 0:
        raise AlgorithmError("y_codes must be a non-empty 2-D integer array")
    if y_codes.dtype not in (np.uint8, np.uint16):
        raise AlgorithmError(f"y_codes must be uint8 or uint16, got {y_codes.dtype}")
    threshold = black_threshold_code(pixel_threshold, bit_depth, full_range)
    black = cv2.countNonZero(compare_scalar(y_codes, threshold, cv2.CMP_LE))
    return black / y_codes.size


def detect_black(
    ratios: ArrayLike,
    fps: float,
    params: BlackParameters | None = None,
) -> list[Finding]:
    """Black segments from per-frame black-pixel fractions, as ``blackdetect`` reports them.

    A frame is black when its ratio is at least ``picture_threshold``; a run of ``N`` black
    frames is reported when ``N / fps ≥ min_duration``. NaN ratios count as not black.
    """
    params = params or BlackParameters()
    check_fps(fps)
    values = series_1d(ratios, "ratios")
    with np.errstate(invalid="ignore"):
        black = values >= params.picture_threshold
    min_frames = max(1, frames_lasting(params.min_duration, fps))
    findings = []
    for start, end in mask_to_segments(black, min_frames=min_frames):
        seconds = (end - start + 1) / fps
        findings.append(
            Finding(
                check="black",
                severity=params.severity,
                start_frame=int(start),
                end_frame=int(end),
                value=float(seconds),
                limit=float(params.min_duration),
                standard=STANDARD,
                message=(
                    f"{end - start + 1} black frames ({seconds:.3f} s): at least "
                    f"{params.picture_threshold:.0%} of pixels at or below "
                    f"{params.pixel_threshold:.0%} luma"
                ),
            )
        )
    return findings
