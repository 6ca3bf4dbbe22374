"""Loudness correction to a delivery target: noise reduction → leveler → normaliser, measured.

Reference
---------
The order of a dialogue mixer's pass, as EBU Tech 3343 (production guidelines for EBU
R 128) describes loudness work: clean the dialogue first (so the gain that follows does not
lift the background with it), even the phrases (a speech-aware leveler), then bring the
programme to the target with a static gain, controlling peaks to the Maximum True-Peak
Level only where that gain would exceed it. The steps are the modules of this package:

1. :func:`~reelgraph.algorithms.audio.noise_reduction_wiener_scalart1996.reduce_noise`
   (optional, ``denoise_strength``);
2. :func:`~reelgraph.algorithms.audio.leveler_dialogue_bs1770.level` (optional,
   ``leveler``), skipped — and said so — when less than ``min_speech_ratio`` of the
   audible programme is speech (there is no dialogue to ride);
3. :func:`~reelgraph.algorithms.audio.loudness_normalisation_r128.normalise`, the only
   step that guarantees the true-peak ceiling; it reports ``limited=True`` and why when it
   had to limit.

One speech mask (:func:`~reelgraph.algorithms.audio.vad_spectral_moattar2009.detect_speech`
on the input) serves every step and both measurements, so gain changes cannot move the
dialogue gate. The input and output are measured with
:func:`~reelgraph.algorithms.audio.measure_ebu_r128.measure` (I, M/S, LRA, true peak) plus
the dialogue-gated loudness, and the output is checked against the nominal target.

Two corrections exist for an iteration loop or a lossy encode downstream: ``target_offset_lu``
is added to the target loudness the normaliser aims at, and ``true_peak_margin_db`` lowers
the limiter's ceiling below the target's maximum (AAC/MP3 encoders raise true peaks by a
few tenths of a dB). The check is always against the nominal target.

Domain and range
----------------
======================  ==============================================================
``samples``             float32/float64 ``(samples, channels)`` or ``(samples,)``, linear,
                        1.0 = full scale; NaN/inf → AlgorithmError
``rate``                float, Hz, >= 8000
``target``              a :class:`DeliveryTarget` or its name
``denoise_strength``    None (no noise reduction) or a float in [0, 1]
returns                 :class:`LoudnessCorrection`: float32 samples of shape
                        ``(samples, channels)``, the steps' results and both measurements
======================  ==============================================================

Example
-------
>>> import numpy as np
>>> t = np.arange(48000 * 6) / 48000
>>> quiet = 10 ** (-40 / 20) * np.sin(2 * np.pi * 440 * t)
>>> c = correct_loudness(np.stack([quiet, quiet], axis=1), 48000, "web")
>>> round(c.after.integrated_lufs, 1), c.normalisation.limited, c.check.passed
(-14.0, False, True)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.audio._common import as_audio, check_rate
from reelgraph.algorithms.audio.dialogue_loudness_gated import DEFAULT_MIN_SPEECH_RATIO
from reelgraph.algorithms.audio.leveler_dialogue_bs1770 import (
    LevelerParameters,
    LevelerResult,
    level,
)
from reelgraph.algorithms.audio.loudness_normalisation_r128 import NormalisationResult, normalise
from reelgraph.algorithms.audio.measure_ebu_r128 import (
    LoudnessMeasurement,
    TargetCheck,
    measure,
)
from reelgraph.algorithms.audio.noise_reduction_wiener_scalart1996 import (
    DEFAULT_GAIN_FLOOR_DB,
    NoiseReductionResult,
    reduce_noise,
)
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import SpeechActivity, detect_speech
from reelgraph.errors import AlgorithmError
from reelgraph.specs.loudness_targets import DeliveryTarget, lookup

__all__ = ["LoudnessCorrection", "correct_loudness", "measure_with_speech"]


@dataclass(frozen=True)
class LoudnessCorrection:
    """Corrected audio, what every step did, and the measurements before and after."""

    samples: NDArray[np.float32] = field(repr=False)
    """Corrected audio, float32, shape ``(samples, channels)``."""
    target: DeliveryTarget
    """The nominal target checked against."""
    aimed_at: DeliveryTarget
    """The target the normaliser aimed at (nominal + ``target_offset_lu``, ceiling −
    ``true_peak_margin_db``)."""
    speech: SpeechActivity
    """The speech mask used by every step (detected on the input)."""
    noise_reduction: NoiseReductionResult | None
    """Noise reduction result, or None when not asked for."""
    leveler: LevelerResult | None
    """Leveler result, or None when not asked for or skipped (see :attr:`steps`)."""
    normalisation: NormalisationResult
    """Normaliser result: gain, ``limited`` and its ``reason``."""
    before: LoudnessMeasurement
    """Input: I, M/S, LRA, true peak and dialogue-gated loudness."""
    after: LoudnessMeasurement
    """Output, measured the same way (same speech mask)."""
    check: TargetCheck
    """The output against the nominal target."""
    steps: tuple[str, ...]
    """One plain sentence per step, in order: what it did, or why it was skipped."""


def measure_with_speech(
    samples: ArrayLike,
    rate: float,
    speech: SpeechActivity,
    *,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
    min_speech_ratio: float = DEFAULT_MIN_SPEECH_RATIO,
) -> LoudnessMeasurement:
    """:func:`measure` with the dialogue-gated loudness taken on a given speech mask."""
    return measure(samples, rate, layout=layout, channel_weights=channel_weights).with_dialogue(
        samples, rate, speech=speech, min_speech_ratio=min_speech_ratio
    )


def correct_loudness(
    samples: ArrayLike,
    rate: float,
    target: DeliveryTarget | str,
    *,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
    denoise_strength: float | None = None,
    gain_floor_db: float = DEFAULT_GAIN_FLOOR_DB,
    leveler: LevelerParameters | None = None,
    use_leveler: bool = True,
    target_offset_lu: float = 0.0,
    true_peak_margin_db: float = 0.0,
    min_speech_ratio: float = DEFAULT_MIN_SPEECH_RATIO,
    speech: SpeechActivity | None = None,
) -> LoudnessCorrection:
    """Clean (optionally), level and normalise ``samples`` to ``target`` (module docstring)."""
    fs = check_rate(rate)
    spec = lookup(target)
    for name, value in (("target_offset_lu", target_offset_lu),
                        ("true_peak_margin_db", true_peak_margin_db)):  # fmt: skip
        if not (isinstance(value, int | float) and math.isfinite(value)):
            raise AlgorithmError(f"{name} must be a finite number, got {value!r}")
    if true_peak_margin_db < 0:
        raise AlgorithmError(f"true_peak_margin_db must be >= 0, got {true_peak_margin_db!r}")
    audio = as_audio(samples)
    if speech is None:
        speech = detect_speech(audio, fs, layout=layout)
    aimed = dataclasses.replace(
        spec,
        integrated_lufs=spec.integrated_lufs + target_offset_lu,
        true_peak_max_dbtp=spec.true_peak_max_dbtp - true_peak_margin_db,
    )
    before = measure_with_speech(
        audio, fs, speech, layout=layout, channel_weights=channel_weights,
        min_speech_ratio=min_speech_ratio,
    )  # fmt: skip
    steps: list[str] = []
    work: NDArray[np.floating] = audio

    cleaned: NoiseReductionResult | None = None
    if denoise_strength is not None and denoise_strength > 0:
        cleaned = reduce_noise(
            work, fs, strength=denoise_strength, gain_floor_db=gain_floor_db, speech=speech,
            layout=layout,
        )  # fmt: skip
        work = cleaned.samples.reshape(audio.shape)
        steps.append(
            f"noise reduction (strength {cleaned.strength:.2f}, floor "
            f"{cleaned.gain_floor_db:.0f} dB, noise from {cleaned.profile.method}): background "
            f"−{cleaned.noise_attenuation_db:.1f} dB, speech −{cleaned.speech_attenuation_db:.1f}"
            f" dB, 2–8 kHz share of speech {cleaned.brightness.high_band_change_db:+.1f} dB"
        )

    levelled: LevelerResult | None = None
    speech_ratio = before.dialogue.speech_ratio if before.dialogue is not None else 0.0
    if not use_leveler:
        steps.append("leveler: not used")
    elif speech_ratio < min_speech_ratio or not speech.mask.any():
        steps.append(
            f"leveler skipped: dialogue in {speech_ratio:.0%} of the audible "
            f"programme (< {min_speech_ratio:.0%}), nothing to ride"
        )
    else:
        levelled = level(
            work, fs, target_lufs=aimed.integrated_lufs, layout=layout,
            channel_weights=channel_weights, speech=speech, parameters=leveler,
        )  # fmt: skip
        work = levelled.samples.reshape(audio.shape)
        steps.append(f"leveler: {levelled.reason}")

    normalised = normalise(
        work, fs, aimed, layout=layout, channel_weights=channel_weights, speech=speech,
        min_speech_ratio=min_speech_ratio,
    )  # fmt: skip
    out = np.asarray(normalised.samples, dtype=np.float32).reshape(audio.shape)
    mode = "limited" if normalised.limited else "linear"
    steps.append(f"normaliser ({mode}): {normalised.reason}")
    after = measure_with_speech(
        out, fs, speech, layout=layout, channel_weights=channel_weights,
        min_speech_ratio=min_speech_ratio,
    )  # fmt: skip
    return LoudnessCorrection(
        samples=out,
        target=spec,
        aimed_at=aimed,
        speech=speech,
        noise_reduction=cleaned,
        leveler=levelled,
        normalisation=normalised,
        before=before,
        after=after,
        check=after.check(spec),
        steps=tuple(steps),
    )
