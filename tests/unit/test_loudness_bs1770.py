"""BS.1770-5 loudness: cross-check with pyloudnorm, streaming, layouts, bad input."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
from scipy import signal

from reelgraph.algorithms.audio.loudness_bs1770 import (
    LAYOUTS,
    LoudnessMeter,
    gated_loudness,
    integrated_loudness,
    loudness_bs1770,
    resolve_channel_weights,
)
from reelgraph.errors import AlgorithmError


def programme_like(rng: np.random.Generator, rate: int, seconds: float = 12.0) -> np.ndarray:
    """Stereo noise with a falling spectrum (−6 dB/octave above 500 Hz) and level changes."""
    n = int(rate * seconds)
    sos = signal.butter(1, 500, fs=rate, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal((n, 2)), axis=0)
    levels = np.repeat(rng.uniform(-12, 0, 6), math.ceil(n / 6))[:n]
    return (0.2 * x * 10 ** (levels / 20)[:, None]).astype(np.float64)


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_matches_pyloudnorm(rng: np.random.Generator, rate: int) -> None:
    """pyloudnorm's 'DeMan' filters use the same analog prototype; they differ only in the
    RLB passband gain away from 48 kHz (0.004 dB at 44.1 kHz, 0.022 dB at 96 kHz, see
    k_weighting_bs1770), so they agree within 0.03 LU. pyloudnorm's default 'K-weighting'
    is an RBJ shelf at 1.5 kHz/+4 dB — an approximation of the BS.1770 curve; it still
    agrees within 0.05 LU on programme-like material."""
    x = programme_like(rng, rate)
    ours = integrated_loudness(x, rate)
    deman = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(x)
    default = pyloudnorm.Meter(rate).integrated_loudness(x)
    assert ours == pytest.approx(deman, abs=0.03 if rate == 96000 else 0.01)
    assert ours == pytest.approx(default, abs=0.05)


def test_streaming_in_odd_chunks_equals_whole(rng: np.random.Generator) -> None:
    rate = 44100
    x = programme_like(rng, rate, 7.3)
    whole = loudness_bs1770(x, rate)
    meter = LoudnessMeter(rate, 2)
    for piece in np.array_split(x, [1, 999, 4410, 100000, 100001]):
        meter.process(piece)
    streamed = meter.result()
    assert streamed.integrated_lufs == pytest.approx(whole.integrated_lufs, abs=1e-9)
    np.testing.assert_allclose(streamed.momentary_power, whole.momentary_power, rtol=1e-9)
    np.testing.assert_allclose(streamed.short_term_power, whole.short_term_power, rtol=1e-9)
    assert streamed.samples == x.shape[0]


def reference_integrated_48k(x: np.ndarray) -> float:
    """BS.1770-5 Annex 1 written out literally at 48 kHz: Table 1/2 biquads, blocks of
    19200 samples every 4800, eqs. (4)–(7) with explicit loops (slow, test only)."""
    b1, a1 = (
        [1.53512485958697, -2.69169618940638, 1.19839281085285],
        [
            1.0,
            -1.69065929318241,
            0.73248077421585,
        ],
    )
    b2, a2 = [1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621]
    y = signal.lfilter(b2, a2, signal.lfilter(b1, a1, x, axis=0), axis=0)
    blocks = [
        float(np.sum(np.mean(y[j * 4800 : j * 4800 + 19200] ** 2, axis=0)))
        for j in range((x.shape[0] - 19200) // 4800 + 1)
    ]
    loud = [-0.691 + 10 * math.log10(z) if z > 0 else -math.inf for z in blocks]
    above = [z for z, l in zip(blocks, loud, strict=True) if l > -70]
    gamma_r = -0.691 + 10 * math.log10(sum(above) / len(above)) - 10
    kept = [z for z, l in zip(blocks, loud, strict=True) if l > -70 and l > gamma_r]
    return -0.691 + 10 * math.log10(sum(kept) / len(kept))


def test_matches_literal_reference_with_both_gates(rng: np.random.Generator) -> None:
    """Loud, quiet (relative-gated) and near-silent (absolute-gated) passages."""
    rate = 48000
    x = programme_like(rng, rate, 10.0)
    x[3 * rate : 5 * rate] *= 10 ** (-25 / 20)
    x[7 * rate : 8 * rate] *= 10 ** (-80 / 20)
    result = loudness_bs1770(x, rate)
    assert result.integrated_lufs == pytest.approx(reference_integrated_48k(x), abs=1e-6)
    assert result.integrated.blocks_gated < result.integrated.blocks_above_absolute
    assert result.integrated.blocks_above_absolute < result.integrated.blocks_total


def test_gated_loudness_edge_cases() -> None:
    assert gated_loudness(np.zeros(0)).loudness_lufs == -math.inf
    assert gated_loudness(np.zeros(10)).blocks_above_absolute == 0
    at = 10 ** ((-70 + 0.691) / 10)
    assert gated_loudness(np.full(5, at)).loudness_lufs == -math.inf  # l_j > Γ_a is strict
    assert gated_loudness(np.full(5, at * 1.01)).blocks_gated == 5


def test_layout_weights() -> None:
    assert resolve_channel_weights(6)[1] == (1.0, 1.0, 1.0, 0.0, 1.41, 1.41)
    assert resolve_channel_weights(5)[1] == (1.0, 1.0, 1.0, 1.41, 1.41)
    # 7.1 (FFmpeg order FL FR FC LFE BL BR SL SR): side pair +1.5 dB, back pair (±135°) 1.0.
    assert resolve_channel_weights(8) == ("7.1", (1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.41, 1.41))
    assert resolve_channel_weights(1) == ("mono", (1.0,))
    assert resolve_channel_weights(2, "stereo") == ("stereo", (1.0, 1.0))
    for name, speakers in LAYOUTS.items():
        assert len(resolve_channel_weights(len(speakers), name)[1]) == len(speakers)


def test_layout_errors_name_the_fix() -> None:
    with pytest.raises(AlgorithmError, match="no default channel layout for 4"):
        resolve_channel_weights(4)
    with pytest.raises(AlgorithmError, match="unknown channel layout"):
        resolve_channel_weights(2, "quadraphonic")
    with pytest.raises(AlgorithmError, match="has 6 channels but the audio has 2"):
        resolve_channel_weights(2, "5.1")
    with pytest.raises(AlgorithmError, match="3 channel weights given for 2"):
        resolve_channel_weights(2, channel_weights=[1, 1, 1])
    with pytest.raises(AlgorithmError):
        resolve_channel_weights(2, channel_weights=[1, -1])


@pytest.mark.parametrize("channels", [3, 4, 7, 12])
def test_arbitrary_channel_counts_with_explicit_weights(
    rng: np.random.Generator, channels: int
) -> None:
    """N identical channels with weight 1 read 10·log10(N) above one channel."""
    rate = 48000
    mono = 0.05 * rng.standard_normal(rate * 2)
    one = integrated_loudness(mono, rate)
    many = integrated_loudness(
        np.repeat(mono[:, None], channels, 1), rate, channel_weights=[1.0] * channels
    )
    assert many - one == pytest.approx(10 * np.log10(channels), abs=1e-6)


def test_update_rate_changes_series_not_integrated(rng: np.random.Generator) -> None:
    rate = 48000
    x = programme_like(rng, rate, 6.0)
    slow = loudness_bs1770(x, rate)
    fast = loudness_bs1770(x, rate, update_rate_hz=100)
    assert fast.integrated_lufs == slow.integrated_lufs
    assert fast.momentary_power.size == 10 * (slow.momentary_power.size - 1) + 1
    np.testing.assert_allclose(fast.momentary_power[::10], slow.momentary_power)
    assert fast.momentary_max_lufs == slow.momentary_max_lufs
    with pytest.raises(AlgorithmError, match="update_rate_hz"):
        loudness_bs1770(x, rate, update_rate_hz=15)


def test_short_burst_max_found_between_updates() -> None:
    """A 400 ms burst placed off the 100 ms grid still reads its level as max M."""
    rate = 48000
    x = np.zeros(3 * rate)
    start = int(1.2345 * rate)
    t = np.arange(int(0.4 * rate)) / rate
    x[start : start + t.size] = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
    result = loudness_bs1770(np.stack([x, x], 1), rate)
    assert result.momentary_max_lufs == pytest.approx(-23.0, abs=0.1)
    assert result.momentary_lufs.max() < -23.2  # the 10 Hz series alone misses it


def test_silence_short_and_empty_inputs() -> None:
    rate = 48000
    silent = loudness_bs1770(np.zeros((rate * 2, 2), np.float32), rate)
    assert silent.integrated_lufs == -math.inf
    assert np.all(np.isneginf(silent.momentary_lufs))
    one = loudness_bs1770(np.array([[0.5, 0.5]]), rate)
    assert one.integrated_lufs == -math.inf and one.momentary_lufs.size == 0
    assert one.momentary_max_lufs == -math.inf
    empty = loudness_bs1770(np.zeros((0, 2)), rate)
    assert empty.integrated_lufs == -math.inf and empty.duration_s == 0.0
    short = loudness_bs1770(np.full((int(0.39 * rate), 1), 0.1), rate)
    assert short.block_power.size == 0 and short.integrated_lufs == -math.inf


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.array([[0.1, np.nan]]), "NaN or infinite values .*sample 0, channel 1"),
        (np.array([0.1, 0.2, np.inf]), "NaN or infinite values .*sample 2"),
        (np.zeros((10, 2), dtype=np.int16), "floating point"),
        (np.zeros((10, 0)), "no channel"),
        (np.zeros((2, 2, 2)), "shape"),
    ],
)
def test_bad_input_raises_clear_error(bad: np.ndarray, match: str) -> None:
    with pytest.raises(AlgorithmError, match=match):
        loudness_bs1770(bad, 48000)


def test_nan_in_a_later_stream_chunk_reports_absolute_index() -> None:
    meter = LoudnessMeter(48000, 1)
    meter.process(np.zeros(1000))
    with pytest.raises(AlgorithmError, match="first at sample 1001"):
        meter.process(np.array([0.0, np.nan]))


def test_relative_gate_is_taken_over_the_blocks_above_the_absolute_gate_only() -> None:
    """3 s of tone, 3 s of the same tone 15 dB down, then 30 s of digital silence. Eq. (6)
    averages only the blocks above −70 LKFS, so Γ_r ≈ −33 LUFS and the quiet passage (−35)
    is gated out: I is the loud part's −20. Averaged over all blocks, the silence would drag
    Γ_r to ≈ −41 and let the quiet passage in (I ≈ −22.6)."""
    rate = 48000
    t = np.arange(3 * rate) / rate
    tone = np.sin(2 * np.pi * 997.0 * t)
    loud = tone * 10 ** ((-20.0 - loudness_bs1770(tone, rate).integrated_lufs) / 20)
    x = np.concatenate([loud, loud * 10 ** (-15 / 20), np.zeros(30 * rate)])
    result = loudness_bs1770(x, rate)
    assert result.integrated_lufs == pytest.approx(reference_integrated_48k(x[:, None]), abs=1e-6)
    assert result.integrated_lufs == pytest.approx(-20.0, abs=0.3)
    assert result.integrated.relative_gate_lufs == pytest.approx(-32.8, abs=0.5)
