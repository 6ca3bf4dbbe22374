"""Flicker of static regions: frame-to-frame change of a restored clip where the source is
still, compared with the source's own change there.

Reference
    reelgraph's own measure (not a published metric), the one plate restoration issue 3
    names for checking that restoration "must not add flicker": the frame-to-frame
    difference of static regions. Pixels are *static* where the source's low-passed luma
    barely changes between two frames and is locally flat (so motion cannot change it
    either); over those pixels the mean absolute temporal change is taken, before (the
    source) and after (the restored clip, brought back to the source's raster by area
    averaging). Both are low-passed (``box`` × ``box`` area average) so the measure sees
    flicker — slow, area-wide brightness changes — more than per-pixel noise, which the
    denoiser's own metric covers. Motion-compensated flicker of moving content is the QC
    family's job (:mod:`reelgraph.algorithms.qc.flicker_warping_lai2018`); it also reacts
    to sharpening (a sharper picture has a larger warping error), which is why restoration
    is judged on still regions here.

===================  ====================================================================
quantity             domain / unit
===================  ====================================================================
``source``           float32 ``(H, W, 3)`` R'G'B' [0, 1], the frame before restoration
``restored``         float32 ``(h, w, 3)`` R'G'B', any size (area-resized to ``(H, W)``)
change, flicker      mean \\|ΔY'\\| per frame over static pixels, Y' units (× 255 = 8-bit
                     codes); NaN when a pair has no static pixel
===================  ====================================================================

>>> rng = np.random.default_rng(0)
>>> flat = np.full((64, 64, 3), 0.5, np.float32)
>>> meter = StaticFlickerMeter()
>>> for k in range(4):
...     noisy = flat + rng.normal(0, 0.01, flat.shape).astype(np.float32)
...     meter.push(noisy, flat + 0.004 * (k % 2))  # restored: clean but pumping
>>> round(meter.after * 255, 2), meter.pairs
(1.02, 3)
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from reelgraph.algorithms.restore._checks import as_frame, luma_bt709
from reelgraph.errors import AlgorithmError

__all__ = ["StaticFlickerMeter"]

#: Source change (Y', after the box filter) below which a pixel counts as still.
STILL_CHANGE = 3.0 / 255.0
#: Gradient magnitude (Sobel 3×3 on the box-filtered luma) below which a pixel is flat.
FLAT_GRADIENT = 8.0 / 255.0


class StaticFlickerMeter:
    """Streaming before/after flicker over static regions; holds the previous pair only."""

    def __init__(self, box: int = 4) -> None:
        if box < 1:
            raise AlgorithmError(f"box must be >= 1, got {box!r}")
        self.box = int(box)
        self._previous: tuple[np.ndarray, np.ndarray] | None = None
        self._before = 0.0
        self._after = 0.0
        self._share = 0.0
        self.pairs = 0
        """Frame pairs that had static pixels (and were measured)."""
        self.frames = 0

    def _low(self, luma: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        if luma.shape[::-1] != size:
            luma = cv2.resize(luma, size, interpolation=cv2.INTER_AREA)
        width, height = size
        small = (max(1, width // self.box), max(1, height // self.box))
        return np.asarray(cv2.resize(luma, small, interpolation=cv2.INTER_AREA), np.float32)

    def push(self, source: np.ndarray, restored: np.ndarray) -> None:
        """Measure the next frame pair (the source frame and its restored version)."""
        src = as_frame(source, "source")
        out = as_frame(restored, "restored", allow_above=True)
        size = (src.shape[1], src.shape[0])
        current = (self._low(luma_bt709(src), size), self._low(luma_bt709(out), size))
        previous, self._previous = self._previous, current
        self.frames += 1
        if previous is None or previous[0].shape != current[0].shape:
            return
        before = np.abs(current[0] - previous[0])
        gx = cv2.Sobel(current[0], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(current[0], cv2.CV_32F, 0, 1, ksize=3)
        still = (before < STILL_CHANGE) & (np.hypot(gx, gy) < FLAT_GRADIENT)
        if not still.any():
            return
        after = np.abs(current[1] - previous[1])
        self._before += float(before[still].mean())
        self._after += float(after[still].mean())
        self._share += float(still.mean())
        self.pairs += 1

    @property
    def before(self) -> float:
        """Mean source change over static pixels per frame pair (Y'); NaN if unmeasured."""
        return self._before / self.pairs if self.pairs else math.nan

    @property
    def after(self) -> float:
        """Mean restored change over the same pixels (Y'); NaN if unmeasured."""
        return self._after / self.pairs if self.pairs else math.nan

    @property
    def static_share(self) -> float:
        """Average share of the (box-filtered) picture that counted as static."""
        return self._share / self.pairs if self.pairs else math.nan
