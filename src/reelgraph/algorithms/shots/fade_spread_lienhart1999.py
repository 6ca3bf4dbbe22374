"""Fades to and from a monochrome picture, from the spread of each frame's luma.

Reference: R. Lienhart, "Comparison of automatic shot boundary detection algorithms", *SPIE
Storage and Retrieval for Image and Video Databases VII*, vol. 3656, 1999, §3.3 (after
Lienhart, Kuhmünch and Effelsberg 1997): during a fade the picture is scaled towards a
monochrome frame, so the spread of its intensities shrinks steadily to (nearly) zero
(fade-out) or grows from it (fade-in); a monochrome frame is one whose spread is below a
small threshold.

Lienhart measures the spread as the standard deviation. Here it is the 5–95 % percentile
range of luma: a caption or logo over black (a few percent of the pixels) leaves a black
frame's percentile range at zero, where it would hold its standard deviation well above any
usable threshold.

A fade-out is found by walking back from the first frame of a monochrome run while the
spread keeps rising (within ``tolerance``); its first frame follows the last frame still at
the shot's level (within ``plateau`` of the largest spread on the walk). A fade-in mirrors it.

=============  =====================  ==============================================
input          dtype, shape           domain
=============  =====================  ==============================================
``spread``     float ``(n,)``         per-frame luma 5–95 % range, 0–1; NaN: unknown
returns        list of tuples         ``(kind, first, last, confidence)``, inclusive
                                      frames that are neither the shot nor monochrome
=============  =====================  ==============================================

>>> import numpy as np
>>> spread = np.concatenate([np.full(10, 0.6), np.linspace(0.55, 0.05, 11), np.zeros(5)])
>>> fades(spread, FadeParameters())
[('fade_out', 10, 20, 1.0)]
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from reelgraph.errors import AlgorithmError

__all__ = ["FadeParameters", "fades", "luma_spread"]


@dataclass(frozen=True)
class FadeParameters:
    """Thresholds of the fade detector (spreads in luma units, 0–1)."""

    monochrome_spread: float = 0.01
    """A frame whose luma 5–95 % range is below this is monochrome (black, white, flat)."""
    tolerance: float = 0.01
    """Largest step against the fade's direction that still counts as the same fade."""
    plateau: float = 0.03
    """A frame within this fraction of the walk's largest spread is still the shot."""
    min_frames: int = 3
    """Shortest fade reported (frames)."""
    max_frames: int = 120
    """Longest fade looked for (frames)."""
    min_contrast: float = 0.1
    """The shot's own spread must reach this for a fade to be told from a dim picture."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_frames <= self.max_frames:
            raise AlgorithmError("need 1 <= min_frames <= max_frames")


def luma_spread(rgb: NDArray[np.uint8]) -> float:
    """5–95 % percentile range of an 8-bit ``R′G′B′`` frame's luma, 0–1 (by histogram)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    histogram = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(histogram) / max(1.0, float(histogram.sum()))
    low = int(np.searchsorted(cumulative, 0.05))
    high = int(np.searchsorted(cumulative, 0.95))
    return (high - low) / 255.0


def _linearity(values: NDArray[np.float64]) -> float:
    """R² of a straight line through the values (1 for a perfectly even fade)."""
    if values.size < 3:
        return 1.0
    x = np.arange(values.size, dtype=np.float64)
    total = float(((values - values.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    slope, intercept = np.polyfit(x, values, 1)
    residual = float(((values - (slope * x + intercept)) ** 2).sum())
    return max(0.0, 1.0 - residual / total)


def _walk(
    spread: NDArray[np.float64], edge: int, step: int, mono: NDArray[np.bool_], p: FadeParameters
) -> tuple[int, int] | None:
    """Frames of a fade that ends (``step = -1``: walking back) or starts next to ``edge``,
    as an inclusive, ordered ``(first, last)``, or None."""
    n = spread.size
    k = edge
    if not 0 <= k < n or mono[k] or not np.isfinite(spread[k]):
        return None
    while True:
        nxt = k + step
        if not 0 <= nxt < n or mono[nxt] or not np.isfinite(spread[nxt]):
            break
        if abs(nxt - edge) >= p.max_frames or spread[nxt] < spread[k] - p.tolerance:
            break
        k = nxt
    walk = spread[min(k, edge) : max(k, edge) + 1]
    level = float(walk.max())
    if level < p.min_contrast:
        return None
    at_level = np.flatnonzero(walk >= (1.0 - p.plateau) * level)
    if step < 0:  # fade-out: starts after the last frame still at the shot's level
        first = min(k, edge) + int(at_level.max()) + 1
        last = edge
    else:  # fade-in: ends at the first frame that reaches the level
        first = edge
        last = min(k, edge) + int(at_level.min()) - 1
    if last - first + 1 < p.min_frames:
        return None
    return first, last


def fades(spread: NDArray[np.float64], params: FadeParameters) -> list[tuple[str, int, int, float]]:
    """Fade-outs and fade-ins around every monochrome run of the clip."""
    s = np.asarray(spread, dtype=np.float64)
    if s.ndim != 1:
        raise AlgorithmError(f"spread must be 1-D, got shape {s.shape}")
    with np.errstate(invalid="ignore"):
        mono = s < params.monochrome_spread
    found: list[tuple[str, int, int, float]] = []
    edges = np.flatnonzero(np.diff(mono.astype(np.int8)))
    for e in edges:
        if mono[e + 1]:  # shot → monochrome between e and e+1: a fade-out may end at e
            span = _walk(s, int(e), -1, mono, params)
            kind = "fade_out"
        else:  # monochrome → shot: a fade-in may start at e+1
            span = _walk(s, int(e) + 1, +1, mono, params)
            kind = "fade_in"
        if span is not None:
            confidence = round(_linearity(s[span[0] : span[1] + 1]), 3)
            found.append((kind, span[0], span[1], confidence))
    return found
