"""correct_loudness: the chain a mixer runs (clean → level → normalise), measured."""

from __future__ import annotations

import numpy as np
import pytest
from audio_synth import pink_noise, sine, speech_like

from reelgraph.algorithms.audio import correct_loudness, lookup
from reelgraph.errors import AlgorithmError

RATE = 48000


def test_speech_with_noise_reaches_each_target(rng: np.random.Generator) -> None:
    voice, _ = speech_like(rng, 8.0, RATE, level_dbfs=-30.0)
    noisy = np.stack([voice, voice], axis=1) + pink_noise(rng, voice.size, -45.0)[:, None]
    for name in ("ebu-r128", "atsc-a85", "streaming", "web"):
        c = correct_loudness(noisy, RATE, name, denoise_strength=0.8)
        assert c.check.passed, (name, c.check)
        assert c.target == lookup(name) and c.noise_reduction is not None
        assert [s.split(" ")[0] for s in c.steps] == ["noise", "leveler:", "normaliser"]
        assert c.noise_reduction.noise_attenuation_db > 6.0


def test_margin_and_offset_move_the_aim_not_the_check(rng: np.random.Generator) -> None:
    voice, _ = speech_like(rng, 6.0, RATE, level_dbfs=-40.0)
    c = correct_loudness(voice, RATE, "web", target_offset_lu=0.5, true_peak_margin_db=1.0)
    assert c.aimed_at.integrated_lufs == -13.5 and c.aimed_at.true_peak_max_dbtp == -2.0
    assert c.after.true_peak_dbtp <= -2.0 and c.normalisation.limited
    assert c.check.target.integrated_lufs == -14.0 and c.check.passed
    with pytest.raises(AlgorithmError, match="true_peak_margin_db"):
        correct_loudness(voice, RATE, "web", true_peak_margin_db=-1.0)


def test_shapes_no_speech_and_bad_samples() -> None:
    tone = sine(RATE, 4.0, -30.0, 440.0)
    mono = correct_loudness(tone, RATE, "ebu-r128")  # 1-D in, (samples, 1) out
    assert mono.samples.shape == (tone.size, 1) and mono.check.passed
    assert mono.leveler is None and mono.steps[0].startswith("leveler skipped")
    surround = np.stack([tone * g for g in (1, 1, 1.2, 0.3, 0.5, 0.5)], axis=1)
    assert correct_loudness(surround, RATE, "streaming", layout="5.1").samples.shape == (
        tone.size, 6,
    )  # fmt: skip
    empty = correct_loudness(np.zeros((0, 2), np.float32), RATE, "web")
    assert empty.samples.shape == (0, 2) and not empty.check.passed
    bad = np.stack([tone, tone], axis=1)
    bad[100, 1] = np.nan
    with pytest.raises(AlgorithmError, match="NaN"):
        correct_loudness(bad, RATE, "web")
