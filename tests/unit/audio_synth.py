"""Seeded synthetic audio for the audio algorithm tests: speech-like dialogue and noise.

The "speech" is a source-filter model: a harmonic glottal-like source (f0 100–220 Hz with
intonation, 1/k amplitudes) through three formant resonators chosen per syllable, syllables
of 120–220 ms at ~4 per second grouped in phrases of 1–3 s, with short unvoiced (fricative)
onsets. It has the cues a dialogue detector and a noise reducer rely on (harmonicity,
speech-band energy, 4 Hz syllabic modulation, high-frequency consonant energy) without
needing recorded speech in the repository.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import signal


def _resonator(frequency: float, bandwidth: float, rate: float) -> tuple[list[float], list[float]]:
    r = np.exp(-np.pi * bandwidth / rate)
    theta = 2 * np.pi * frequency / rate
    return [1.0 - r], [1.0, -2.0 * r * np.cos(theta), r * r]


def speech_like(
    rng: np.random.Generator,
    duration_s: float,
    rate: int = 48000,
    *,
    level_dbfs: float = -26.0,
    phrase_pause_s: tuple[float, float] = (0.4, 1.2),
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Speech-like mono signal and its ground-truth activity mask (per sample).

    ``level_dbfs`` is the RMS of the active (speech) parts.
    """
    n = int(duration_s * rate)
    out = np.zeros(n)
    active = np.zeros(n, dtype=bool)
    t = 0.3 + rng.uniform(0.0, 0.5)
    formant_sets = [(730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410),
                    (440, 1020, 2240), (300, 870, 2240), (660, 1720, 2410)]  # fmt: skip
    while t < duration_s - 1.0:
        phrase_len = rng.uniform(1.0, 3.0)
        phrase_end = min(t + phrase_len, duration_s - 0.3)
        f0_base = rng.uniform(100, 220)
        while t < phrase_end:
            syllable = rng.uniform(0.12, 0.22)
            start, stop = int(t * rate), int(min(t + syllable, phrase_end) * rate)
            length = stop - start
            if length < rate // 50:
                break
            tt = np.arange(length) / rate
            f0 = f0_base * (
                1 + 0.08 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * tt + rng.uniform(0, 6))
            )
            phase = 2 * np.pi * np.cumsum(f0) / rate
            harmonics = np.arange(1, int(7000 / f0_base))
            source = (np.sin(np.outer(phase, harmonics)) / harmonics).sum(axis=1)
            voiced = np.zeros(length)
            for f, bw in zip(
                formant_sets[rng.integers(len(formant_sets))], (80, 100, 150), strict=True
            ):
                b, a = _resonator(f * rng.uniform(0.9, 1.1), bw, rate)
                voiced += signal.lfilter(b, a, source)
            envelope = np.sin(np.pi * np.arange(length) / length) ** 0.6
            # Syllables vary by a few dB, as in running speech (not by the resonators' gain).
            voiced *= 10 ** (rng.uniform(-4, 4) / 20) / np.sqrt(np.mean(voiced**2))
            segment = voiced * envelope
            # Fricative onset: 30–60 ms of 3–8 kHz noise.
            fric = int(rng.uniform(0.03, 0.06) * rate)
            if rng.random() < 0.5 and fric < length:
                sos = signal.butter(
                    4, [3000, min(8000, 0.45 * rate)], "bandpass", fs=rate, output="sos"
                )
                burst = signal.sosfilt(sos, rng.standard_normal(fric)) * np.hanning(fric)
                segment[:fric] += burst * 3 * np.std(segment)
            out[start:stop] += segment
            active[start:stop] = True
            t += syllable + rng.uniform(0.04, 0.1)
        t = phrase_end + rng.uniform(*phrase_pause_s)
    rms = np.sqrt(np.mean(out[active] ** 2)) if active.any() else 1.0
    out *= 10 ** (level_dbfs / 20) / rms
    return out, active


def pink_noise(rng: np.random.Generator, n: int, level_dbfs: float) -> NDArray[np.float64]:
    """Pink (1/f) noise of RMS ``level_dbfs`` (Voss-McCartney-free: 1/f shaping in frequency)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    noise = np.fft.irfft(spectrum / np.sqrt(f), n)
    return noise * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(noise**2))


def sine(
    rate: float, duration_s: float, level_dbfs: float, frequency: float = 1000.0
) -> NDArray[np.float64]:
    """A sine of peak level ``level_dbfs``."""
    t = np.arange(round(duration_s * rate)) / rate
    return 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * frequency * t)
