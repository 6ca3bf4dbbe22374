"""Loudness normalisation to a delivery target: linear gain, true-peak limiting only when needed.

Reference
---------
EBU R 128 (2020) and EBU Tech 3343 (production guidelines) describe normalisation as a
static gain that brings Programme Loudness to the target; when that gain would push the
Maximum True-Peak Level over the permitted maximum, the peaks have to be controlled —
here with the look-ahead true-peak limiter of
:mod:`~reelgraph.algorithms.audio.true_peak_limiter_bs1770`. The measurement follows the
target (:mod:`~reelgraph.specs.loudness_targets`): programme loudness
(BS.1770-5) or dialogue-gated loudness.

Behaviour — the result always says what was done, never switches mode silently:

* gain = target − measured loudness. If the input's true peak plus that gain stays at or
  below the ceiling: plain linear gain, ``limited=False``.
* Otherwise, with ``allow_limiting=True`` (default): gain, then the limiter at the ceiling;
  limiting lowers the loudness a little, so the gain is raised by the shortfall and the
  limiter re-run (at most ``max_iterations`` times) until the output is within
  ``loudness_accuracy_lu`` of the target. ``limited=True`` and ``reason`` gives the peak
  that would have resulted and the gain reduction used.
* With ``allow_limiting=False``: the gain is lowered until the true peak sits at the
  ceiling; ``limited=False``, ``target_met`` tells whether the loudness still lands within
  tolerance, and ``reason`` says by how much it falls short.
* Silence (no block above −70 LUFS): unchanged, ``gain_db=0``, ``target_met=False``.

Domain and range
----------------
===================  ==============================================================
``samples``          float32/float64 ``(samples, channels)`` or ``(samples,)``, linear,
                     1.0 = full scale; NaN/inf → AlgorithmError
``rate``             float, Hz, >= 8000
``target``           a :class:`DeliveryTarget` or its name (``ebu-r128``, ``atsc-a85``,
                     ``streaming``, ``web``)
returns              :class:`NormalisationResult`: float32 samples of the input's shape
===================  ==============================================================

Example
-------
>>> import numpy as np
>>> t = np.arange(48000 * 5) / 48000
>>> quiet = 10 ** (-33 / 20) * np.sin(2 * np.pi * 1000 * t)
>>> r = normalise(np.stack([quiet, quiet], axis=1), 48000, "ebu-r128")
>>> r.limited, round(r.gain_db, 1), round(r.output_lufs, 1)
(False, 10.0, -23.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.audio._common import as_audio, check_rate
from reelgraph.algorithms.audio.dialogue_loudness_gated import (
    DEFAULT_MIN_SPEECH_RATIO,
    dialogue_loudness,
)
from reelgraph.algorithms.audio.loudness_bs1770 import loudness_bs1770
from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import true_peak
from reelgraph.algorithms.audio.true_peak_limiter_bs1770 import (
    DEFAULT_LOOKAHEAD_S,
    DEFAULT_RELEASE_S,
    limit_true_peak,
)
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import SpeechActivity, detect_speech
from reelgraph.errors import AlgorithmError
from reelgraph.specs.loudness_targets import DeliveryTarget, lookup

__all__ = ["NormalisationResult", "normalise"]

#: Stop re-running the limiter once the output loudness is this close to the target, LU.
DEFAULT_LOUDNESS_ACCURACY_LU: Final = 0.05


@dataclass(frozen=True)
class NormalisationResult:
    """Normalised audio and a full account of what was done."""

    samples: NDArray[np.float32] = field(repr=False)
    """Normalised audio, float32, the input's shape."""
    target: DeliveryTarget
    """The target normalised to."""
    gain_db: float
    """Static gain applied before any limiting, dB."""
    limited: bool
    """True when the true-peak limiter had to act to honour the ceiling."""
    reason: str
    """Plain-language account: gain, peaks, limiting, shortfall."""
    measured_on: str
    """What loudness was normalised: ``"programme"`` or ``"speech"`` (dialogue-gated)."""
    input_lufs: float
    """Input loudness (as measured_on), LUFS."""
    output_lufs: float
    """Output loudness (as measured_on, same speech mask), LUFS."""
    input_true_peak_dbtp: float
    """Input true peak, dBTP."""
    output_true_peak_dbtp: float
    """Output true peak, dBTP."""
    max_gain_reduction_db: float
    """Largest limiter gain reduction, dB (0 when not limited)."""
    target_met: bool
    """Output loudness within tolerance and true peak at or below the maximum."""


def _loudness(
    audio: NDArray[np.floating],
    rate: float,
    target: DeliveryTarget,
    layout: str | None,
    channel_weights: Sequence[float] | None,
    speech: SpeechActivity | None,
    min_speech_ratio: float,
) -> tuple[float, str]:
    if target.gating == "dialogue":
        gate = dialogue_loudness(
            audio,
            rate,
            layout=layout,
            channel_weights=channel_weights,
            speech=speech,
            min_speech_ratio=min_speech_ratio,
        )
        return gate.loudness_lufs, gate.gated_on
    loudness = loudness_bs1770(audio, rate, layout=layout, channel_weights=channel_weights)
    return loudness.integrated_lufs, "programme"


def normalise(
    samples: ArrayLike,
    rate: float,
    target: DeliveryTarget | str,
    *,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
    allow_limiting: bool = True,
    speech: SpeechActivity | None = None,
    min_speech_ratio: float = DEFAULT_MIN_SPEECH_RATIO,
    lookahead_s: float = DEFAULT_LOOKAHEAD_S,
    release_s: float = DEFAULT_RELEASE_S,
    max_iterations: int = 4,
    loudness_accuracy_lu: float = DEFAULT_LOUDNESS_ACCURACY_LU,
) -> NormalisationResult:
    """Bring ``samples`` to ``target`` loudness within its true-peak ceiling (module docstring).

    For dialogue-gated targets the speech mask is computed once on the input (or taken from
    ``speech``) and reused to measure the output, so gain changes cannot move the gate.
    """
    fs = check_rate(rate)
    spec = lookup(target)
    array = np.asarray(samples)
    audio = as_audio(array)
    if max_iterations < 1:
        raise AlgorithmError(f"max_iterations must be >= 1, got {max_iterations}")
    if spec.gating == "dialogue" and speech is None:
        speech = detect_speech(audio, fs, layout=layout)

    def shaped(x: NDArray[np.floating]) -> NDArray[np.float32]:
        y = x.astype(np.float32, copy=False)
        return y[:, 0] if array.ndim == 1 else y

    def measure(x: NDArray[np.floating]) -> tuple[float, str]:
        return _loudness(x, fs, spec, layout, channel_weights, speech, min_speech_ratio)

    input_lufs, measured_on = measure(audio)
    input_peak = true_peak(audio, fs).max_dbtp
    ceiling = spec.true_peak_max_dbtp
    if not math.isfinite(input_lufs):
        return NormalisationResult(
            shaped(audio.astype(np.float32)),
            spec,
            0.0,
            False,
            "no gain applied: no measurable loudness (nothing above the −70 LUFS gate)",
            measured_on,
            input_lufs,
            input_lufs,
            input_peak,
            input_peak,
            0.0,
            False,
        )

    def linear_gain(gain: float, reason: Callable[[float, float], str]) -> NormalisationResult:
        """``gain`` dB and no limiter; ``reason`` is given the output's loudness and peak."""
        out = (audio * 10.0 ** (gain / 20.0)).astype(np.float32)
        output_lufs, _ = measure(out)
        output_peak = true_peak(out, fs).max_dbtp
        return NormalisationResult(
            shaped(out),
            spec,
            gain,
            False,
            reason(output_lufs, output_peak),
            measured_on,
            input_lufs,
            output_lufs,
            input_peak,
            output_peak,
            0.0,
            spec.accepts(output_lufs, output_peak),
        )

    gain_db = spec.integrated_lufs - input_lufs
    predicted_peak = input_peak + gain_db
    if predicted_peak <= ceiling:
        return linear_gain(
            gain_db,
            lambda _, output_peak: (
                f"linear gain {gain_db:+.2f} dB; true peak {output_peak:.2f} dBTP within the "
                f"{ceiling:.1f} dBTP ceiling"
            ),
        )

    if not allow_limiting:
        safe_gain = ceiling - input_peak - 0.01
        return linear_gain(
            safe_gain,
            lambda output_lufs, _: (
                f"gain {gain_db:+.2f} dB would put the true peak at {predicted_peak:.2f} dBTP, "
                f"above the {ceiling:.1f} dBTP ceiling, and limiting is not allowed: applied "
                f"{safe_gain:+.2f} dB instead, "
                f"{spec.integrated_lufs - output_lufs:.2f} LU short of the target"
            ),
        )

    applied = gain_db
    limited = limit_true_peak(
        audio * 10.0 ** (applied / 20.0), fs, ceiling_dbtp=ceiling, lookahead_s=lookahead_s,
        release_s=release_s,
    )  # fmt: skip
    output_lufs, _ = measure(limited.samples)
    for _ in range(max_iterations - 1):
        shortfall = spec.integrated_lufs - output_lufs
        if abs(shortfall) <= loudness_accuracy_lu:
            break
        applied += shortfall
        limited = limit_true_peak(
            audio * 10.0 ** (applied / 20.0), fs, ceiling_dbtp=ceiling, lookahead_s=lookahead_s,
            release_s=release_s,
        )  # fmt: skip
        output_lufs, _ = measure(limited.samples)
    out = np.asarray(limited.samples, dtype=np.float32).reshape(audio.shape)
    return NormalisationResult(
        shaped(out),
        spec,
        applied,
        True,
        f"linear gain {gain_db:+.2f} dB would put the true peak at {predicted_peak:.2f} dBTP, "
        f"above the {ceiling:.1f} dBTP ceiling: applied {applied:+.2f} dB and true-peak "
        f"limiting (up to {limited.max_gain_reduction_db:.1f} dB gain reduction on "
        f"{limited.limited_fraction:.1%} of samples)",
        measured_on,
        input_lufs,
        output_lufs,
        input_peak,
        limited.output_true_peak_dbtp,
        limited.max_gain_reduction_db,
        spec.accepts(output_lufs, limited.output_true_peak_dbtp),
    )
