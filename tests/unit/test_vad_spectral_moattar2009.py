"""Speech detection on synthetic dialogue against noise, tones, layouts and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from audio_synth import pink_noise, sine, speech_like
from scipy import ndimage

from reelgraph.algorithms.audio._common import fill_short_runs
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import (
    VadParameters,
    detect_speech,
    dialogue_channel,
)
from reelgraph.errors import AlgorithmError


def phrase_truth(active: np.ndarray, rate: int, frames: int) -> np.ndarray:
    """Ground truth at 10 ms, with the < 200 ms gaps between syllables counted as speech."""
    truth = active[:: rate // 100][:frames]
    return fill_short_runs(truth, False, 20)


@pytest.mark.parametrize(("rate", "snr_db"), [(48000, 20.0), (44100, 10.0)])
def test_finds_dialogue_in_noise(rng: np.random.Generator, rate: int, snr_db: float) -> None:
    speech, active = speech_like(rng, 30.0, rate, level_dbfs=-26)
    x = speech + pink_noise(rng, speech.size, -26 - snr_db)
    result = detect_speech(x, rate)
    truth = phrase_truth(active, rate, result.mask.size)
    far = ~ndimage.binary_dilation(truth, np.ones(41))  # > 200 ms from any speech
    recall = (result.mask & truth).sum() / truth.sum()
    accuracy = (result.mask == truth).mean()
    assert recall >= 0.9
    assert accuracy >= 0.85
    assert result.mask[far].mean() <= 0.02
    assert result.hop_s == 0.01
    assert result.mask.size == int(np.ceil(30.0 * 100))
    segments = result.segments()
    assert segments and all(end > start for start, end in segments)


def test_noise_tones_and_silence_are_not_speech(rng: np.random.Generator) -> None:
    rate = 48000
    assert detect_speech(pink_noise(rng, 20 * rate, -30), rate).speech_ratio < 0.02
    assert detect_speech(0.05 * rng.standard_normal(20 * rate), rate).speech_ratio < 0.02
    chord = sine(rate, 20, -20, 440) + sine(rate, 20, -26, 660) + sine(rate, 20, -30, 880)
    assert detect_speech(chord, rate).speech_ratio == 0.0
    assert detect_speech(np.zeros(5 * rate), rate).speech_ratio == 0.0


def test_surround_uses_the_centre_channel(rng: np.random.Generator) -> None:
    rate = 48000
    speech, _ = speech_like(rng, 20.0, rate)
    bed = pink_noise(rng, speech.size, -30)
    five_one = np.stack([bed, bed, speech, bed, bed, bed], axis=1)
    np.testing.assert_array_equal(dialogue_channel(five_one, "5.1"), speech)
    assert detect_speech(five_one, rate, layout="5.1").speech_ratio > 0.5
    # Dialogue only in the LFE is not dialogue: stereo downmix of a 2.1 skips the LFE.
    lfe_only = np.stack([bed, bed, speech], axis=1)
    assert np.allclose(dialogue_channel(lfe_only, "2.1"), bed)
    with pytest.raises(AlgorithmError, match="unknown channel layout"):
        dialogue_channel(five_one, "6.1")
    with pytest.raises(AlgorithmError, match="has 2 channels"):
        dialogue_channel(five_one, "stereo")


def test_parameters_change_the_decision(rng: np.random.Generator) -> None:
    rate = 16000
    speech, _ = speech_like(rng, 15.0, rate)
    x = speech + pink_noise(rng, speech.size, -40)
    default = detect_speech(x, rate)
    strict = detect_speech(x, rate, parameters=VadParameters(energy_threshold_db=60.0))
    assert strict.speech_ratio == 0.0 < default.speech_ratio
    with pytest.raises(AlgorithmError):
        VadParameters(floor_window_s=0.0)
    with pytest.raises(AlgorithmError):
        VadParameters(hangover_s=float("nan"))


def test_fraction_in_intervals() -> None:
    rate = 16000
    result = detect_speech(np.zeros(rate), rate)
    assert result.fraction_in(np.array([0.0, 2.0]), np.array([0.5, 3.0])).tolist() == [0.0, 0.0]


def test_short_empty_and_bad_input() -> None:
    empty = detect_speech(np.zeros((0, 2)), 48000)
    assert empty.mask.size == 0 and empty.speech_ratio == 0.0
    tiny = detect_speech(np.array([0.1]), 48000)
    assert tiny.mask.size == 1 and not tiny.mask.any()
    assert detect_speech(np.zeros(12345), 22050.5).mask.size > 0  # non-integer rate
    with pytest.raises(AlgorithmError, match="NaN"):
        detect_speech(np.array([0.0, np.nan, 0.0]), 48000)
    with pytest.raises(AlgorithmError, match="sample rate"):
        detect_speech(np.zeros(100), 100)
    with pytest.raises(AlgorithmError, match=r"VadParameters\.hangover_s must be a finite"):
        VadParameters(hangover_s=np.inf)
