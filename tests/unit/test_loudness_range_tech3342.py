"""Tech 3342 loudness range: gates, percentile rule, short and silent input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from reelgraph.algorithms.audio.loudness_range_tech3342 import (
    loudness_range,
    loudness_range_from_short_term,
)


def power(lufs: np.ndarray) -> np.ndarray:
    return 10 ** ((np.asarray(lufs, dtype=float) + 0.691) / 10)


def test_nearest_rank_percentiles() -> None:
    """Values −30 … −10 in 0.1 LU steps: L10 and L95 are the nearest-rank elements."""
    values = np.round(np.arange(-30.0, -9.95, 0.1), 1)
    result = loudness_range_from_short_term(power(values))
    n = values.size
    assert result.low_lufs == pytest.approx(values[round((n - 1) * 0.10)], abs=1e-9)
    assert result.high_lufs == pytest.approx(values[round((n - 1) * 0.95)], abs=1e-9)
    assert result.lra_lu == pytest.approx(result.high_lufs - result.low_lufs)
    assert result.windows_gated == n


def test_gates_drop_silence_and_very_quiet_windows() -> None:
    loud = np.full(100, -20.0)
    very_quiet = np.full(100, -45.0)  # more than 20 LU below: relative gate
    silent = np.full(100, -80.0)  # below −70: absolute gate
    result = loudness_range_from_short_term(power(np.concatenate([loud, very_quiet, silent])))
    assert result.windows_gated == 100
    assert result.lra_lu == pytest.approx(0.0, abs=1e-9)
    # Mean power of the windows above −70 (half at −20, half at −45), minus 20 LU.
    expected_gate = 10 * math.log10((10**-2.0 + 10**-4.5) / 2) - 20.0
    assert result.relative_gate_lufs == pytest.approx(expected_gate, abs=1e-9)


def test_empty_silent_and_short_programmes() -> None:
    for short_term in (np.zeros(0), np.zeros(50)):
        result = loudness_range_from_short_term(short_term)
        assert result.lra_lu == 0.0 and result.windows_gated == 0
        assert result.low_lufs == -math.inf
    rate = 48000
    short = loudness_range(np.full((2 * rate, 2), 0.1), rate)  # under 3 s: no window
    assert short.lra_lu == 0.0 and short.windows_total == 0
    assert loudness_range(np.zeros((1, 1)), rate).lra_lu == 0.0


def test_matches_literal_reference(rng: np.random.Generator) -> None:
    """Tech 3342 written out literally at 48 kHz: BS.1770 Table 1/2 filters, 3 s windows
    every 100 ms by explicit slicing, gates, then the reference nearest-rank percentiles.
    (pyloudnorm 0.2's LRA differs by design: it appends 1.5 s of silence and interpolates
    percentiles, which moves L10 by over 1 LU on stepped material.)"""
    rate = 48000
    seconds = 40
    levels = np.repeat(rng.uniform(-30, -15, seconds // 4), 4 * rate)
    x = 0.3 * rng.standard_normal(seconds * rate) * 10 ** (levels / 20)
    x[: 8 * rate] *= 10 ** (-50 / 20)  # a near-silent start that both gates act on
    b1 = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    a1 = [1.0, -1.69065929318241, 0.73248077421585]
    y = signal.lfilter([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621],
                       signal.lfilter(b1, a1, x))  # fmt: skip
    windows = [2 * np.mean(y[j * 4800 : j * 4800 + 144000] ** 2) for j in range(371)]
    stl = np.array([-0.691 + 10 * math.log10(z) for z in windows])
    above = stl[stl > -70]
    gate = -0.691 + 10 * math.log10(np.mean(power(above))) - 20
    kept = np.sort(above[above > gate])
    n = kept.size
    expected = kept[math.floor((n - 1) * 0.95 + 0.5)] - kept[math.floor((n - 1) * 0.10 + 0.5)]
    ours = loudness_range(np.stack([x, x], 1), rate)
    assert ours.windows_total == 371
    assert 0 < ours.windows_gated < (stl > -70).sum() < 371
    assert ours.lra_lu == pytest.approx(expected, abs=1e-6)
