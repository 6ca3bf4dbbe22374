"""The sound checks' algorithms: clipping runs (AES17 full scale), digital silence (FFmpeg
silencedetect semantics) and phase correlation (a correlation meter)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from reelgraph.algorithms.qc.clipping_aes17 import ClippingParameters, clipping_runs
from reelgraph.algorithms.qc.phase_correlation_brixen2011 import (
    PhaseParameters,
    phase_correlation,
)
from reelgraph.algorithms.qc.silence_ffmpeg_silencedetect import (
    SilenceParameters,
    silence_runs,
    silent_channels,
)
from reelgraph.errors import AlgorithmError
from reelgraph.qc.audio_checks import check_audio
from reelgraph.qc.profiles import AudioRequirements
from reelgraph.specs.loudness_targets import lookup

RATE = 48000


def tone(
    seconds: float, hz: float = 440.0, amplitude: float = 0.5, phase: float = 0.0
) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * hz * t + phase)


def test_clipping_counts_runs_of_full_scale_samples_per_channel() -> None:
    clipped = np.clip(1.5 * tone(0.01, hz=1000, amplitude=1.0), -1, 1)
    audio = np.stack([tone(0.01), clipped], axis=1).astype(np.float32)
    runs = clipping_runs(audio)
    # A 1 kHz sine driven 3.5 dB over full scale: one flat top per half period (20 in 10 ms).
    assert set(runs.runs[:, 0].tolist()) == {1} and len(runs.runs) == 20
    assert runs.clipped_samples[0] == 0
    assert runs.clipped_samples[1] == int((np.abs(clipped) >= 32767 / 32768).sum())
    # A sine that only touches full scale at single samples is not clipping.
    touching = np.zeros(100)
    touching[[10, 30, 50]] = [1.0, -1.0, 1.0]
    assert clipping_runs(touching).runs.size == 0
    # Two samples at full scale are below min_run = 3; the parameter changes that.
    pair = np.zeros(20)
    pair[5:7] = 1.0
    assert clipping_runs(pair).runs.size == 0
    assert clipping_runs(pair, ClippingParameters(min_run=2)).runs.tolist() == [[0, 5, 6]]


def test_clipping_shapes_and_bad_input() -> None:
    assert clipping_runs(np.zeros((0, 6), np.float32)).runs.shape == (0, 3)
    assert clipping_runs(np.ones(5)).runs.tolist() == [[0, 0, 4]]  # 1-D is mono
    with pytest.raises(AlgorithmError):
        clipping_runs(np.array([0.0, np.nan, 0.0]))
    with pytest.raises(AlgorithmError, match="float"):
        clipping_runs(np.zeros(10, np.int16))
    with pytest.raises(AlgorithmError):
        ClippingParameters(level=1.5)


def test_silence_runs_follow_silencedetect() -> None:
    audio = np.stack([tone(6.0, phase=0.3), tone(6.0, phase=0.3)], axis=1)
    audio[RATE : 3 * RATE] = 0.0  # 2.0 s: exactly the minimum duration
    audio[4 * RATE : int(5.5 * RATE), 0] = 0.0  # one channel only: not silence (mono=0)
    assert silence_runs(audio, RATE).tolist() == [[RATE, 3 * RATE - 1]]
    short = SilenceParameters(min_duration=2.5)
    assert silence_runs(audio, RATE, short).size == 0
    # Dither at −100 dBFS is digital silence; room tone at −60 dBFS is not.
    quiet = np.random.default_rng(1).normal(0, 1, (3 * RATE, 2))
    assert silence_runs(quiet * 10 ** (-100 / 20) / 4, RATE).tolist() == [[0, 3 * RATE - 1]]
    assert silence_runs(quiet * 10 ** (-60 / 20), RATE).size == 0


def test_silent_channels_and_edge_cases() -> None:
    audio = np.zeros((RATE, 6))
    audio[:, [0, 1, 2, 4, 5]] = tone(1.0)[:, None]
    assert silent_channels(audio).tolist() == [False, False, False, True, False, False]
    assert silent_channels(np.zeros((0, 2))).tolist() == [False, False]
    assert silence_runs(np.zeros((0, 2)), RATE).shape == (0, 2)
    with pytest.raises(AlgorithmError):
        silence_runs(np.zeros((10, 2)), 0)
    with pytest.raises(AlgorithmError):
        SilenceParameters(noise_db=3.0)


def test_phase_correlation_reference_values() -> None:
    left = tone(2.0)
    assert phase_correlation(left, left, RATE).programme == pytest.approx(1.0, abs=1e-9)
    assert phase_correlation(left, -left, RATE).programme == pytest.approx(-1.0, abs=1e-9)
    quadrature = tone(2.0, phase=np.pi / 2)  # 90° apart: uncorrelated
    reading = phase_correlation(left, quadrature, RATE)
    assert reading.programme == pytest.approx(0.0, abs=1e-3)
    # 0.4 s windows every 0.1 s: 17 readings in 2 s, the first ending at 0.4 s.
    assert reading.series.size == 17 and reading.end_s[0] == pytest.approx(0.4)
    assert np.allclose(reading.series, 0.0, atol=0.01)


def test_phase_correlation_gates_silence_and_keeps_time_at_fractional_hops() -> None:
    left = tone(2.0)
    right = left.copy()
    right[RATE:] = 0.0  # the right channel goes silent after 1 s
    reading = phase_correlation(left, right, RATE)
    assert np.isnan(reading.series[-1]) and reading.series[0] == pytest.approx(1.0)
    # One reading per 29.97 fps frame (1601.6 samples): no drift over the programme.
    frame = 1001 / 30000
    fine = phase_correlation(tone(60.0), tone(60.0), RATE, PhaseParameters(frame, frame))
    assert fine.series.size == int(60.0 / frame)
    assert np.isnan(phase_correlation(np.zeros(RATE), np.zeros(RATE), RATE).programme)
    assert phase_correlation(np.zeros(0), np.zeros(0), RATE).series.size == 0
    with pytest.raises(AlgorithmError):
        phase_correlation(np.zeros(10), np.zeros(11), RATE)
    with pytest.raises(AlgorithmError):
        phase_correlation(np.array([np.inf]), np.zeros(1), RATE)


def test_each_sound_finding_cites_the_standard_of_its_check() -> None:
    """A report reader looks a finding's limit up in the standard it names: the loudness
    finding cites the loudness target's document, clipping AES17, silence silencedetect."""
    left = np.clip(2.0 * tone(3.0, hz=1000, amplitude=1.0), -1, 1)  # clipped and too loud
    audio = np.stack([left, np.zeros_like(left)], axis=1).astype(np.float32)  # dead right
    requirements = AudioRequirements(target=lookup("ebu-r128"))
    qc = check_audio(audio, RATE, "stereo", ("FL", "FR"), requirements, Fraction(25), 75)
    standards = requirements.standards()
    checks = {f.check for f in qc.findings}
    assert {"loudness", "clipping", "silence"} <= checks
    assert len({standards[c] for c in checks}) > 1  # the checks cite different documents
    for finding in qc.findings:
        assert finding.standard == standards[finding.check], finding.check
