"""Speech-aware leveler: reaches the target, evens out phrases, holds through pauses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from audio_synth import pink_noise, speech_like

from reelgraph.algorithms.audio.dialogue_loudness_gated import dialogue_loudness
from reelgraph.algorithms.audio.leveler_dialogue_bs1770 import LevelerParameters, level
from reelgraph.algorithms.audio.loudness_bs1770 import loudness_bs1770
from reelgraph.errors import AlgorithmError

RATE = 48000


@pytest.fixture(scope="module")
def quiet_uneven_dialogue() -> np.ndarray:
    """About −40 LUFS dialogue whose phrases alternate ±6 dB every 5 s, over faint noise."""
    rng = np.random.default_rng(11)
    speech, _ = speech_like(rng, 30.0, RATE, level_dbfs=-42)
    t = np.arange(speech.size) / RATE
    speech *= 10 ** (6 * np.sign(np.sin(2 * np.pi * t / 10)) / 20)
    x = speech + pink_noise(rng, speech.size, -85)
    stereo = np.stack([x, x], axis=1)
    return stereo * 10 ** ((-40.0 - dialogue_loudness(stereo, RATE).loudness_lufs) / 20)


def test_moves_minus_40_to_target_and_evens_phrases(quiet_uneven_dialogue: np.ndarray) -> None:
    x = quiet_uneven_dialogue
    before = dialogue_loudness(x, RATE)
    assert before.loudness_lufs == pytest.approx(-40.0, abs=0.01)
    result = level(x, RATE, target_lufs=-23.0)
    assert result.samples.shape == x.shape and result.samples.dtype == np.float32
    assert result.output_lufs == pytest.approx(-23.0, abs=0.05)
    # Measured independently, with a fresh speech mask.
    assert dialogue_loudness(result.samples, RATE).loudness_lufs == pytest.approx(-23.0, abs=0.5)
    # Short-term loudness of the speech varies much less afterwards.
    st_in = loudness_bs1770(x, RATE).short_term_lufs
    st_out = loudness_bs1770(result.samples, RATE).short_term_lufs
    spread_in = np.subtract(*np.percentile(st_in[st_in > -60], [90, 10]))
    spread_out = np.subtract(*np.percentile(st_out[st_out > -45], [90, 10]))
    assert spread_out < spread_in - 4.0
    assert result.gain_db.max() > 10.0 and result.active_ratio > 0.3
    assert "gain ridden" in result.reason


def test_holds_gain_through_pauses(rng: np.random.Generator) -> None:
    """A 6 s pause of room tone between two phrases is not pumped up toward the target."""
    speech, _ = speech_like(rng, 6.0, RATE, level_dbfs=-35)
    pause = np.zeros(6 * RATE)
    x = np.concatenate([speech, pause, speech]) + pink_noise(rng, 2 * speech.size + pause.size, -70)
    result = level(x, RATE, target_lufs=-23.0)
    gain = result.gain_db
    middle = gain[int(8.0 * 100) : int(10.0 * 100)]  # well inside the pause
    assert np.ptp(middle) < 1.0  # held, not riding the room tone
    assert middle.max() < gain.max() + 0.5


def test_general_programme_mode_and_nothing_to_level() -> None:
    t = np.arange(6 * RATE) / RATE
    tone = 10 ** (-40 / 20) * np.sin(2 * np.pi * 440 * t)
    programme = level(
        tone, RATE, target_lufs=-23.0, parameters=LevelerParameters(speech_only=False)
    )
    assert programme.samples.shape == tone.shape
    assert loudness_bs1770(programme.samples, RATE).integrated_lufs == pytest.approx(-23, abs=0.1)
    no_speech = level(tone, RATE, target_lufs=-23.0)
    assert "no speech found" in no_speech.reason
    np.testing.assert_array_equal(no_speech.samples, tone.astype(np.float32))
    silent = level(np.zeros((RATE, 2)), RATE, target_lufs=-23.0)
    assert silent.output_lufs == -math.inf
    tiny = level(np.zeros((10, 1)), RATE, target_lufs=-23.0)
    assert tiny.samples.shape == (10, 1)


def test_bad_arguments() -> None:
    with pytest.raises(AlgorithmError):
        LevelerParameters(window_s=0.0)
    with pytest.raises(AlgorithmError):
        LevelerParameters(max_boost_db=-1.0)
    # A NaN time constant would turn every gain to NaN: refused, naming the field.
    with pytest.raises(AlgorithmError, match=r"LevelerParameters\.release_s must be a finite"):
        LevelerParameters(release_s=math.nan)
    with pytest.raises(AlgorithmError, match=r"LevelerParameters\.max_cut_db must be a finite"):
        LevelerParameters(max_cut_db=math.inf)
    with pytest.raises(AlgorithmError, match="target_lufs"):
        level(np.zeros(RATE), RATE, target_lufs=math.nan)
    with pytest.raises(AlgorithmError, match="NaN"):
        level(np.array([0.0, math.inf]), RATE, target_lufs=-23.0)
