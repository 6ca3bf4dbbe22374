"""Frozen frames and freeze segments with the semantics of FFmpeg's ``freezedetect`` filter.

Reference: FFmpeg ``libavfilter/vf_freezedetect.c`` and "freezedetect" in *FFmpeg Filters*.
Each frame is compared with a *reference* frame — the last frame that was not frozen — by
the mean absolute frame difference

    MAFD = Σ |x − x_ref| / (N · 2^b)

over all samples of all planes (``b`` the bit depth). A frame is frozen when
``MAFD ≤ noise`` (``n``, default 0.001, i.e. −60 dB); a frozen frame does not replace the
reference, so slow drift is caught. A freeze is reported when the picture stays on the
reference for at least ``d`` seconds: a run of ``N`` frozen frames after reference frame
``r`` covers frames ``r … r+N`` and is reported when ``(N + 1) / fps ≥ d``.

:class:`FreezeTracker` keeps the reference (one frame or plane) and yields the MAFD
series; :func:`detect_freeze` turns the per-frame "frozen" flags into findings. On 8-bit
codes MAFD is normalised by 2^8 as FFmpeg does (:func:`mafd` of ``R′G′B′`` codes equals its
value for ``rgb24`` input); on float planes in [0, 1] it is the plain mean, 256/255 of the
8-bit value. :class:`~reelgraph.algorithms.qc.VideoQC` measures it on luma ``Y′``, as
FFmpeg's ``yuv420p`` measure is dominated by its Y′ samples (2/3 of them); chroma-only
changes of a held picture are therefore not seen.

=============  =========================  =============================================
input          dtype, shape               domain
=============  =========================  =============================================
``frame``      uint8 codes or float32     any shape (``(H, W, 3)`` or a plane), [0, 1]
``frozen``     bool ``(n,)``              per-frame flag; frame 0 is never frozen
returns        float / Finding list       MAFD in [0, 1]; inclusive segments
=============  =========================  =============================================

Noise can be given in dB: ``noise = 10 ** (dB / 20)``, so −60 dB is 0.001.

>>> import numpy as np
>>> a = np.zeros((2, 2, 3), np.uint8); b = a.copy(); b[0, 0] = 128
>>> round(mafd(a, b), 6)
0.125
>>> frozen = np.array([False] * 10 + [True] * 60 + [False] * 5)
>>> [(f.start_frame, f.end_frame) for f in detect_freeze(frozen, fps=25.0)]
[(9, 69)]
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc._frames import check_finite, check_fps, frames_lasting, series_1d
from reelgraph.algorithms.qc.findings import Finding, Severity, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = [
    "FreezeParameters",
    "FreezeTracker",
    "detect_freeze",
    "mafd",
    "noise_from_db",
]

STANDARD = "FFmpeg freezedetect"


def noise_from_db(decibels: float) -> float:
    """Noise tolerance ratio from dB (``-60`` → ``0.001``), as freezedetect accepts both."""
    return float(10.0 ** (decibels / 20.0))


@dataclass(frozen=True)
class FreezeParameters:
    """Thresholds of the freeze check; the defaults are FFmpeg ``freezedetect``'s."""

    noise: float = 0.001
    """``n``: largest MAFD (ratio, 0–1) still counted as frozen; −60 dB by default."""
    min_duration: float = 2.0
    """``d``: shortest freeze reported, in seconds."""
    severity: Severity = "warning"
    """Severity of a reported freeze (a held frame may be intended)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.noise <= 1.0:
            raise AlgorithmError("noise must lie in [0, 1]; convert dB with noise_from_db()")
        if self.min_duration < 0:
            raise AlgorithmError("min_duration must be >= 0 seconds")


def mafd(
    frame: NDArray[np.uint8] | NDArray[np.float32],
    reference: NDArray[np.uint8] | NDArray[np.float32],
) -> float:
    """Mean absolute frame difference: codes normalised by 2^8, float planes as they are."""
    for name, array in (("frame", frame), ("reference", reference)):
        if not isinstance(array, np.ndarray) or array.size == 0:
            raise AlgorithmError(f"{name} must be a non-empty array")
        if array.dtype not in (np.uint8, np.float32):
            raise AlgorithmError(f"{name} must be uint8 codes or float32, got {array.dtype}")
        if array.dtype == np.float32:
            check_finite(array, name)
    if frame.shape != reference.shape or frame.dtype != reference.dtype:
        raise AlgorithmError(
            f"frame and reference differ: {frame.shape} {frame.dtype} vs "
            f"{reference.shape} {reference.dtype}"
        )
    return _mafd(frame, reference)


def _mafd(
    current: NDArray[np.uint8] | NDArray[np.float32],
    previous: NDArray[np.uint8] | NDArray[np.float32],
) -> float:
    difference = cv2.absdiff(current, previous)
    channels = difference.shape[2] if difference.ndim == 3 else 1
    if channels <= 4:
        mean = float(np.mean(cv2.mean(difference)[:channels]))
    else:
        mean = float(np.mean(difference, dtype=np.float64))
    return mean / 256.0 if current.dtype == np.uint8 else mean


class FreezeTracker:
    """Streaming MAFD against freezedetect's reference frame (keeps one frame in memory)."""

    def __init__(self, noise: float = 0.001) -> None:
        self.noise = float(noise)
        self._reference: NDArray[np.uint8] | NDArray[np.float32] | None = None

    def push(self, frame: NDArray[np.uint8] | NDArray[np.float32]) -> tuple[float, bool]:
        """MAFD of this frame (codes or float plane) against the reference; frozen or not.

        The first frame, and any frame whose shape or type differs from the reference,
        gives ``(nan, False)`` and becomes the reference.
        """
        reference = self._reference
        if reference is None or reference.shape != frame.shape or reference.dtype != frame.dtype:
            self._reference = frame.copy()
            return float("nan"), False
        value = _mafd(frame, reference)
        frozen = value <= self.noise
        if not frozen:
            self._reference = frame.copy()
        return value, frozen


def detect_freeze(
    frozen: ArrayLike,
    fps: float,
    params: FreezeParameters | None = None,
) -> list[Finding]:
    """Freeze segments from per-frame frozen flags (``True`` = equal to the reference).

    Each run of frozen frames starts one frame earlier, at its reference frame; the run is
    reported when its length including the reference lasts at least ``min_duration``.
    """
    params = params or FreezeParameters()
    check_fps(fps)
    flags = series_1d(frozen, "frozen", dtype=bool)
    if flags.size and flags[0]:
        raise AlgorithmError("frame 0 has no reference and cannot be frozen")
    # The reference frame before the run counts towards the duration.
    min_frames = max(1, frames_lasting(params.min_duration, fps) - 1)
    findings = []
    for first_frozen, end in mask_to_segments(flags, min_frames=min_frames):
        start = int(first_frozen) - 1
        frames = int(end) - start + 1
        seconds = frames / fps
        if seconds + 1e-9 < params.min_duration:
            continue
        findings.append(
            Finding(
                check="freeze",
                severity=params.severity,
                start_frame=start,
                end_frame=int(end),
                value=float(seconds),
                limit=float(params.min_duration),
                standard=STANDARD,
                message=(
                    f"picture frozen for {frames} frames ({seconds:.3f} s): mean absolute "
                    f"difference to frame {start} at most {params.noise:g}"
                ),
            )
        )
    return findings
