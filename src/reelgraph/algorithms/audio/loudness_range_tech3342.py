"""Loudness Range (LRA) of EBU Tech 3342.

Reference
---------
EBU Tech 3342 v4 (2023), *Loudness Range: a measure to supplement EBU R 128 loudness
normalisation*, §2 and its Annex (reference algorithm):

1. short-term loudness (BS.1770 K-weighting, 3 s sliding rectangular window), evaluated at
   least 10 times a second — here the 10 Hz short-term series of
   :mod:`~reelgraph.algorithms.audio.loudness_bs1770`;
2. absolute gate: drop values at or below −70 LUFS;
3. relative gate: drop values at or below (loudness of the mean power of the remaining
   windows) − 20 LU;
4. LRA = L_95 − L_10, the 95th minus the 10th percentile of the remaining values, with the
   nearest-rank rule of the Tech 3342 reference code:
   ``sorted[round((n − 1)·p / 100)]``.

Domain and range
----------------
======================  ================================================================
``samples``, ``rate``   as :func:`~reelgraph.algorithms.audio.loudness_bs1770.loudness_bs1770`
``short_term_power``    float64 ``(windows,)``: Σ_i G_i·z_i per 3 s window, >= 0
returns                 :class:`LoudnessRangeResult`: LRA in LU (>= 0, float); 0.0 when
                        fewer than one window passes the gates (programmes under 3 s,
                        silence), with ``windows_gated`` telling how many were used
======================  ================================================================

Example
-------
>>> import numpy as np
>>> t = np.arange(48000 * 20) / 48000
>>> tone = np.sin(2 * np.pi * 1000 * t)
>>> x = np.concatenate([10 ** (-20 / 20) * tone, 10 ** (-30 / 20) * tone])
>>> round(loudness_range(np.stack([x, x], axis=1), 48000).lra_lu, 1)
10.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike

from reelgraph.algorithms.audio._common import power_to_db
from reelgraph.algorithms.audio.loudness_bs1770 import LOUDNESS_OFFSET_DB, loudness_bs1770

__all__ = [
    "LRA_ABSOLUTE_GATE_LUFS",
    "LRA_HIGH_PERCENTILE",
    "LRA_LOW_PERCENTILE",
    "LRA_RELATIVE_GATE_LU",
    "LoudnessRangeResult",
    "loudness_range",
    "loudness_range_from_short_term",
]

#: Absolute gate of Tech 3342 §2, LUFS.
LRA_ABSOLUTE_GATE_LUFS: Final = -70.0
#: Relative gate of Tech 3342 §2, LU below the absolute-gated loudness.
LRA_RELATIVE_GATE_LU: Final = -20.0
#: Lower percentile of the distribution, %.
LRA_LOW_PERCENTILE: Final = 10.0
#: Upper percentile of the distribution, %.
LRA_HIGH_PERCENTILE: Final = 95.0


@dataclass(frozen=True)
class LoudnessRangeResult:
    """Loudness range and the statistics it came from."""

    lra_lu: float
    """L_95 − L_10, LU (0.0 when no window passes the gates)."""
    low_lufs: float
    """L_10, LUFS (``-inf`` when no window passes the gates)."""
    high_lufs: float
    """L_95, LUFS (``-inf`` when no window passes the gates)."""
    relative_gate_lufs: float
    """Relative gate, LUFS (``-inf`` when no window is above the absolute gate)."""
    windows_total: int
    """Short-term windows offered."""
    windows_gated: int
    """Windows above both gates, the ones the percentiles are taken from."""


def loudness_range_from_short_term(short_term_power: ArrayLike) -> LoudnessRangeResult:
    """LRA from the short-term (3 s) weighted mean squares Σ_i G_i·z_i, one per window."""
    power = np.asarray(short_term_power, dtype=np.float64).ravel()
    loudness = power_to_db(power, LOUDNESS_OFFSET_DB)
    above_absolute = loudness > LRA_ABSOLUTE_GATE_LUFS
    if not np.any(above_absolute):
        return LoudnessRangeResult(0.0, -math.inf, -math.inf, -math.inf, power.size, 0)
    # Relative gate from the mean power (not the mean of the dB values) of the gated windows.
    relative_gate = float(
        power_to_db(power[above_absolute].mean(), LOUDNESS_OFFSET_DB) + LRA_RELATIVE_GATE_LU
    )
    gated = np.sort(loudness[above_absolute & (loudness > relative_gate)])
    n = gated.size
    if n == 0:
        return LoudnessRangeResult(0.0, -math.inf, -math.inf, relative_gate, power.size, 0)
    # Nearest rank as the Tech 3342 reference code: round((n − 1)·p/100) (half away from 0).
    low = float(gated[math.floor((n - 1) * LRA_LOW_PERCENTILE / 100.0 + 0.5)])
    high = float(gated[math.floor((n - 1) * LRA_HIGH_PERCENTILE / 100.0 + 0.5)])
    return LoudnessRangeResult(high - low, low, high, relative_gate, power.size, n)


def loudness_range(
    samples: ArrayLike,
    rate: float,
    *,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
) -> LoudnessRangeResult:
    """Loudness range of a whole programme (EBU Tech 3342), short-term series at 10 Hz."""
    loudness = loudness_bs1770(samples, rate, layout=layout, channel_weights=channel_weights)
    return loudness_range_from_short_term(loudness.short_term_power)
