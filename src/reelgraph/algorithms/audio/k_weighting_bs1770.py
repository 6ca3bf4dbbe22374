"""K-weighting of ITU-R BS.1770-5 for any sample rate, derived from the analog prototype.

Reference
---------
ITU-R BS.1770-5 (11/2023), *Algorithms to measure audio programme loudness and true-peak
audio level*, Annex 1 §2.1, Figure 3 and Tables 1–2: the K-frequency weighting is a
pre-filter (a high shelf, +4 dB above ~1.5 kHz, "accounting for the acoustic effects of the
head") followed by the RLB weighting curve (a second-order high-pass). The Recommendation
prints the biquad coefficients for 48 kHz only and says that other rates need coefficients
"that provide the same frequency response".

To get the same response at every rate this module starts from the analog prototype of both
stages and applies the bilinear transform with frequency pre-warping, using the
Audio-EQ-Cookbook biquad forms (R. Bristow-Johnson). The prototype parameters are the ones
published with libebur128 (J. Kokemüller, 2011) as fitted to the BS.1770 48 kHz tables:

====================  =======================  =================================
stage                 parameter                value
====================  =======================  =================================
pre-filter (shelf)    f0                       1681.974450955533 Hz
                      G (high-frequency gain)  3.999843853973347 dB
                      Q                        0.7071752369554196
                      mid-gain exponent        0.4996667741545416 (V_b = V_h^x)
RLB (high-pass)       f0                       38.13547087602444 Hz
                      Q                        0.5003270373238773
====================  =======================  =================================

At 48 kHz the derived coefficients reproduce Tables 1 and 2 to better than 1e-8. Table 2's
RLB numerator (1, −2, 1) is not normalised by the bilinear a0, which gives the standard's
curve a +0.043 dB passband gain at 48 kHz; at other rates the numerator is scaled to keep
exactly that gain, so the response (not just the pole positions) is the same at every rate.

Domain and range
----------------
==================  ==========================================================
``rate``            float, Hz, >= 8000
``samples``         float32/float64, shape ``(samples, channels)`` or ``(samples,)``,
                    linear, 1.0 = full scale; NaN/inf refused
returns (filter)    float64, same shape as ``samples`` (1-D stays 1-D), linear
==================  ==========================================================

Example
-------
>>> c = k_weighting_coefficients(48000)
>>> [round(v, 8) for v in c.shelf_b]
[1.53512486, -2.69169619, 1.19839281]
>>> round(c.highpass_a[1], 8)
-1.99004745
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from reelgraph.algorithms.audio._common import as_audio, check_rate

__all__ = [
    "HIGHPASS_F0_HZ",
    "HIGHPASS_Q",
    "SHELF_F0_HZ",
    "SHELF_GAIN_DB",
    "SHELF_Q",
    "KWeightingCoefficients",
    "k_weighting_coefficients",
    "k_weighting_filter",
]

#: Pre-filter (high shelf) centre frequency of the analog prototype, Hz.
SHELF_F0_HZ: Final = 1681.974450955533
#: Pre-filter high-frequency gain, dB.
SHELF_GAIN_DB: Final = 3.999843853973347
#: Pre-filter quality factor.
SHELF_Q: Final = 0.7071752369554196
#: Exponent giving the shelf's mid-band gain V_b = V_h ** exponent (fourth fitted parameter).
SHELF_MID_GAIN_EXPONENT: Final = 0.4996667741545416
#: RLB high-pass corner frequency of the analog prototype, Hz.
HIGHPASS_F0_HZ: Final = 38.13547087602444
#: RLB high-pass quality factor.
HIGHPASS_Q: Final = 0.5003270373238773


@dataclass(frozen=True)
class KWeightingCoefficients:
    """Biquad coefficients of the two K-weighting stages at one sample rate."""

    rate: float
    """Sample rate the coefficients are for, Hz."""
    shelf_b: tuple[float, float, float]
    """Pre-filter numerator b0, b1, b2 (BS.1770-5 Table 1 at 48 kHz)."""
    shelf_a: tuple[float, float, float]
    """Pre-filter denominator 1, a1, a2 (BS.1770-5 Table 1 at 48 kHz)."""
    highpass_b: tuple[float, float, float]
    """RLB numerator b0, b1, b2 (1, -2, 1 at 48 kHz as in BS.1770-5 Table 2; scaled at other
    rates to keep the 48 kHz passband gain)."""
    highpass_a: tuple[float, float, float]
    """RLB denominator 1, a1, a2 (BS.1770-5 Table 2 at 48 kHz)."""

    @property
    def sos(self) -> NDArray[np.float64]:
        """Both stages as second-order sections, shape ``(2, 6)``, for ``scipy.signal.sosfilt``."""
        return np.array(
            [[*self.shelf_b, *self.shelf_a], [*self.highpass_b, *self.highpass_a]],
            dtype=np.float64,
        )


def k_weighting_coefficients(rate: float) -> KWeightingCoefficients:
    """Derive the K-weighting biquads for ``rate`` (Hz) from the analog prototype.

    Bilinear transform with pre-warping: ``K = tan(π·f0/fs)`` maps the prototype's corner
    frequency exactly onto the digital one, so the response matches at every rate (up to
    the unavoidable compression of the band near Nyquist).
    """
    fs = check_rate(rate)

    # Pre-filter: high shelf, V_h = linear high-frequency gain, V_b = mid-band gain.
    k = math.tan(math.pi * SHELF_F0_HZ / fs)
    v_h = 10.0 ** (SHELF_GAIN_DB / 20.0)
    v_b = v_h**SHELF_MID_GAIN_EXPONENT
    a0 = 1.0 + k / SHELF_Q + k * k
    shelf_b = (
        (v_h + v_b * k / SHELF_Q + k * k) / a0,
        2.0 * (k * k - v_h) / a0,
        (v_h - v_b * k / SHELF_Q + k * k) / a0,
    )
    shelf_a = (1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / SHELF_Q + k * k) / a0)

    # RLB high-pass. Table 2 prints the numerator 1, -2, 1 without the bilinear 1/a0
    # normalisation, so the standard's curve carries a passband gain of a0(48 kHz) =
    # +0.043 dB. Keeping that exact gain at every rate (b = a0(48k)/a0(fs)·[1, -2, 1]) gives
    # "the same frequency response" BS.1770 asks for; a bare 1, -2, 1 at every rate (as
    # libebur128 and FFmpeg do) reads 0.02 LU lower at 96 kHz than at 48 kHz.
    k = math.tan(math.pi * HIGHPASS_F0_HZ / fs)
    a0 = 1.0 + k / HIGHPASS_Q + k * k
    highpass_a = (1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / HIGHPASS_Q + k * k) / a0)
    k48 = math.tan(math.pi * HIGHPASS_F0_HZ / 48000.0)
    gain = (1.0 + k48 / HIGHPASS_Q + k48 * k48) / a0
    return KWeightingCoefficients(
        rate=fs,
        shelf_b=shelf_b,
        shelf_a=shelf_a,
        highpass_b=(gain, -2.0 * gain, gain),
        highpass_a=highpass_a,
    )


def k_weighting_filter(samples: ArrayLike, rate: float) -> NDArray[np.float64]:
    """Apply both K-weighting stages to every channel (BS.1770-5 Annex 1, Figure 1, y_i).

    Filter state starts at zero (as a meter switched on at the start of the programme).
    """
    array = np.asarray(samples)
    audio = as_audio(array)
    sos = k_weighting_coefficients(rate).sos
    if audio.shape[0] == 0:
        return np.zeros(array.shape, dtype=np.float64)
    # sosfilt is several times faster along a contiguous last axis than along axis 0.
    filtered = signal.sosfilt(sos, np.ascontiguousarray(audio.T, dtype=np.float64), axis=1)
    out = np.ascontiguousarray(filtered.T)
    return out[:, 0] if array.ndim == 1 else out
