"""SDR to HDR (PQ or HLG, BT.2020) by display-light mapping anchored at HDR reference white.

Reference
    Report ITU-R BT.2408-7 (2023), §2 and Table 1 (HDR Reference White = 203 cd/m²,
    PQ 58 %, HLG 75 % on a 1000 cd/m² display) and §5.1 "display-light" SDR to HDR
    mapping: decode SDR with the BT.1886 EOTF (100 cd/m² white), scale so SDR diffuse
    white lands on HDR reference white, convert BT.709 to BT.2020 primaries
    (Recommendation ITU-R BT.2087-0, linear-light matrix), encode with the PQ inverse
    EOTF or the HLG inverse EOTF at the display's nominal peak (BT.2100-2 Table 5).
    Optional highlight expansion above diffuse white uses the functional form of the
    inverse tone curve of Report ITU-R BT.2446-1 Method C (§5.3, ``Y = a exp(b Y_s) + c``),
    with its constants re-solved so the curve meets the linear part with equal value and
    slope at diffuse white and reaches ``peak_luminance`` at SDR peak.

Processing is on luminance (BT.709 ``Y`` of display light); colour channels are scaled
by the same ratio, so chromaticity is preserved. BT.709 colours stay inside BT.2020,
so there is no gamut clipping.

Limits: this is the conservative "SDR in an HDR container" mapping. Without
``peak_luminance`` nothing exceeds ``reference_white`` (times the SDR signal's own
headroom above 1.0, e.g. narrow-range super-whites). With it, SDR signal above
``sdr_reference_white`` is expanded: set that below 1.0 (e.g. 0.9; BT.2446 Method C
treats 96 % as reference white) to leave headroom for highlights.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
from scipy.optimize import brentq

from reelgraph.algorithms.colour.standards import HDR_REFERENCE_WHITE, LUMA_BT709
from reelgraph.algorithms.restore._checks import as_frame, check_positive
from reelgraph.algorithms.restore.transfer_bt2100 import colour_module, hdr_signal
from reelgraph.errors import AlgorithmError

__all__ = ["bt709_to_bt2020_matrix", "expansion_curve_bt2408", "itm_bt2408"]


@functools.cache
def bt709_to_bt2020_matrix() -> np.ndarray:
    """Linear-light BT.709 -> BT.2020 RGB matrix (ITU-R BT.2087-0 Eq. 4), float32 (3, 3).

    Computed by colour-science from ``RGB_COLOURSPACES`` (both D65, no adaptation).

    >>> [round(float(v), 4) for v in bt709_to_bt2020_matrix()[0]]
    [0.6274, 0.3293, 0.0433]
    """
    colour = colour_module()
    matrix = colour.matrix_RGB_to_RGB(
        colour.RGB_COLOURSPACES["ITU-R BT.709"], colour.RGB_COLOURSPACES["ITU-R BT.2020"]
    )
    out = np.asarray(matrix, dtype=np.float32)
    out.setflags(write=False)  # cached and shared: keep it immutable
    return out


_LUMA_709 = LUMA_BT709
_TRANSFERS = ("pq", "hlg")


def expansion_curve_bt2408(
    relative_luminance: np.ndarray,
    *,
    reference_white: float = HDR_REFERENCE_WHITE,
    sdr_reference_white: float = 1.0,
    peak_luminance: float | None = None,
) -> np.ndarray:
    """HDR luminance (cd/m²) for SDR display luminance relative to SDR peak (1.0 = 100 %).

    Linear below diffuse white ``Y_w = sdr_reference_white ** 2.4`` with slope
    ``reference_white / Y_w``; above it, without ``peak_luminance``, the same line;
    with it, ``c + a exp(b (Y - Y_w))`` with value and slope continuous at ``Y_w`` and
    ``peak_luminance`` at ``Y = 1``, clipped to ``peak_luminance`` beyond.

    >>> y = np.array([0.0, 0.5, 1.0], dtype=np.float32)
    >>> expansion_curve_bt2408(y).round(1).tolist()
    [0.0, 101.5, 203.0]
    >>> y_w = 0.9**2.4
    >>> expansion_curve_bt2408(np.array([y_w, 1.0]), sdr_reference_white=0.9,
    ...                        peak_luminance=1000.0).round(1).tolist()
    [203.0, 1000.0]
    """
    reference_white = check_positive(reference_white, "reference_white")
    if not 0.0 < sdr_reference_white <= 1.5:
        raise AlgorithmError(
            f"sdr_reference_white must be in (0, 1.5], got {sdr_reference_white!r}"
        )
    y = np.asarray(relative_luminance, dtype=np.float32)
    y_white = float(sdr_reference_white) ** 2.4
    slope = reference_white / y_white
    linear = y * np.float32(slope)
    if peak_luminance is None:
        return linear
    peak = check_positive(peak_luminance, "peak_luminance")
    if peak <= reference_white:
        raise AlgorithmError(
            f"peak_luminance {peak:g} must exceed reference_white {reference_white:g}"
        )
    span = 1.0 - y_white
    if span <= 1e-6:
        raise AlgorithmError(
            "highlight expansion needs headroom above SDR diffuse white",
            hint="set sdr_reference_white below 1.0 (e.g. 0.9), or leave peak_luminance unset",
        )

    def reach(b: float) -> float:
        growth = span if abs(b) < 1e-9 else math.expm1(b * span) / b
        return reference_white + slope * growth - peak

    b = 0.0 if abs(reach(0.0)) < 1e-9 else brentq(reach, -500.0, 500.0, xtol=1e-12)
    if abs(b) < 1e-9:
        return np.minimum(linear, np.float32(peak))
    a = slope / b
    c = reference_white - a
    with np.errstate(over="ignore"):
        expanded = c + a * np.exp(np.float32(b) * (np.minimum(y, 1.0) - np.float32(y_white)))
    out = np.where(y <= y_white, linear, expanded.astype(np.float32))
    return np.minimum(out, np.float32(peak)).astype(np.float32)


def itm_bt2408(
    frame: np.ndarray,
    *,
    transfer: str = "pq",
    reference_white: float = HDR_REFERENCE_WHITE,
    sdr_reference_white: float = 1.0,
    peak_luminance: float | None = None,
    hlg_nominal_peak: float = 1000.0,
) -> np.ndarray:
    """Map an SDR BT.709 frame into an HDR BT.2020 PQ or HLG signal.

    ======================  ================================================
    input                   ``frame``: float32 ``(H, W, 3)``, SDR R'G'B' BT.709
                            (BT.1886 display), [0, 1]; values up to 1.09
                            (super-white) are kept
    ``transfer``            ``"pq"`` (SMPTE ST 2084, absolute) or ``"hlg"``
    ``reference_white``     cd/m² for SDR diffuse white (BT.2408: 203)
    ``sdr_reference_white`` SDR signal level that is diffuse white (1.0)
    ``peak_luminance``      cd/m² reached at SDR peak for highlight expansion
                            (e.g. 1000); None = no expansion
    ``hlg_nominal_peak``    HLG display nominal peak L_W for the OOTF (1000)
    output                  float32 ``(H, W, 3)``, R'G'B' BT.2020, PQ or HLG
                            encoded, in [0, 1]
    ======================  ================================================

    >>> white = np.ones((1, 1, 3), np.float32)
    >>> round(float(itm_bt2408(white, transfer="pq")[0, 0, 0]), 3)
    0.581
    >>> round(float(itm_bt2408(white, transfer="hlg")[0, 0, 0]), 3)
    0.75
    """
    if transfer not in _TRANSFERS:
        raise AlgorithmError(
            f"unknown transfer {transfer!r}", hint=f"use one of: {', '.join(_TRANSFERS)}"
        )
    check_positive(hlg_nominal_peak, "hlg_nominal_peak")
    rgb = as_frame(frame)
    # BT.1886 with L_B = 0: relative display light V^2.4 (1.0 = SDR peak white).
    linear = np.power(np.maximum(rgb, 0.0), np.float32(2.4))
    y_white = float(sdr_reference_white) ** 2.4
    if peak_luminance is None:
        expansion_curve_bt2408(
            np.zeros(1, np.float32),
            reference_white=reference_white,
            sdr_reference_white=sdr_reference_white,
        )  # validates
        display = linear * np.float32(reference_white / y_white)
    else:
        luminance = linear @ _LUMA_709
        target = expansion_curve_bt2408(
            luminance,
            reference_white=reference_white,
            sdr_reference_white=sdr_reference_white,
            peak_luminance=peak_luminance,
        )
        ratio = np.divide(
            target,
            luminance,
            out=np.full_like(luminance, reference_white / y_white),
            where=luminance > 1e-8,
        )
        display = linear * ratio[..., None]
    display = np.asarray(cv2.transform(display, bt709_to_bt2020_matrix()), np.float32)
    np.maximum(display, 0.0, out=display)
    return hdr_signal(display, transfer, hlg_nominal_peak=hlg_nominal_peak)
