"""Dialogue noise reduction: SNR gain, speech brightness kept, controls, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from audio_synth import pink_noise, speech_like
from scipy import signal

from reelgraph.algorithms.audio.noise_reduction_wiener_scalart1996 import (
    estimate_noise_profile,
    reduce_noise,
)
from reelgraph.errors import AlgorithmError

RATE = 48000
#: Measured 6.9 dB (pink noise) and 8.7 dB (white noise) at 10 dB speech SNR with the
#: defaults (strength 0.8, floor −15 dB); the assertion leaves margin for platform noise.
MIN_SNR_GAIN_DB = 6.0


def snr_db(clean: np.ndarray, other: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(clean**2) / np.sum((other - clean) ** 2)))


def high_band_share_and_centroid(x: np.ndarray) -> tuple[float, float]:
    f, p = signal.welch(x, RATE, nperseg=1024)
    band = (f >= 100) & (f <= 8000)
    high = (f >= 2000) & (f <= 8000)
    return float(p[high].sum() / p[band].sum()), float((f[band] * p[band]).sum() / p[band].sum())


@pytest.fixture(scope="module")
def dialogue() -> tuple[np.ndarray, np.ndarray]:
    return speech_like(np.random.default_rng(7), 24.0, RATE, level_dbfs=-26)


@pytest.mark.parametrize("noise_kind", ["pink", "white"])
def test_raises_snr_without_dulling_speech(
    rng: np.random.Generator, dialogue: tuple[np.ndarray, np.ndarray], noise_kind: str
) -> None:
    speech, active = dialogue
    level = -36.0  # 10 dB below the speech
    noise = (
        pink_noise(rng, speech.size, level)
        if noise_kind == "pink"
        else rng.standard_normal(speech.size) * 10 ** (level / 20)
    )
    noisy = speech + noise
    result = reduce_noise(noisy, RATE)
    out = result.samples.astype(np.float64)
    gain = snr_db(speech, out) - snr_db(speech, noisy)
    assert gain >= MIN_SNR_GAIN_DB, f"SNR gain {gain:.1f} dB"
    assert result.profile.method == "speech-pauses"
    assert result.noise_attenuation_db > 6.0
    assert result.speech_attenuation_db < result.noise_attenuation_db
    # Against the real clean speech: the 2–8 kHz share within 1.5 dB, centroid within 150 Hz.
    clean_share, clean_centroid = high_band_share_and_centroid(speech[active])
    out_share, out_centroid = high_band_share_and_centroid(out[active])
    assert abs(10 * np.log10(out_share / clean_share)) < 1.5
    assert abs(out_centroid - clean_centroid) < 150
    # The reference-free report agrees with that.
    assert abs(result.brightness.high_band_change_db) < 1.5
    assert abs(result.brightness.centroid_change_hz) < 150
    assert result.brightness.speech_frames > 0


def test_strength_zero_is_bypass_and_floor_bounds_attenuation(
    rng: np.random.Generator, dialogue: tuple[np.ndarray, np.ndarray]
) -> None:
    speech, _ = dialogue
    noisy = np.stack([speech, speech], 1) + 0.003 * rng.standard_normal((speech.size, 2))
    bypass = reduce_noise(noisy, RATE, strength=0.0)
    np.testing.assert_allclose(bypass.samples, noisy, atol=1e-5)
    gentle = reduce_noise(noisy, RATE, strength=1.0, gain_floor_db=-6.0)
    assert gentle.samples.shape == noisy.shape and gentle.samples.dtype == np.float32
    assert gentle.noise_attenuation_db <= 6.0 + 0.5
    strong = reduce_noise(noisy, RATE, strength=1.0, gain_floor_db=-30.0, profile=gentle.profile)
    assert strong.noise_attenuation_db > gentle.noise_attenuation_db + 3.0


def test_quantile_profile_when_there_are_no_pauses(rng: np.random.Generator) -> None:
    rate = 16000
    speech, _ = speech_like(rng, 10.0, rate, phrase_pause_s=(0.02, 0.05))
    noise = pink_noise(rng, speech.size, -40)
    profile = estimate_noise_profile(speech + noise, rate, min_noise_s=60.0)
    assert profile.method == "quantile"
    true_psd = estimate_noise_profile(noise, rate).psd
    band = (profile.frequencies > 200) & (profile.frequencies < 4000)
    ratio_db = 10 * np.log10(profile.psd[0, band].mean() / true_psd[0, band].mean())
    assert abs(ratio_db) < 6.0  # speech inflates the quantile a little; same ballpark


def test_bad_input() -> None:
    with pytest.raises(AlgorithmError, match="strength"):
        reduce_noise(np.zeros(RATE), RATE, strength=1.5)
    with pytest.raises(AlgorithmError, match="gain_floor_db"):
        reduce_noise(np.zeros(RATE), RATE, gain_floor_db=3.0)
    with pytest.raises(AlgorithmError, match="too few"):
        reduce_noise(np.zeros(100), RATE)
    with pytest.raises(AlgorithmError, match="NaN"):
        reduce_noise(np.array([0.0, np.nan] * 2000), RATE)
    profile = estimate_noise_profile(np.zeros((RATE, 2)), RATE)
    with pytest.raises(AlgorithmError, match="another rate"):
        reduce_noise(np.zeros((RATE, 1)), RATE, profile=profile)
    # Digital silence stays silence (no NaN from 0/0).
    silent = reduce_noise(np.zeros((RATE, 2)), RATE, profile=profile)
    assert np.all(silent.samples == 0.0)
