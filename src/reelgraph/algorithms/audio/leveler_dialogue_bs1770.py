"""Speech-aware leveler: rides the gain so dialogue sits at a target loudness (BS.1770).

Reference
---------
Loudness is the K-weighted mean square of ITU-R BS.1770-5 Annex 1 (eqs. (1)–(2)), taken
over a sliding window of ``window_s`` centred on each 10 ms hop, with the channel weights
G_i; speech activity comes from
:mod:`~reelgraph.algorithms.audio.vad_spectral_moattar2009`. The gain smoothing uses the
attack/release one-pole smoothers of D. Giannoulis, M. Massberg and J. D. Reiss, "Digital
dynamic range compressor design — a tutorial and analysis", J. Audio Eng. Soc. 60(6),
2012 (applied in the dB domain), arranged for offline work so that neither needs a
per-sample Python loop:

1. desired gain d[k] = target − L[k] on "active" hops — speech (if ``speech_only``) whose
   loudness is above −70 LUFS and within ``relative_gate_lu`` of the speech loudness
   (so breaths and room tone do not steer it); on other hops the last active gain is held
   (no pumping of pauses or backgrounds); limited to [−max_cut_db, +max_boost_db];
2. g_release = forward one-pole of d with time constant ``release_s`` (slow rises);
   g_attack = the same one-pole run backwards in time with ``attack_s`` (cuts start
   ``attack_s`` *before* a loud phrase: look-ahead, possible offline);
   g = min(g_attack, g_release) — cuts follow the fast, anticipating curve, boosts the slow
   one (``scipy.signal.lfilter`` both ways);
3. the 10 ms gain curve (dB) is interpolated to every sample and applied to all channels
   alike (the image does not move);
4. the smoothing (a minimum of two smoothers) and the windowing leave the measured
   loudness a little off target, so one static trim brings the output's (dialogue-gated or
   programme) loudness onto the target; it is reported as ``trim_db``.

The leveler does not control peaks: boosting can raise the true peak above a delivery
ceiling — run :func:`~reelgraph.algorithms.audio.loudness_normalisation_r128.normalise`
(or the true-peak limiter) after it.

Domain and range
----------------
===================  ==============================================================
``samples``          float32/float64 ``(samples, channels)`` or ``(samples,)``, linear,
                     1.0 = full scale; NaN/inf → AlgorithmError
``rate``             float, Hz, >= 8000
``target_lufs``      float, LUFS (e.g. −23, −27 for dialogue-gated streaming)
returns              :class:`LevelerResult`: float32 samples of the input's shape and the
                     gain curve in dB at 10 ms hops
===================  ==============================================================

Example
-------
>>> import numpy as np
>>> t = np.arange(48000 * 8) / 48000
>>> quiet = 10 ** (-40 / 20) * np.sin(2 * np.pi * 440 * t)
>>> out = level(quiet, 48000, target_lufs=-23.0, parameters=LevelerParameters(speech_only=False))
>>> round(out.output_lufs, 0)
-23.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from reelgraph.algorithms.audio._common import (
    CHUNK_SAMPLES,
    as_audio,
    check_finite_fields,
    check_rate,
    power_to_db,
)
from reelgraph.algorithms.audio.dialogue_loudness_gated import dialogue_loudness
from reelgraph.algorithms.audio.loudness_bs1770 import (
    ABSOLUTE_GATE_LKFS,
    LOUDNESS_OFFSET_DB,
    LoudnessMeter,
    gated_loudness,
    loudness_bs1770,
)
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import SpeechActivity, detect_speech
from reelgraph.errors import AlgorithmError

__all__ = ["LevelerParameters", "LevelerResult", "level"]

_HOPS_PER_S: Final = 100  # 10 ms hops, the VAD's grid


@dataclass(frozen=True)
class LevelerParameters:
    """Time constants and limits of :func:`level`."""

    window_s: float = 1.0
    """Loudness window centred on each hop, seconds (phrase scale, not syllable scale)."""
    attack_s: float = 0.3
    """Time constant of gain reductions (applied ahead of the loud passage), seconds."""
    release_s: float = 1.5
    """Time constant of gain increases, seconds."""
    max_boost_db: float = 24.0
    """Largest gain increase, dB."""
    max_cut_db: float = 24.0
    """Largest gain reduction, dB."""
    relative_gate_lu: float = -20.0
    """Hops quieter than the speech loudness by more than this do not steer the gain, LU."""
    speech_only: bool = True
    """Steer only on speech (True) or on every hop above the gates (False: a general
    programme leveler)."""

    def __post_init__(self) -> None:
        check_finite_fields(self, skip=("speech_only",))
        if self.window_s <= 0 or self.attack_s < 0 or self.release_s < 0:
            raise AlgorithmError("window_s must be > 0, attack_s and release_s >= 0")
        if self.max_boost_db < 0 or self.max_cut_db < 0:
            raise AlgorithmError("max_boost_db and max_cut_db must be >= 0")


@dataclass(frozen=True)
class LevelerResult:
    """Levelled audio, the gain curve and before/after loudness."""

    samples: NDArray[np.float32] = field(repr=False)
    """Levelled audio, float32, the input's shape."""
    gain_db: NDArray[np.float64] = field(repr=False)
    """Gain per 10 ms hop, dB (hop k centred at (k + 0.5)·hop_s)."""
    hop_s: float
    """Hop of ``gain_db``, seconds."""
    target_lufs: float
    """Target loudness, LUFS."""
    active_ratio: float
    """Fraction of hops that steered the gain."""
    input_lufs: float
    """Input loudness: dialogue-gated if ``speech_only`` (else programme), LUFS."""
    output_lufs: float
    """Output loudness measured the same way, LUFS."""
    trim_db: float
    """Static trim included in ``gain_db`` that put the output loudness on target, dB."""
    reason: str
    """What the leveler did, in one sentence."""


def _one_pole(x: NDArray[np.float64], time_constant_s: float) -> NDArray[np.float64]:
    if time_constant_s <= 0 or x.size == 0:
        return x
    a = math.exp(-1.0 / (time_constant_s * _HOPS_PER_S))
    y, _ = signal.lfilter([1.0 - a], [1.0, -a], x, zi=[a * x[0]])
    return np.asarray(y, dtype=np.float64)


def _hold_last(values: NDArray[np.float64], active: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Replace inactive entries by the last active one (the first active one at the start)."""
    index = np.where(active, np.arange(values.size), -1)
    index = np.maximum.accumulate(index)
    first = int(np.argmax(active))
    index[index < 0] = first
    return values[index]


def level(
    samples: ArrayLike,
    rate: float,
    *,
    target_lufs: float,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
    speech: SpeechActivity | None = None,
    parameters: LevelerParameters | None = None,
) -> LevelerResult:
    """Ride the gain of ``samples`` so its (speech) loudness follows ``target_lufs``."""
    fs = check_rate(rate)
    params = parameters if parameters is not None else LevelerParameters()
    if not math.isfinite(target_lufs):
        raise AlgorithmError(f"target_lufs must be finite, got {target_lufs!r}")
    array = np.asarray(samples)
    audio = as_audio(array)
    n, channels = audio.shape

    meter = LoudnessMeter(
        fs, channels, layout=layout, channel_weights=channel_weights, update_rate_hz=_HOPS_PER_S
    )
    meter.process(audio)
    loudness = meter.result()
    hop_power = loudness.hop_power
    hops = hop_power.size
    window = max(1, round(params.window_s * _HOPS_PER_S))
    if hops == 0:
        out = audio.astype(np.float32)
        return LevelerResult(
            out[:, 0] if array.ndim == 1 else out,
            np.zeros(0),
            1.0 / _HOPS_PER_S,
            target_lufs,
            0.0,
            -math.inf,
            -math.inf,
            0.0,
            "no gain applied: the programme is shorter than one 10 ms hop",
        )
    # Centred sliding mean square from cumulative hop sums (whole hops, vectorised).
    cumulative = np.concatenate(([0.0], np.cumsum(hop_power)))
    k = np.arange(hops)
    lo = np.clip(k - window // 2, 0, hops)
    hi = np.clip(lo + window, 0, hops)
    lo = np.clip(hi - window, 0, hops)
    power = np.maximum(cumulative[hi] - cumulative[lo], 0.0) / np.maximum(hi - lo, 1)
    loud_db = power_to_db(power, LOUDNESS_OFFSET_DB)

    if params.speech_only:
        if speech is None:
            speech = detect_speech(audio, fs, layout=layout)
        is_speech = np.zeros(hops, dtype=bool)
        m = min(hops, speech.mask.size)
        is_speech[:m] = speech.mask[:m]
    else:
        is_speech = np.ones(hops, dtype=bool)
    audible = loud_db > ABSOLUTE_GATE_LKFS
    reference = gated_loudness(power[is_speech & audible]).loudness_lufs
    active = is_speech & audible & (loud_db > reference + params.relative_gate_lu)

    def measured(x: NDArray[np.floating]) -> float:
        if params.speech_only and speech is not None:
            return dialogue_loudness(
                x, fs, layout=layout, channel_weights=channel_weights, speech=speech,
                min_speech_ratio=0.0,
            ).loudness_lufs  # fmt: skip
        return loudness_bs1770(
            x, fs, layout=layout, channel_weights=channel_weights
        ).integrated_lufs

    input_lufs = measured(audio)
    if not np.any(active):
        out = audio.astype(np.float32)
        what = "speech" if params.speech_only else "audio above the gates"
        return LevelerResult(
            out[:, 0] if array.ndim == 1 else out,
            np.zeros(hops),
            1.0 / _HOPS_PER_S,
            target_lufs,
            0.0,
            input_lufs,
            input_lufs,
            0.0,
            f"no gain applied: no {what} found to level",
        )

    desired = np.clip(target_lufs - loud_db, -params.max_cut_db, params.max_boost_db)
    desired = _hold_last(np.where(active, desired, 0.0), active)
    release = _one_pole(desired, params.release_s)
    attack = _one_pole(desired[::-1], params.attack_s)[::-1]
    gain_db = np.minimum(attack, release)

    centres = (np.arange(hops) + 0.5) * (fs / _HOPS_PER_S)

    def apply(curve_db: NDArray[np.float64]) -> NDArray[np.float32]:
        out = np.empty(audio.shape, dtype=np.float32)
        for start in range(0, n, CHUNK_SAMPLES):
            stop = min(n, start + CHUNK_SAMPLES)
            g = np.interp(np.arange(start, stop, dtype=np.float64), centres, curve_db)
            out[start:stop] = audio[start:stop] * (10.0 ** (g / 20.0))[:, np.newaxis]
        return out

    out = apply(gain_db)
    levelled_lufs = measured(out)
    trim_db = target_lufs - levelled_lufs if math.isfinite(levelled_lufs) else 0.0
    if trim_db != 0.0:
        # A static gain moves gated loudness by exactly that gain (the gates scale with it).
        gain_db = gain_db + trim_db
        out = (out * np.float32(10.0 ** (trim_db / 20.0))).astype(np.float32)
    output_lufs = levelled_lufs + trim_db
    return LevelerResult(
        out[:, 0] if array.ndim == 1 else out,
        gain_db,
        1.0 / _HOPS_PER_S,
        target_lufs,
        float(active.mean()),
        input_lufs,
        output_lufs,
        trim_db,
        f"gain ridden between {gain_db.min():+.1f} and {gain_db.max():+.1f} dB on "
        f"{active.mean():.0%} of the programme; loudness {input_lufs:.1f} → "
        f"{output_lufs:.1f} LUFS (static trim {trim_db:+.1f} dB included)",
    )
