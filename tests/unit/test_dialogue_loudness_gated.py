"""Dialogue-gated loudness: speech gate vs. ground truth, fallback rule, silence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from audio_synth import pink_noise, sine, speech_like

from reelgraph.algorithms.audio.dialogue_loudness_gated import dialogue_loudness
from reelgraph.algorithms.audio.loudness_bs1770 import gated_loudness, loudness_bs1770
from reelgraph.errors import AlgorithmError

RATE = 48000


def music_bed(rng: np.random.Generator, seconds: float, level_dbfs: float) -> np.ndarray:
    """A sustained chord plus a little noise: loud in the pauses, not speech."""
    bed = sine(RATE, seconds, 0, 220) + sine(RATE, seconds, -4, 330) + sine(RATE, seconds, -8, 550)
    bed = bed / np.sqrt(np.mean(bed**2)) * 10 ** (level_dbfs / 20)
    return bed + pink_noise(rng, bed.size, level_dbfs - 20)


def test_gates_on_speech_blocks(rng: np.random.Generator) -> None:
    speech, active = speech_like(rng, 40.0, RATE, level_dbfs=-24)
    mix = speech + music_bed(rng, 40.0, -36)
    stereo = np.stack([mix, mix], axis=1)
    result = dialogue_loudness(stereo, RATE)
    assert result.gated_on == "speech"
    assert "gated on speech" in result.reason
    assert 0.4 < result.speech_ratio < 0.95
    # Ground truth: the same gate over the blocks that really contain >= 50 % speech.
    loudness = loudness_bs1770(stereo, RATE)
    starts = (np.arange(loudness.block_power.size) * 0.1 * RATE).astype(int)
    truth = np.array([active[s : s + int(0.4 * RATE)].mean() >= 0.5 for s in starts])
    expected = gated_loudness(loudness.block_power[truth]).loudness_lufs
    assert result.loudness_lufs == pytest.approx(expected, abs=0.5)
    assert result.programme_lufs == pytest.approx(loudness.integrated_lufs)
    assert "Dolby" in result.method


def test_falls_back_to_programme_loudness_when_little_speech(rng: np.random.Generator) -> None:
    speech, _ = speech_like(rng, 6.0, RATE, level_dbfs=-24)
    mix = music_bed(rng, 60.0, -30)
    mix[: speech.size] += speech  # ~5 s of dialogue in a minute of music
    result = dialogue_loudness(mix, RATE)
    assert result.gated_on == "programme"
    assert result.speech_ratio < 0.15
    assert result.loudness_lufs == result.programme_lufs
    assert "fell back to programme loudness" in result.reason and "15%" in result.reason
    relaxed = dialogue_loudness(mix, RATE, min_speech_ratio=0.01)
    assert relaxed.gated_on == "speech" and relaxed.min_speech_ratio == 0.01
    assert relaxed.loudness_lufs != result.loudness_lufs


def test_silence_and_bad_arguments() -> None:
    silent = dialogue_loudness(np.zeros((RATE, 2)), RATE)
    assert silent.loudness_lufs == -math.inf and "silent" in silent.reason
    empty = dialogue_loudness(np.zeros((0, 1)), RATE)
    assert empty.loudness_lufs == -math.inf
    with pytest.raises(AlgorithmError, match="min_speech_ratio"):
        dialogue_loudness(np.zeros(RATE), RATE, min_speech_ratio=1.5)
    with pytest.raises(AlgorithmError, match="block_speech_fraction"):
        dialogue_loudness(np.zeros(RATE), RATE, block_speech_fraction=0.0)
