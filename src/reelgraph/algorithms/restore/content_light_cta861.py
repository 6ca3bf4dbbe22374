"""Content light levels of HDR video: MaxCLL and MaxFALL.

Reference
    ANSI/CTA-861.3-A (2015), "HDR Static Metadata Extensions", Annex A (calculation of
    MaxCLL and MaxFALL): for every pixel take the largest of its linear-light R, G, B
    components in cd/m²; **MaxCLL** is the largest such value over the whole programme;
    a frame's average light level is the mean of those per-pixel maxima over the frame
    (the active picture), and **MaxFALL** is the largest frame average. The metadata
    carries both as integers in cd/m² (SMPTE ST 2086 carries the mastering display
    beside them).

==========================  ====================================================
quantity                    dtype, shape, unit
==========================  ====================================================
``max_component``           float ``(H, W)``, max(R, G, B) per pixel, cd/m²
``signal`` (helpers)        float32 ``(H, W, 3)`` PQ or HLG R'G'B' in [0, 1]
``max_cll``, ``max_fall``   float, cd/m² (0 before any frame)
==========================  ====================================================

>>> meter = ContentLightMeter()
>>> frame = np.full((4, 4), 100.0); frame[0, 0] = 1000.0
>>> meter.push(frame); meter.push(np.full((4, 4), 150.0))
>>> meter.max_cll, meter.max_fall
(1000.0, 156.25)
"""

from __future__ import annotations

import numpy as np

from reelgraph.algorithms.colour.standards import HDR_NOMINAL_PEAK
from reelgraph.algorithms.restore._checks import as_frame, check_positive
from reelgraph.algorithms.restore.transfer_bt2100 import hlg_eotf, pq_eotf_16bit
from reelgraph.errors import AlgorithmError

__all__ = ["ContentLightMeter", "max_component_nits"]


def max_component_nits(
    signal: np.ndarray, *, transfer: str, nominal_peak: float = HDR_NOMINAL_PEAK
) -> np.ndarray:
    """Per-pixel max(R, G, B) in cd/m² of an HDR R'G'B' frame (float32 ``(H, W)``).

    PQ's EOTF is applied per component and is increasing, so the largest component of
    the signal gives the largest light level: one plane through a 16-bit table
    (:func:`.pq_eotf_16bit`). HLG's EOTF has a luminance-dependent OOTF, so all three
    components are converted (at ``nominal_peak``) first.

    >>> white = np.full((1, 1, 3), 0.5806888810416109, np.float32)
    >>> round(float(max_component_nits(white, transfer="pq")[0, 0]))
    203
    """
    rgb = as_frame(signal, "signal")
    if transfer == "pq":
        return pq_eotf_16bit(rgb.max(axis=2))
    if transfer == "hlg":
        peak = check_positive(nominal_peak, "nominal_peak")
        return np.asarray(hlg_eotf(rgb, nominal_peak=peak), np.float32).max(axis=2)
    raise AlgorithmError(f"unknown transfer {transfer!r}", hint="use 'pq' or 'hlg'")


class ContentLightMeter:
    """Streaming MaxCLL / MaxFALL: push each frame's per-pixel max component (cd/m²)."""

    def __init__(self) -> None:
        self.max_cll = 0.0
        self.max_fall = 0.0
        self.frames = 0

    def push(self, max_component: np.ndarray) -> None:
        """Account one frame (``(H, W)`` max(R, G, B) in cd/m², finite, non-negative)."""
        levels = np.asarray(max_component, dtype=np.float64)
        if levels.ndim != 2 or levels.size == 0:
            raise AlgorithmError(
                f"max_component must be a non-empty (H, W) plane, got shape {levels.shape}"
            )
        if not np.all(np.isfinite(levels)):
            raise AlgorithmError("max_component contains NaN or infinite values")
        levels = np.maximum(levels, 0.0)
        self.max_cll = max(self.max_cll, float(levels.max()))
        self.max_fall = max(self.max_fall, float(levels.mean()))
        self.frames += 1
