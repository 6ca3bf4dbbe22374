"""Hard cuts from content distances: PySceneDetect's adaptive threshold and a flash check.

References:

* B. Castellano, *PySceneDetect* ``AdaptiveDetector`` (``scenedetect/detectors/
  adaptive_detector.py``): frame ``i`` is a cut when its content distance ``d_i`` is at
  least ``min_content`` and at least ``adaptive_threshold`` times the mean of the distances
  of the ``window`` frames on each side (a cut is a lone spike; camera motion raises the
  neighbours too).
* Flash check — W. J. Heng and K. N. Ngan, "Post shot boundary detection technique: flashlight
  scene determination", *ISSPA* 1999: a flash is a short excursion after which the picture
  returns to what it was. Here the cut between ``i − 1`` and ``i`` is a flash edge when the
  picture on one side of it matches a picture within ``flash_frames`` on the other side
  (``P(a, b) ≤ flash_similarity · d_i`` for a pair ``a < i ≤ b`` spanning the edge, up to
  ``flash_frames + 1`` apart). A strobe is a run of such excursions.

Camera motion, a whip-pan included, changes the picture over several frames: its distances
rise and fall together, so no single frame stands ``adaptive_threshold`` times above its
neighbours.

=================  ==========================  ==========================================
input              dtype, shape                domain
=================  ==========================  ==========================================
``distances``      float ``(n,)``              ``d_i`` = distance(frame i−1, frame i),
                                               0–255; ``d_0`` is NaN (no previous frame)
``pairs``          float ``(n, flash_frames)`` ``pairs[b, g−2]`` = distance(b−g, b) for
                                               gaps g = 2 … flash_frames+1; NaN if absent
returns            list of (frame, confidence) frame = first frame of the new shot
=================  ==========================  ==========================================

>>> import numpy as np
>>> d = np.array([np.nan, 1, 1, 1, 60, 1, 1, 1])
>>> pairs = np.full((8, 3), 60.0)
>>> [frame for frame, _ in adaptive_cuts(d, pairs, HardCutParameters())]
[4]
>>> flash = np.array([np.nan, 1, 1, 1, 60, 60, 1, 1])   # frame 4 alone is bright
>>> pairs[5, 0] = 1.0                                  # frame 5 matches frame 3
>>> adaptive_cuts(flash, pairs, HardCutParameters())
[]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from reelgraph.errors import AlgorithmError

__all__ = ["HardCutParameters", "adaptive_cuts", "adaptive_ratio"]


@dataclass(frozen=True)
class HardCutParameters:
    """Thresholds of the hard-cut decision (defaults: PySceneDetect's AdaptiveDetector)."""

    min_content: float = 15.0
    """Smallest content distance (8-bit HSV units) that can be a cut."""
    adaptive_threshold: float = 3.0
    """A cut's distance is at least this many times its neighbours' mean."""
    window: int = 2
    """Neighbours on each side whose mean distance is the local reference."""
    flash_frames: int = 3
    """Longest excursion (frames) that the flash check treats as a flash, not a cut."""
    flash_similarity: float = 0.4
    """Pictures across an edge match when their distance is at most this fraction of it."""

    def __post_init__(self) -> None:
        if self.window < 1 or self.flash_frames < 1:
            raise AlgorithmError("window and flash_frames must be >= 1")
        if self.min_content < 0 or self.adaptive_threshold <= 0:
            raise AlgorithmError("min_content must be >= 0 and adaptive_threshold > 0")


def adaptive_ratio(distances: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """``d_i`` over the mean of the finite distances within ``window`` frames on each side.

    The mean is floored at one 8-bit unit so a change after perfectly still frames has a
    large, finite ratio.
    """
    d = np.asarray(distances, dtype=np.float64)
    n = d.size
    finite = np.isfinite(d)
    values = np.where(finite, d, 0.0)
    # Windowed sums by cumulative sums (vectorised), the centre frame taken out.
    csum = np.concatenate(([0.0], np.cumsum(values)))
    ccount = np.concatenate(([0], np.cumsum(finite)))
    index = np.arange(n)
    lo, hi = np.maximum(index - window, 0), np.minimum(index + window + 1, n)
    total = csum[hi] - csum[lo] - values
    count = ccount[hi] - ccount[lo] - finite
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return np.where(finite, values / np.maximum(mean, 1.0), np.nan)


def _is_flash_edge(
    i: int, d_i: float, pairs: NDArray[np.float64], params: HardCutParameters
) -> bool:
    n, gaps = pairs.shape
    limit = params.flash_similarity * d_i
    for g in range(2, gaps + 2):
        # Onset: the frame before the edge (i-1) matches a frame g later (i-1+g).
        onset = i - 1 + g
        if onset < n and pairs[onset, g - 2] <= limit:
            return True
        # Return: the frame after the edge (i) matches a frame g earlier (i-g).
        if i - g >= 0 and pairs[i, g - 2] <= limit:
            return True
    return False


def adaptive_cuts(
    distances: NDArray[np.float64],
    pairs: NDArray[np.float64],
    params: HardCutParameters,
) -> list[tuple[int, float]]:
    """Hard cuts as ``(first frame of the new shot, confidence)``.

    Confidence is ``1 − adaptive_threshold / (2·ratio)``: 0.5 at the threshold, → 1 for a
    spike far above its neighbours.
    """
    d = np.asarray(distances, dtype=np.float64)
    pairs = np.asarray(pairs, dtype=np.float64)
    if d.ndim != 1 or pairs.shape != (d.size, params.flash_frames):
        raise AlgorithmError(
            f"distances (n,) and pairs (n, {params.flash_frames}) must agree; "
            f"got {d.shape}, {pairs.shape}"
        )
    ratio = adaptive_ratio(d, params.window)
    with np.errstate(invalid="ignore"):
        candidate = (d >= params.min_content) & (ratio >= params.adaptive_threshold)
    cuts: list[tuple[int, float]] = []
    for i in np.flatnonzero(candidate):
        # Non-maximum suppression: the strongest spike within the window wins.
        lo, hi = max(0, i - params.window), min(d.size, i + params.window + 1)
        neighbourhood = np.where(candidate[lo:hi], d[lo:hi], -np.inf)
        if d[i] < neighbourhood.max():
            continue
        if _is_flash_edge(int(i), float(d[i]), pairs, params):
            continue
        confidence = float(np.clip(1.0 - params.adaptive_threshold / (2.0 * ratio[i]), 0.0, 1.0))
        cuts.append((int(i), round(confidence, 3)))
    return cuts
