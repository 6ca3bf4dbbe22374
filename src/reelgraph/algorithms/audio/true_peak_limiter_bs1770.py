"""Look-ahead true-peak limiter whose output measures at or below the ceiling (BS.1770 Annex 2).

Reference
---------
Detection: the 4× polyphase interpolator of ITU-R BS.1770-5 Annex 2 (the same one the true-
peak meter of :mod:`~reelgraph.algorithms.audio.true_peak_bs1770_annex2` uses), so the
limiter sees the inter-sample peaks the delivery QC will measure. Gain computation: the
look-ahead "minimum filter then smoothing" peak limiter (U. Zölzer (ed.), *DAFX: Digital
Audio Effects*, 2nd ed., Wiley 2011, ch. 4, dynamics processing; D. Giannoulis, M. Massberg
and J. D. Reiss, "Digital dynamic range compressor design — a tutorial and analysis",
J. Audio Eng. Soc. 60(6), 2012, for the smoothed release):

1. e[n]: linked true-peak envelope (largest |sample| or interpolated value of any channel
   around sample n);
2. required gain r[n] = min(1, c / e[n]) for the ceiling c;
3. g₁[n] = min of r over the look-ahead window [n, n + L] (``scipy.ndimage``) — gain starts
   falling L samples before a peak;
4. g₂ = moving average of g₁ over [n − L, n]: a linear-phase ramp that still reaches r at
   the peak, because every term of the average is ≤ r[peak];
5. release: g₃ = one-pole smoothing of g₂ (``scipy.signal.lfilter``, time constant
   ``release_s``); g = min(g₂, g₃) — recovery is slow, attack untouched;
6. y = x · g (same gain on every channel: the image does not shift).

Because the gain varies, interpolated peaks of the output can differ slightly from g × the
input's; the output is measured and, if it is still above the ceiling, the limiter runs
again with the ceiling lowered by the excess (at most ``max_passes`` times), then a final
static trim makes the measured output true peak ≤ ceiling — a guarantee, not a hope.

Domain and range
----------------
===================  ==============================================================
``samples``          float32/float64 ``(samples, channels)`` or ``(samples,)``, linear,
                     1.0 = full scale, any level (> 0 dBFS allowed); NaN/inf refused
``rate``             float, Hz, >= 8000
``ceiling_dbtp``     float, dBTP, <= 0 typically (−1 for R 128, −2 for A/85)
returns              :class:`LimiterResult`: float32 samples, same shape; measured
                     output true peak <= ``ceiling_dbtp``
===================  ==============================================================

Example
-------
>>> import numpy as np
>>> t = np.arange(48000) / 48000
>>> hot = 1.5 * np.sin(2 * np.pi * 997 * t)  # +3.5 dBFS
>>> out = limit_true_peak(hot, 48000, ceiling_dbtp=-1.0)
>>> out.output_true_peak_dbtp <= -1.0, round(out.max_gain_reduction_db, 1)
(True, 4.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage, signal

from reelgraph.algorithms.audio._common import amplitude_to_db, as_audio, check_rate
from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import true_peak, true_peak_envelope
from reelgraph.errors import AlgorithmError

__all__ = ["LimiterResult", "limit_true_peak", "limiter_gain"]

#: Default look-ahead, seconds: long enough for a smooth attack on 20 Hz content peaks.
DEFAULT_LOOKAHEAD_S: Final = 0.005
#: Default release time constant, seconds.
DEFAULT_RELEASE_S: Final = 0.08


@dataclass(frozen=True)
class LimiterResult:
    """Limited audio and what the limiter did."""

    samples: NDArray[np.float32] = field(repr=False)
    """Limited audio, float32, the input's shape."""
    gain: NDArray[np.float32] = field(repr=False)
    """Applied linear gain per sample, shape ``(samples,)`` (1.0 = untouched)."""
    ceiling_dbtp: float
    """Requested ceiling, dBTP."""
    input_true_peak_dbtp: float
    """Input true peak, dBTP."""
    output_true_peak_dbtp: float
    """Measured output true peak, dBTP (<= ceiling)."""
    max_gain_reduction_db: float
    """Largest gain reduction applied, dB (>= 0)."""
    limited_fraction: float
    """Fraction of samples whose gain is below 1 (by more than 0.01 dB)."""
    passes: int
    """Limiter passes run (1 when the first pass met the ceiling)."""


def _check_time(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0.0):
        raise AlgorithmError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def limiter_gain(
    envelope: NDArray[np.floating],
    ceiling: float,
    lookahead: int,
    release_coefficient: float,
) -> NDArray[np.float32]:
    """Gain curve (steps 2–5 of the module docstring) for a linear peak ``envelope``."""
    required = np.minimum(1.0, ceiling / np.maximum(envelope.astype(np.float64), 1e-12))
    if lookahead > 0:
        size = 2 * (lookahead // 2) + 1  # odd window [n, n + size − 1]
        half = size // 2
        # Window [n, n + size − 1]: origin −half moves the centred window forward by half.
        ahead = ndimage.minimum_filter1d(required, size, mode="nearest", origin=-half)
        # Causal moving average over [n − size + 1, n].
        smoothed = ndimage.uniform_filter1d(ahead, size, mode="nearest", origin=half)
        # Rounding in the average must not lift the gain above what a peak needs.
        smoothed = np.minimum(smoothed, ahead)
    else:
        smoothed = required
    if release_coefficient > 0.0:
        released, _ = signal.lfilter(
            [1.0 - release_coefficient],
            [1.0, -release_coefficient],
            smoothed,
            zi=[release_coefficient * smoothed[0]] if smoothed.size else [0.0],
        )
        smoothed = np.minimum(smoothed, released)
    return smoothed.astype(np.float32)


def limit_true_peak(
    samples: ArrayLike,
    rate: float,
    *,
    ceiling_dbtp: float = -1.0,
    lookahead_s: float = DEFAULT_LOOKAHEAD_S,
    release_s: float = DEFAULT_RELEASE_S,
    max_passes: int = 4,
) -> LimiterResult:
    """Limit ``samples`` so that their measured true peak is at most ``ceiling_dbtp``."""
    fs = check_rate(rate)
    array = np.asarray(samples)
    audio = as_audio(array)
    if not math.isfinite(ceiling_dbtp) or ceiling_dbtp > 6.0:
        raise AlgorithmError(f"ceiling_dbtp must be a finite level <= +6 dBTP, got {ceiling_dbtp}")
    lookahead = round(_check_time("lookahead_s", lookahead_s) * fs)
    release = _check_time("release_s", release_s)
    coefficient = math.exp(-1.0 / (release * fs)) if release > 0 else 0.0
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)

    input_peak = true_peak(audio, fs).max_dbtp
    if audio.shape[0] == 0 or input_peak <= ceiling_dbtp:
        out = audio.astype(np.float32)
        return LimiterResult(
            out[:, 0] if array.ndim == 1 else out,
            np.ones(audio.shape[0], np.float32),
            ceiling_dbtp,
            input_peak,
            input_peak,
            0.0,
            0.0,
            0,
        )

    envelope = true_peak_envelope(audio)
    target = ceiling
    passes = 0
    gain = np.ones(audio.shape[0], np.float32)
    out = audio.astype(np.float32)
    output_peak = input_peak
    while passes < max_passes:
        passes += 1
        gain = limiter_gain(envelope, target, lookahead, coefficient)
        out = (audio * gain[:, np.newaxis]).astype(np.float32)
        output_peak = true_peak(out, fs).max_dbtp
        if output_peak <= ceiling_dbtp:
            break
        # Interpolated overshoot from the gain modulation: aim lower by the excess.
        target *= 10.0 ** ((ceiling_dbtp - output_peak) / 20.0) * 0.999
    if output_peak > ceiling_dbtp:
        trim = np.float32(10.0 ** ((ceiling_dbtp - output_peak) / 20.0) * 0.9999)
        gain = gain * trim
        out = (out * trim).astype(np.float32)
        output_peak = true_peak(out, fs).max_dbtp
    reduction = float(-amplitude_to_db(float(gain.min()))) if gain.size else 0.0
    return LimiterResult(
        samples=out[:, 0] if array.ndim == 1 else out,
        gain=gain,
        ceiling_dbtp=ceiling_dbtp,
        input_true_peak_dbtp=input_peak,
        output_true_peak_dbtp=output_peak,
        max_gain_reduction_db=max(0.0, reduction),
        limited_fraction=float(np.mean(gain < 10 ** (-0.01 / 20))) if gain.size else 0.0,
        passes=passes,
    )
