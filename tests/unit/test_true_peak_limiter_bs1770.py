"""Look-ahead true-peak limiter: the measured output never exceeds the ceiling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from reelgraph.algorithms.audio.loudness_bs1770 import integrated_loudness
from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import true_peak
from reelgraph.algorithms.audio.true_peak_limiter_bs1770 import limit_true_peak, limiter_gain
from reelgraph.errors import AlgorithmError

RATE = 48000


def hot_master(rng: np.random.Generator, channels: int, seconds: float = 8.0) -> np.ndarray:
    """Dense programme-like noise brought to −8 LUFS and clipped at 0 dBFS: a "loudness war"
    master whose samples sit at full scale and whose true peaks go above it."""
    sos = signal.butter(1, 1500, fs=RATE, output="sos")
    y = signal.sosfilt(sos, rng.standard_normal((int(seconds * RATE), channels)), axis=0)
    weights = [1.0] * channels
    y *= 10 ** ((-8.0 - integrated_loudness(y, RATE, channel_weights=weights)) / 20)
    return np.clip(y, -1.0, 1.0)


def test_hot_stereo_master_ends_at_or_below_ceiling(rng: np.random.Generator) -> None:
    x = hot_master(rng, 2)
    assert integrated_loudness(x, RATE) == pytest.approx(-8.0, abs=1.0)
    assert np.abs(x).max() == pytest.approx(1.0)
    assert true_peak(x, RATE).max_dbtp > 0.0
    result = limit_true_peak(x, RATE, ceiling_dbtp=-1.0)
    assert result.output_true_peak_dbtp <= -1.0
    assert true_peak(result.samples, RATE).max_dbtp <= -1.0  # measured independently
    assert result.max_gain_reduction_db > 1.0
    assert np.all(result.gain <= 1.0) and np.all(result.gain > 0.0)
    # Limiting, not gain-riding: the loudness drops by little more than the peak excess.
    loss = integrated_loudness(x, RATE) - integrated_loudness(result.samples, RATE)
    assert 0.0 < loss < result.input_true_peak_dbtp + 1.0 + 1.0


def test_five_one_with_lfe_is_limited_on_every_channel(rng: np.random.Generator) -> None:
    x = hot_master(rng, 6, 4.0)
    x[:, 3] *= 1.3  # the LFE is the hottest channel: it is limited too (true peak counts it)
    result = limit_true_peak(x, RATE, ceiling_dbtp=-2.0)
    per_channel = true_peak(result.samples, RATE).dbtp
    assert max(per_channel) <= -2.0
    # One linked gain: the balance between channels is unchanged.
    ratio = result.samples[:, 0] / np.where(x[:, 0] == 0, 1, x[:, 0])
    np.testing.assert_allclose(ratio[x[:, 0] != 0], result.gain[x[:, 0] != 0], rtol=1e-5)


def test_quiet_input_passes_untouched(rng: np.random.Generator) -> None:
    x = 0.1 * rng.standard_normal(RATE).astype(np.float32)
    result = limit_true_peak(x, RATE, ceiling_dbtp=-1.0)
    np.testing.assert_array_equal(result.samples, x)
    assert result.passes == 0 and result.max_gain_reduction_db == 0.0
    assert result.samples.shape == x.shape


def test_single_spike_and_no_lookahead(rng: np.random.Generator) -> None:
    x = 0.05 * rng.standard_normal((RATE, 1))
    x[RATE // 2] = 1.5
    for lookahead in (0.0, 0.002):
        result = limit_true_peak(x, RATE, ceiling_dbtp=-1.0, lookahead_s=lookahead, release_s=0.05)
        assert result.output_true_peak_dbtp <= -1.0
        # Away from the spike the audio is untouched.
        np.testing.assert_allclose(result.samples[: RATE // 4], x[: RATE // 4], rtol=1e-6)


def test_gain_curve_reaches_required_gain_at_the_peak() -> None:
    envelope = np.full(1000, 0.5)
    envelope[500] = 2.0
    gain = limiter_gain(envelope, 1.0, 20, 0.99)
    assert gain[500] <= 0.5 + 1e-7
    assert gain[470] == 1.0 and gain[485] < 1.0  # starts falling within the look-ahead
    assert np.all(np.diff(gain[500:700]) >= -1e-7)  # then recovers monotonically


def test_bad_arguments() -> None:
    with pytest.raises(AlgorithmError, match="ceiling_dbtp"):
        limit_true_peak(np.zeros(10), RATE, ceiling_dbtp=float("nan"))
    with pytest.raises(AlgorithmError, match="lookahead_s"):
        limit_true_peak(np.zeros(10), RATE, lookahead_s=-1.0)
    with pytest.raises(AlgorithmError, match="NaN"):
        limit_true_peak(np.array([np.nan]), RATE)
    empty = limit_true_peak(np.zeros((0, 2)), RATE)
    assert empty.samples.shape == (0, 2)
