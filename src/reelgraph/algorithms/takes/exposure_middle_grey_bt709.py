"""Exposure against middle grey, and clipped highlights and crushed shadows.

References: ITU-R BT.709-6 Item 1.2 (opto-electronic transfer, inverted here to get scene
luminance from ``Y′``: ``L = ((V + 0.099)/1.099)^(1/0.45)`` for ``V ≥ 0.081``, else
``V/4.5``); 18 % reflectance as middle grey (ISO 2720 / the photographic "18 % grey card"
that light meters are calibrated to). The exposure error in stops is
``log2(median L / 0.18)``: 0 for a frame whose median tone sits at middle grey, +1 for one
stop over. Clipping is the share of pixels at or above ``clip_level`` of ``Y′`` (blown
highlights: detail lost for good), crushing the share at or below ``crush_level``.

=============  ======================  ==========================================
input          dtype, shape            domain
=============  ======================  ==========================================
``luma``       float32 ``(H, W)``      ``Y′`` in [0, 1] (BT.709 encoded); finite
returns        :class:`Exposure`       stops (signed), shares in [0, 1]
=============  ======================  ==========================================

>>> import numpy as np
>>> grey = np.full((4, 4), 0.409, np.float32)          # BT.709 code of 18 % grey
>>> abs(measure_exposure(grey).stops) < 0.01
True
>>> measure_exposure(np.ones((4, 4), np.float32)).clipped
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from reelgraph.errors import AlgorithmError

__all__ = ["MIDDLE_GREY", "Exposure", "measure_exposure"]

#: Scene-linear luminance of middle grey (18 % reflectance).
MIDDLE_GREY = 0.18


@dataclass(frozen=True)
class Exposure:
    stops: float
    """Median tone relative to middle grey, in stops (positive: over-exposed)."""
    clipped: float
    """Share of pixels with ``Y′ ≥ clip_level`` (blown highlights)."""
    crushed: float
    """Share of pixels with ``Y′ ≤ crush_level`` (crushed shadows)."""


def _bt709_inverse_oetf(v: float) -> float:
    return ((v + 0.099) / 1.099) ** (1 / 0.45) if v >= 0.081 else v / 4.5


def measure_exposure(
    luma: NDArray[np.float32], clip_level: float = 0.98, crush_level: float = 0.02
) -> Exposure:
    """Exposure of one frame's ``Y′`` (see the module docstring)."""
    if not isinstance(luma, np.ndarray) or luma.ndim != 2 or luma.size == 0:
        raise AlgorithmError("luma must be a non-empty (H, W) array")
    median = float(np.median(luma))
    if not np.isfinite(median):
        raise AlgorithmError("luma contains NaN or infinite values")
    linear = max(_bt709_inverse_oetf(min(max(median, 0.0), 1.0)), 1e-4)
    return Exposure(
        stops=float(np.log2(linear / MIDDLE_GREY)),
        clipped=float(np.count_nonzero(luma >= clip_level) / luma.size),
        crushed=float(np.count_nonzero(luma <= crush_level) / luma.size),
    )
