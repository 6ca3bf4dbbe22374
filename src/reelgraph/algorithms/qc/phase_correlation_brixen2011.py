"""Inter-channel phase correlation of a channel pair, as a correlation meter reads it.

Reference: E. B. Brixen, *Metering Audio*, 2nd ed., Focal Press 2011, "Phase and
correlation meters": the correlation coefficient of a stereo pair over a short integration
time,

    r = Σ L·R / √(Σ L² · Σ R²)                                            (1)

reads +1 for identical channels (mono), 0 for unrelated ones (wide stereo), and −1 when one
channel is the other inverted (a polarity error: the mono downmix cancels). A meter
integrates over a fraction of a second; here (1) is evaluated over ``window_s`` sliding by
``hop_s`` from per-hop sums (vectorised), and over the whole programme. Windows in which
either channel is below ``gate_db`` (RMS) are not measured (NaN): a meter has nothing to
say about silence.

Findings made from it (by the QC layer): the programme correlation at or below
``polarity_limit`` — one channel of the pair is inverted — and windows below
``out_of_phase_limit`` lasting ``min_duration`` — content that cancels in mono.

=================  ==========================  =========================================
input              dtype, shape                domain
=================  ==========================  =========================================
``left, right``    float ``(n,)``              linear, 1.0 = full scale; finite
``rate``           float                       Hz, > 0
returns            :class:`PhaseCorrelation`   r in [−1, 1] per window (NaN: gated)
=================  ==========================  =========================================

>>> import numpy as np
>>> t = np.arange(48000 * 2) / 48000
>>> tone = 0.5 * np.sin(2 * np.pi * 440 * t)
>>> round(phase_correlation(tone, tone, 48000).programme, 3)
1.0
>>> round(phase_correlation(tone, -tone, 48000).programme, 3)
-1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc._frames import series_1d
from reelgraph.algorithms.qc.findings import Severity
from reelgraph.errors import AlgorithmError

__all__ = ["STANDARD", "PhaseCorrelation", "PhaseParameters", "phase_correlation"]

STANDARD = "correlation meter (Brixen, Metering Audio, 2011)"


@dataclass(frozen=True)
class PhaseParameters:
    """Integration and limits of the phase check."""

    window_s: float = 0.4
    """Integration time of the meter, seconds."""
    hop_s: float = 0.1
    """Time between readings, seconds (the series' resolution)."""
    gate_db: float = -50.0
    """Windows where either channel's RMS is below this, dBFS, are not measured."""
    polarity_limit: float = -0.5
    """Programme correlation at or below this: one channel is inverted."""
    polarity_severity: Severity = "fail"
    out_of_phase_limit: float = -0.3
    """Readings below this, for ``min_duration``, cancel in a mono downmix."""
    min_duration: float = 1.0
    """Shortest out-of-phase stretch reported, seconds."""
    severity: Severity = "warning"
    """Severity of an out-of-phase stretch."""

    def __post_init__(self) -> None:
        if not (0 < self.hop_s <= self.window_s):
            raise AlgorithmError("need 0 < hop_s <= window_s")
        if not -1.0 <= self.polarity_limit <= 1.0 or not -1.0 <= self.out_of_phase_limit <= 1.0:
            raise AlgorithmError("correlation limits must lie in [-1, 1]")


@dataclass(frozen=True)
class PhaseCorrelation:
    """Correlation readings of a channel pair."""

    hop_s: float
    """Time between readings; reading k covers the window ending at ``(k + w)·hop_s``."""
    window_hops: int
    """Hops per window."""
    series: NDArray[np.float64]
    """r per window (NaN where gated)."""
    programme: float
    """r over every hop above the gate (NaN when nothing is)."""

    @property
    def end_s(self) -> NDArray[np.float64]:
        """End time of each window, seconds."""
        return (np.arange(self.series.size, dtype=np.float64) + self.window_hops) * self.hop_s


def _column(values: ArrayLike, name: str) -> NDArray[np.float64]:
    column = series_1d(values, name)
    if column.size and not np.isfinite(column).all():
        raise AlgorithmError(f"{name} holds NaN or inf")
    return column


def _ratio(numerator: NDArray[np.float64], denominator: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return np.asarray(np.clip(out, -1.0, 1.0), dtype=np.float64)


def phase_correlation(
    left: ArrayLike, right: ArrayLike, rate: float, params: PhaseParameters | None = None
) -> PhaseCorrelation:
    """Correlation readings (1) of ``left`` and ``right`` per window and for the programme."""
    params = params or PhaseParameters()
    l_values, r_values = _column(left, "left"), _column(right, "right")
    if l_values.size != r_values.size:
        raise AlgorithmError("left and right must have the same length")
    if not rate > 0:
        raise AlgorithmError(f"rate must be > 0 Hz, got {rate}")
    # Hop k covers samples [⌊k·hop + ½⌋, ⌊(k+1)·hop + ½⌋): fractional hops (one video
    # frame at 29.97 fps is 1601.6 samples) never drift from the clock.
    hop = params.hop_s * rate
    window = max(1, round(params.window_s / params.hop_s))
    bounds = np.floor(np.arange(int(l_values.size / hop) + 2) * hop + 0.5).astype(np.int64)
    bounds = bounds[bounds <= l_values.size]
    hops = max(0, bounds.size - 1)
    if hops:
        starts, end = bounds[:-1], int(bounds[-1])
        lr, ll, rr = (
            np.add.reduceat(a[:end] * b[:end], starts)
            for a, b in ((l_values, r_values), (l_values, l_values), (r_values, r_values))
        )
    else:
        lr = ll = rr = np.zeros(0)
    gate = (10.0 ** (params.gate_db / 20.0)) ** 2 * hop  # energy of a hop at the gate level
    if hops < window:
        series = np.zeros(0)
    else:
        sums = [np.concatenate(([0.0], np.cumsum(v))) for v in (lr, ll, rr)]
        lr_w, ll_w, rr_w = (s[window:] - s[:-window] for s in sums)
        series = _ratio(lr_w, np.sqrt(ll_w * rr_w))
        series[(ll_w < gate * window) | (rr_w < gate * window)] = np.nan
    loud = (ll >= gate) & (rr >= gate)
    energy = np.asarray(np.sqrt(ll[loud].sum() * rr[loud].sum()))
    programme = float(_ratio(np.asarray(lr[loud].sum()), energy))
    return PhaseCorrelation(params.hop_s, window, series, programme)
