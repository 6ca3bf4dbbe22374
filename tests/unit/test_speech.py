"""Speech recognition (PocketSphinx, extra ``[asr]``), phrase search and word error rate:
read speech with a known text is recognised with few errors and words land where the
speech was placed; streaming in any block size gives the same words; phrase search is
tolerant of case, punctuation and word splits but not of partial words."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from scipy.signal import resample_poly
from speech_audio import placed_speech, reading

from reelgraph.algorithms.speech import (
    RATE_HZ,
    PocketSphinxRecogniser,
    Transcript,
    find_phrase,
    recogniser,
    word_error_rate,
)
from reelgraph.errors import AlgorithmError


def _pcm16k(audio: np.ndarray) -> np.ndarray:
    resampled = resample_poly(audio.astype(np.float64), 1, 3)  # 48 kHz → 16 kHz
    return np.clip(np.rint(resampled * 32767), -32768, 32767).astype(np.int16)


def _recognise(pcm: np.ndarray, block: int) -> Transcript:
    engine = recogniser("pocketsphinx")
    for start in range(0, pcm.size, block):
        engine.push(pcm[start : start + block])
    return engine.finish()


@pytest.fixture(scope="module")
def placed() -> tuple[np.ndarray, list[tuple[float, float, str]], Transcript]:
    audio, places = placed_speech()
    pcm = _pcm16k(audio)
    return pcm, places, _recognise(pcm, 1237)  # a block size unrelated to any frame size


def test_read_speech_is_recognised_with_few_errors(placed: tuple) -> None:
    _, places, transcript = placed
    reference = " ".join(text for _, _, text in places)
    # Recognised word for word on this machine; one error in the 17 words is allowed.
    assert word_error_rate(reference, transcript.text) <= 0.1, transcript.text
    assert transcript.model.startswith("pocketsphinx 5.1.1 en-us")


def test_words_fall_where_the_speech_was_placed(placed: tuple) -> None:
    pcm, places, transcript = placed
    assert transcript.duration_s == pytest.approx(pcm.size / RATE_HZ, abs=0.05)
    # The endpointer's pre-roll may start a word a little before the placed sound.
    slack = 0.35
    for word in transcript.words:
        assert word.start_s < word.end_s
        assert any(a - slack <= word.start_s and word.end_s <= b + slack for a, b, _ in places), (
            word
        )
    (best,) = [w for w in transcript.words if w.text == "best"]
    assert best.start_s > places[1][0]
    assert [w.start_s for w in transcript.words] == sorted(w.start_s for w in transcript.words)
    assert all(0.0 <= w.confidence <= 1.0 for w in transcript.words)


@pytest.mark.slow
def test_block_size_does_not_change_the_words(placed: tuple) -> None:
    pcm, _, transcript = placed
    assert _recognise(pcm, pcm.size).words == transcript.words


@pytest.mark.slow
def test_running_speech_keeps_each_phrase_first_word() -> None:
    # The first 13 s of the reading: six phrases opening "it was", each after a short
    # pause. The endpointer decides "speech" a little after the onset; without the pre-roll
    # the phrases after the first come out as "was the age of wisdom".
    transcript = _recognise(_pcm16k(reading()[: 13 * 48000 + 9600]), 4096)
    words = [(w.text, w.start_s, w.end_s) for w in transcript.words]
    assert len(find_phrase(words, "it was")) == 6, transcript.text


def test_silence_and_bad_input() -> None:
    engine = PocketSphinxRecogniser()
    engine.push(np.zeros(0, np.int16))
    engine.push(np.zeros(RATE_HZ, np.int16))
    assert engine.finish().words == ()
    with pytest.raises(AlgorithmError, match="int16"):
        PocketSphinxRecogniser().push(np.zeros(100, np.float32))
    with pytest.raises(AlgorithmError, match="unknown speech recogniser") as caught:
        recogniser("whisper")
    assert "pocketsphinx" in (caught.value.hint or "")


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pocketsphinx" else real(name, *a),
    )
    with pytest.raises(AlgorithmError) as caught:
        PocketSphinxRecogniser()
    assert "reelgraph[asr]" in (caught.value.hint or "")


WORDS = [
    ("it's", 0.0, 0.2),
    ("some", 0.2, 0.4),
    ("one", 0.4, 0.6),
    ("started", 0.6, 1.0),
    ("the", 1.0, 1.1),
    ("art", 1.1, 1.4),
    ("some", 2.0, 2.2),
    ("one", 2.2, 2.5),
]


def test_phrase_search_ignores_case_punctuation_and_word_splits() -> None:
    hits = find_phrase(WORDS, "Someone")
    assert [(h.text, h.start_s, h.end_s) for h in hits] == [
        ("some one", 0.2, 0.6),
        ("some one", 2.0, 2.5),
    ]
    (hit,) = find_phrase(WORDS, "ITS, SOME-ONE!")
    assert (hit.first_word, hit.last_word, hit.start_s, hit.end_s) == (0, 2, 0.0, 0.6)
    (art,) = find_phrase(WORDS, "art")  # the word, not the end of "started"
    assert art.first_word == 5
    assert find_phrase(WORDS, "tart") == []
    assert find_phrase(WORDS, "star") == []  # a word's start is not a word
    assert find_phrase(WORDS, "some") and find_phrase(WORDS, "om") == []
    assert find_phrase([], "anything") == []


def test_phrase_search_refuses_a_phrase_without_words() -> None:
    with pytest.raises(AlgorithmError, match="no letter or digit"):
        find_phrase(WORDS, " ?! ")


def test_word_error_rate_counts_substitutions_deletions_insertions() -> None:
    assert word_error_rate("the cat sat", "The cat, sat.") == 0.0
    assert word_error_rate("the cat sat", "the bat sat") == pytest.approx(1 / 3)
    assert word_error_rate("the cat sat", "the sat") == pytest.approx(1 / 3)
    assert word_error_rate("the cat sat", "oh the cat sat down") == pytest.approx(2 / 3)
    assert word_error_rate("the cat sat", "") == 1.0
    with pytest.raises(AlgorithmError):
        word_error_rate("", "words")
