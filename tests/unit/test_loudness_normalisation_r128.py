"""normalise(): linear gain by default, limiting only when needed, and always said so."""

from __future__ import annotations

import numpy as np
import pytest
from audio_synth import pink_noise, speech_like
from scipy import signal

from reelgraph.algorithms.audio.dialogue_loudness_gated import dialogue_loudness
from reelgraph.algorithms.audio.loudness_bs1770 import integrated_loudness
from reelgraph.algorithms.audio.loudness_normalisation_r128 import normalise
from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import true_peak
from reelgraph.errors import AlgorithmError
from reelgraph.specs.loudness_targets import lookup

RATE = 48000


def programme(rng: np.random.Generator, seconds: float, crest_db: float) -> np.ndarray:
    """Stereo programme-like noise with occasional transients ``crest_db`` above the body."""
    sos = signal.butter(1, 1000, fs=RATE, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal((int(seconds * RATE), 2)), axis=0) * 0.05
    hits = rng.integers(0, x.shape[0] - 100, 8)
    for h in hits:
        x[h : h + 50] *= 10 ** (crest_db / 20)
    return x


def test_quiet_programme_gets_plain_gain(rng: np.random.Generator) -> None:
    x = programme(rng, 10.0, 6.0) * 10 ** (-12 / 20)
    result = normalise(x, RATE, "ebu-r128")
    assert result.limited is False
    assert "linear gain" in result.reason
    assert result.output_lufs == pytest.approx(-23.0, abs=0.01)
    assert result.max_gain_reduction_db == 0.0
    # Exactly one static gain: the waveform is a scaled copy.
    np.testing.assert_allclose(
        result.samples, x * 10 ** (result.gain_db / 20), rtol=1e-5, atol=1e-7
    )
    assert result.target_met and result.measured_on == "programme"


def test_boost_that_would_clip_is_limited_and_reported(rng: np.random.Generator) -> None:
    x = programme(rng, 10.0, 18.0)  # peaky: gain to −14 LUFS puts peaks far over −1 dBTP
    target = lookup("web")
    predicted = true_peak(x, RATE).max_dbtp + (
        target.integrated_lufs - integrated_loudness(x, RATE)
    )
    assert predicted > target.true_peak_max_dbtp
    result = normalise(x, RATE, target)
    assert result.limited is True
    assert "limiting" in result.reason and "would put the true peak" in result.reason
    assert result.output_true_peak_dbtp <= target.true_peak_max_dbtp
    assert true_peak(result.samples, RATE).max_dbtp <= target.true_peak_max_dbtp
    assert result.output_lufs == pytest.approx(-14.0, abs=0.1)
    assert integrated_loudness(result.samples, RATE) == pytest.approx(result.output_lufs, abs=1e-6)
    assert result.target_met and result.max_gain_reduction_db > 3.0


def test_limiting_not_allowed_falls_short_and_says_so(rng: np.random.Generator) -> None:
    x = programme(rng, 10.0, 18.0)
    result = normalise(x, RATE, "web", allow_limiting=False)
    assert result.limited is False
    assert "limiting is not allowed" in result.reason and "short of the target" in result.reason
    assert result.output_true_peak_dbtp <= -1.0
    assert result.output_lufs < -15.0
    assert result.target_met is False


def test_dialogue_gated_target_measures_speech(rng: np.random.Generator) -> None:
    speech, _ = speech_like(rng, 20.0, RATE, level_dbfs=-30)
    mix = speech + pink_noise(rng, speech.size, -50)
    result = normalise(mix, RATE, "streaming")
    assert result.measured_on == "speech"
    assert result.output_lufs == pytest.approx(-27.0, abs=0.1)
    assert dialogue_loudness(result.samples, RATE).loudness_lufs == pytest.approx(-27.0, abs=0.3)
    assert result.samples.shape == mix.shape


def test_silence_unknown_target_and_shapes() -> None:
    silent = normalise(np.zeros((RATE, 2)), RATE, "atsc-a85")
    assert silent.gain_db == 0.0 and silent.target_met is False
    assert "no measurable loudness" in silent.reason
    with pytest.raises(AlgorithmError, match="ebu-r128, atsc-a85, streaming, web"):
        normalise(np.zeros(RATE), RATE, "netflix")
    with pytest.raises(AlgorithmError, match="NaN"):
        normalise(np.array([np.nan] * 10), RATE, "web")
