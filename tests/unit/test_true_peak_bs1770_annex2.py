"""True peak (BS.1770-5 Annex 2): filter, streaming, series, envelope, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import (
    ANNEX2_PHASES,
    TAPS_PER_PHASE,
    TruePeakMeter,
    interpolation_taps,
    oversample,
    true_peak,
    true_peak_envelope,
    true_peak_series,
)
from reelgraph.errors import AlgorithmError


def test_annex2_filter_structure() -> None:
    assert ANNEX2_PHASES.shape == (4, 12)
    np.testing.assert_array_equal(ANNEX2_PHASES[3], ANNEX2_PHASES[0][::-1])
    np.testing.assert_array_equal(ANNEX2_PHASES[2], ANNEX2_PHASES[1][::-1])
    # Every phase passes DC at close to unity (the Annex's filter: +0.014/−0.24 dB).
    np.testing.assert_allclose(ANNEX2_PHASES.sum(axis=1), 1.0, atol=0.03)
    assert not ANNEX2_PHASES.flags.writeable


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_every_phase_is_flat_to_twenty_kilohertz_at_48k(factor: int) -> None:
    taps = interpolation_taps(factor)
    assert taps.shape == (factor, TAPS_PER_PHASE)
    # Gain of every phase from DC to 0.42·fs within ±0.05 dB (the Annex's example: ±0.24).
    f = np.linspace(0.0, 0.42, 200)
    response = np.abs(np.exp(-2j * np.pi * f[:, None] * np.arange(TAPS_PER_PHASE)) @ taps.T)
    assert np.abs(20 * np.log10(response)).max() < 0.05
    with pytest.raises(AlgorithmError):
        interpolation_taps(1)


def test_finds_intersample_peaks_and_never_reads_far_below_sample_peak(
    rng: np.random.Generator,
) -> None:
    x = rng.uniform(-1, 1, (20000, 2))
    result = true_peak(x, 48000)
    sample_peak = np.abs(x).max(axis=0)
    assert all(tp > 0.97 * sp for tp, sp in zip(result.peak, sample_peak, strict=True))
    assert result.max_dbtp > 0.0  # random full-scale noise has inter-sample overs


def test_higher_oversampling_reads_closer_to_the_analytic_peak() -> None:
    """A 19 kHz sine at 48 kHz: 8x lands nearer its true amplitude than 4x."""
    rate = 48000
    n = np.arange(rate)
    x = (
        0.5
        * np.sin(2 * np.pi * 19000 * n / rate + 0.3)
        * np.minimum(1, np.minimum(n, n[::-1]) / 4800)
    )
    four = true_peak(x, rate).max_dbtp
    eight = true_peak(x, rate, oversampling=8).max_dbtp
    target = 20 * math.log10(0.5)
    assert abs(eight - target) < abs(four - target) + 0.05
    assert abs(eight - target) < 0.5


def test_streaming_series_and_oversample_agree(rng: np.random.Generator) -> None:
    rate = 44100
    x = rng.standard_normal((30001, 3)) * 0.2
    whole = true_peak(x, rate)
    meter = TruePeakMeter(rate, 3)
    for piece in np.array_split(x, [7, 4000, 4001, 20000]):
        meter.process(piece)
    assert meter.result().peak == pytest.approx(whole.peak, rel=1e-6)
    series = true_peak_series(x, rate, hop_s=0.05)
    assert series.peak.shape == (math.ceil(30001 / (0.05 * rate)), 3)
    np.testing.assert_allclose(series.peak.max(axis=0), whole.peak, rtol=1e-6)
    assert np.abs(oversample(x)).max(axis=0) == pytest.approx(whole.peak, rel=1e-6)
    # Each hop's peak sits where the signal is: a burst shows up in its hop only.
    y = np.zeros((rate, 1))
    y[int(0.52 * rate)] = 0.8
    s = true_peak_series(y, rate, hop_s=0.1)
    assert int(np.argmax(s.peak[:, 0])) == 5 and s.peak[0, 0] == 0.0


def test_envelope_bounds_every_interpolated_value(rng: np.random.Generator) -> None:
    x = rng.standard_normal((5000, 2)) * 0.3
    envelope = true_peak_envelope(x)
    up = np.abs(oversample(x)).max(axis=1)  # (samples·4 + 4·19,)
    # Interpolated point i lies at input time i/4 − 9.875: it must be under the envelope of
    # both neighbouring samples.
    times = np.arange(up.size) / 4 - (TAPS_PER_PHASE * 4 - 1) / 8
    inside = (times >= 0) & (times <= 4999)
    left = np.floor(times[inside]).astype(int)
    right = np.minimum(left + 1, 4999)
    assert np.all(up[inside] <= np.minimum(envelope[left], envelope[right]) + 1e-6)
    assert np.all(envelope >= np.abs(x).max(axis=1) - 1e-7)


def test_silence_empty_and_bad_input() -> None:
    assert true_peak(np.zeros((100, 2)), 48000).max_dbtp == -math.inf
    assert true_peak(np.zeros((0, 2)), 48000).dbtp == (-math.inf, -math.inf)
    assert true_peak(np.array([0.5]), 48000).peak[0] == pytest.approx(0.487, abs=0.001)
    with pytest.raises(AlgorithmError, match="NaN"):
        true_peak(np.array([0.0, np.inf]), 48000)
    with pytest.raises(AlgorithmError):
        true_peak_series(np.zeros(10), 48000, hop_s=0.0)
    meter = TruePeakMeter(48000, 1)
    meter.result()
    with pytest.raises(AlgorithmError, match="already read"):
        meter.process(np.zeros(4))
