"""EBU Tech 3341 (v4, 2023) "EBU Mode" conformance, signals synthesised from their definitions.

Table 1 of Tech 3341 defines the test signals; cases 1–6 (loudness) and 15–19 (true peak)
are simple enough to generate here at any sample rate, so the meter is checked at 44.1 kHz
as well as at the 48 kHz of the EBU files (those are tested in test_ebu_testset.py).

Loudness: stereo (or 5.0) 1 kHz sines, each level in dBFS (peak) for the stated duration;
M, S and I must read the stated value ±0.1 LU.
True peak: sines at fs/4, fs/6 and fs/8 with phase offsets so that the samples miss the
waveform peak, −6 dBFS (and +3 dBFS for case 19) true amplitude; the meter must read the
true amplitude +0.2/−0.4 dB. The parameters (frequency ratio, phase, 0.1 s linear fades)
are those of the EBU's own seq-3341-15…19 files.
"""

from __future__ import annotations

import numpy as np
import pytest

from reelgraph.algorithms.audio.loudness_bs1770 import loudness_bs1770
from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import true_peak

RATES = [44100, 48000]
TOLERANCE_LU = 0.1


def tone_sequence(rate: int, levels_dbfs: list[float], durations_s: list[float]) -> np.ndarray:
    """Concatenated 1 kHz sines (phase-continuous), one level per duration, mono."""
    n = [round(d * rate) for d in durations_s]
    t = np.arange(sum(n)) / rate
    amplitude = np.repeat([10 ** (level / 20) for level in levels_dbfs], n)
    return (amplitude * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32)


def stereo(x: np.ndarray) -> np.ndarray:
    return np.stack([x, x], axis=1)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(
    ("case", "level_dbfs", "expected"),
    [(1, -23.0, -23.0), (2, -33.0, -33.0)],
)
def test_steady_tone_reads_m_s_i(rate: int, case: int, level_dbfs: float, expected: float) -> None:
    """Cases 1 and 2: 20 s stereo tone; every M and S value and I read the level."""
    result = loudness_bs1770(stereo(tone_sequence(rate, [level_dbfs], [20.0])), rate)
    assert result.integrated_lufs == pytest.approx(expected, abs=TOLERANCE_LU)
    assert result.momentary_lufs.size == 197  # (20 s − 0.4 s) / 0.1 s + 1
    np.testing.assert_allclose(result.momentary_lufs, expected, atol=TOLERANCE_LU)
    np.testing.assert_allclose(result.short_term_lufs, expected, atol=TOLERANCE_LU)
    assert result.momentary_max_lufs == pytest.approx(expected, abs=TOLERANCE_LU)
    assert result.short_term_max_lufs == pytest.approx(expected, abs=TOLERANCE_LU)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(
    ("case", "levels", "durations"),
    [
        (3, [-36.0, -23.0, -36.0], [10.0, 60.0, 10.0]),
        (4, [-72.0, -36.0, -23.0, -36.0, -72.0], [10.0, 10.0, 60.0, 10.0, 10.0]),
        (5, [-26.0, -20.0, -26.0], [20.0, 20.1, 20.0]),
    ],
)
def test_gated_integrated_loudness(
    rate: int, case: int, levels: list[float], durations: list[float]
) -> None:
    """Cases 3–5: the gates drop the quiet parts (3, 4) or keep them (5): I = −23.0."""
    result = loudness_bs1770(stereo(tone_sequence(rate, levels, durations)), rate)
    assert result.integrated_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("with_lfe", [False, True])
def test_five_channel_weights(rate: int, with_lfe: bool) -> None:
    """Case 6: 5.0 (L R C Ls Rs at −28 −28 −24 −30 −30 dBFS), and 5.1 with a silent LFE."""
    channels = [tone_sequence(rate, [level], [20.0]) for level in (-28, -28, -24, -30, -30)]
    if with_lfe:
        # A loud LFE must not count: BS.1770 excludes it.
        channels.insert(3, tone_sequence(rate, [-10.0], [20.0]))
    layout = "5.1" if with_lfe else "5.0"
    result = loudness_bs1770(np.stack(channels, axis=1), rate, layout=layout)
    assert result.integrated_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


def true_peak_signal(rate: int, period: int, phase_deg: float, amplitude_dbfs: float) -> np.ndarray:
    """3.2 s stereo sine at rate/period with a phase offset and 0.1 s linear fades."""
    n = np.arange(round(3.2 * rate))
    fade = np.minimum(1.0, np.minimum(n, n[::-1]) / (0.1 * rate))
    x = 10 ** (amplitude_dbfs / 20) * fade * np.sin(2 * np.pi * n / period + np.radians(phase_deg))
    return stereo(x.astype(np.float32))


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(
    ("case", "period", "phase_deg", "amplitude_dbfs"),
    [
        (15, 4, 0.0, -6.0),
        (16, 4, 45.0, -6.0),
        (17, 6, 60.0, -6.0),
        (18, 8, 67.5, -6.0),
        (19, 4, 45.0, 3.0),
    ],
)
def test_true_peak_cases(
    rate: int, case: int, period: int, phase_deg: float, amplitude_dbfs: float
) -> None:
    """Cases 15–19: true peak within +0.2/−0.4 dB of the waveform's amplitude."""
    x = true_peak_signal(rate, period, phase_deg, amplitude_dbfs)
    sample_peak = 20 * np.log10(np.abs(x).max())
    measured = true_peak(x, rate).max_dbtp
    assert amplitude_dbfs - 0.4 <= measured <= amplitude_dbfs + 0.2
    if phase_deg:
        # The samples miss the crest; the meter must not just report the sample peak.
        assert measured > sample_peak + 0.1


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("period", [4, 6, 8])
def test_true_peak_at_every_phase(rate: int, period: int) -> None:
    """Sines at fs/4, fs/6 and fs/8, −6.02 dBFS, every 7.5° of phase (cases 15–18 vary only
    the phase): each reads within +0.2/−0.4 dB. At fs/4 and 60° the BS.1770 Annex 2 example
    filter reads −5.77 dBTP (+0.25 dB: its ripple near fs/4)."""
    amplitude_dbfs = -6.02
    for phase_deg in np.arange(0.0, 90.0, 7.5):
        x = true_peak_signal(rate, period, float(phase_deg), amplitude_dbfs)[:, :1]
        measured = true_peak(x, rate).max_dbtp
        assert amplitude_dbfs - 0.4 <= measured <= amplitude_dbfs + 0.2, (phase_deg, measured)
