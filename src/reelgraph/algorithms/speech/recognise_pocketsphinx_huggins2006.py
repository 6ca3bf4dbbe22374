"""Word-timed speech recognition with CMU PocketSphinx, from the optional extra ``[asr]``.

Reference
---------
D. Huggins-Daines, M. Kumar, A. Chan, A. W. Black, M. Ravishankar and A. I. Rudnicky,
"PocketSphinx: A free, real-time continuous speech recognition system for hand-held
devices", Proc. ICASSP 2006, pp. I-185–I-188. A hidden-Markov-model recogniser (semi-
continuous acoustic model, trigram language model, pronunciation dictionary) that decodes
faster than real time on one CPU core.

The ``pocketsphinx`` wheel (5.x) carries the US-English acoustic model, the CMU
pronouncing dictionary and a general-English trigram model, so nothing is downloaded at
run time. Sound is split into utterances by PocketSphinx's own endpointer (a WebRTC-style
voice activity detector over 30 ms frames, ``window`` 0.3 s at ``ratio`` 0.9); each
utterance is decoded with ``PRE_ROLL_S`` of the sound before the endpointer's start, which
otherwise clips the first word's onset (measured on the two-cities reading: 6 of 14
utterances lost their first word without it). Word times come from the decoder's best-path
segmentation (10 ms frames), offset by the utterance's start; a word's ``confidence`` is its
posterior probability in the utterance's lattice. Memory: the current utterance's
search, never the recording — sound is pushed in blocks as it is decoded.

Limits: a general-English model with no adaptation; accented, noisy, overlapping or
emotional dialogue, names and rare words are often wrong (word error rates of 20–40 % on
clean read speech, more on dialogue under music). Good enough to find where a line is said,
not to publish as subtitles.

Domain and range
----------------
======================  ===============================================================
``push(pcm)``           int16 ``(samples,)``, mono, 16 kHz, 1 = 1/32768 of full scale
:meth:`finish`          :class:`Transcript`: words with start/end in seconds from the
                        first sample pushed, in order
======================  ===============================================================

Example
-------
>>> import numpy as np
>>> recogniser = PocketSphinxRecogniser()
>>> recogniser.push(np.zeros(16000, np.int16))   # a second of silence
>>> recogniser.finish().words
()
"""

from __future__ import annotations

import collections
import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from reelgraph.errors import AlgorithmError

__all__ = [
    "INSTALL_HINT",
    "RATE_HZ",
    "PocketSphinxRecogniser",
    "Transcript",
    "Word",
    "model_name",
    "pocketsphinx_available",
]

INSTALL_HINT = "install the speech recogniser with: pip install 'reelgraph[asr]'"

#: The acoustic model's sample rate.
RATE_HZ: Final = 16000
#: Sound decoded before the endpointer's speech start (its decision lags the onset).
PRE_ROLL_S: Final = 0.3
#: Decoder frames per second (PocketSphinx's ``-frate`` default).
_FRAMES_PER_S: Final = 100
# Fillers and markers of the decoder's segmentation that are not words.
_NOT_WORDS = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")
_ALTERNATE = re.compile(r"\(\d+\)$")  # "was(2)": the dictionary's second pronunciation


@dataclass(frozen=True)
class Word:
    """One recognised word."""

    text: str
    """Lower case, as in the dictionary."""
    start_s: float
    """Start, seconds from the first sample."""
    end_s: float
    """End (exclusive), seconds."""
    confidence: float
    """Posterior probability of the word, 0–1."""


@dataclass(frozen=True)
class Transcript:
    """The words of a recording, in order, and what recognised them."""

    words: tuple[Word, ...]
    model: str
    """The recogniser and its model (``pocketsphinx 5.1.1 en-us``)."""
    duration_s: float
    """Sound pushed, seconds."""

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


def pocketsphinx_available() -> bool:
    """Whether ``pocketsphinx`` is installed (the extra ``[asr]``)."""
    return importlib.util.find_spec("pocketsphinx") is not None


def model_name() -> str:
    """The recogniser, its version and model, as transcripts record it (a new version is a
    new model: stored transcripts are made again)."""
    return f"pocketsphinx {importlib.metadata.version('pocketsphinx')} en-us"


class PocketSphinxRecogniser:
    """Streaming recogniser: :meth:`push` 16 kHz mono int16 blocks, then :meth:`finish`."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        if not pocketsphinx_available():
            raise AlgorithmError(
                "speech recognition needs the pocketsphinx package", hint=INSTALL_HINT
            )
        from pocketsphinx import Decoder, Endpointer

        self.model = model_name()
        self._endpointer: Any = Endpointer(sample_rate=RATE_HZ)
        self._decoder: Any = Decoder(samprate=RATE_HZ, loglevel="FATAL")
        self._frame_bytes: int = self._endpointer.frame_bytes
        self._frame_s: float = float(self._endpointer.frame_length)
        self._recent: collections.deque[tuple[float, bytes]] = collections.deque(
            maxlen=max(1, round(PRE_ROLL_S / self._frame_s)) + 1
        )
        self._pending = b""
        self._samples = 0
        self._frames = 0
        self._in_utterance = False
        self._utterance_start = 0.0
        self._words: list[Word] = []

    def push(self, pcm: NDArray[np.int16]) -> None:
        """Decode a block of sound (any length)."""
        if not isinstance(pcm, np.ndarray) or pcm.dtype != np.int16 or pcm.ndim != 1:
            raise AlgorithmError("pcm must be a 1-D int16 array (mono, 16 kHz)")
        self._samples += pcm.size
        data = self._pending + pcm.tobytes()
        whole = len(data) - len(data) % self._frame_bytes
        for offset in range(0, whole, self._frame_bytes):
            self._frame(data[offset : offset + self._frame_bytes], last=False)
        self._pending = data[whole:]

    def finish(self) -> Transcript:
        """Decode what is left and return the transcript."""
        # The endpointer's end_stream() is for a stream that ends inside speech, and needs at
        # least one sample; a partial frame of silence at the end carries no words.
        if self._endpointer.in_speech:
            self._frame(self._pending or bytes(2), last=True)
        if self._in_utterance:
            self._end_utterance()
        self._pending = b""
        return Transcript(tuple(self._words), self.model, round(self._samples / RATE_HZ, 3))

    def _frame(self, frame: bytes, *, last: bool) -> None:
        start = self._frames * self._frame_s
        self._recent.append((start, frame))
        self._frames += 1
        was_speech = self._endpointer.in_speech
        speech = self._endpointer.end_stream(frame) if last else self._endpointer.process(frame)
        if speech is None:
            return
        if not was_speech:
            begin = float(self._endpointer.speech_start)
            pre_roll = [f for t, f in self._recent if begin - PRE_ROLL_S - 1e-6 <= t < begin - 1e-6]
            self._decoder.start_utt()
            self._in_utterance = True
            for earlier in pre_roll:
                self._decoder.process_raw(earlier, False, False)
            self._utterance_start = begin - len(pre_roll) * self._frame_s
        if speech:  # end_stream() may hand back no sound at all
            self._decoder.process_raw(speech, False, False)
        if last or not self._endpointer.in_speech:
            self._end_utterance()

    def _end_utterance(self) -> None:
        self._decoder.end_utt()
        self._in_utterance = False
        for segment in self._decoder.seg():
            text = _ALTERNATE.sub("", segment.word)
            if _NOT_WORDS.match(text):
                continue
            self._words.append(
                Word(
                    text,
                    round(self._utterance_start + segment.start_frame / _FRAMES_PER_S, 3),
                    round(self._utterance_start + (segment.end_frame + 1) / _FRAMES_PER_S, 3),
                    round(float(min(1.0, max(0.0, segment.prob))), 3),
                )
            )
