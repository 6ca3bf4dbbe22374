"""HDR/SDR transfer functions: PQ (SMPTE ST 2084), HLG (ITU-R BT.2100) and BT.1886.

Reference
    Recommendation ITU-R BT.2100-2 (07/2018), Table 4 (PQ EOTF and its inverse, = SMPTE
    ST 2084:2014 Eq. 4.1-4.2) and Table 5 (HLG OETF, OOTF with system gamma
    ``1.2 + 0.42 log10(L_W / 1000)``, EOTF); Recommendation ITU-R BT.1886 (03/2011),
    Annex 1 (reference EOTF ``L = a max(V + b, 0)^2.4``).

All functions call colour-science (``colour.models``), whose implementations are
tested against these standards; this module only fixes the conventions reelgraph uses
everywhere: float64 computation, **float32 in and out**, luminance in cd/m²,
BT.2100-2 HLG with black level ``L_B = 0`` by default, colour's "reference"
domain-range scale forced (immune to a global ``colour.set_domain_range_scale``), and
HLG functions given either RGB (last axis 3, luminance-based OOTF per BT.2100) or
achromatic values (any other shape, treated as R = G = B). colour is imported on first
use, because importing it takes about a second.

Cost: colour evaluates in float64 numpy; a 1920x1080x3 frame takes about 0.5-1 s per
call on 2 cores. Frame paths use :func:`pq_inverse_eotf_frame` (float32, in place) and
:func:`pq_eotf_16bit` (a table of the 65536 16-bit codes) instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from reelgraph.algorithms.colour.standards import HDR_NOMINAL_PEAK, HDR_REFERENCE_WHITE

__all__ = [
    "bt1886_eotf",
    "bt1886_inverse_eotf",
    "colour_module",
    "exr_linear_light",
    "hdr_signal",
    "hlg_eotf",
    "hlg_inverse_eotf",
    "hlg_inverse_oetf",
    "hlg_oetf",
    "pq_eotf",
    "pq_eotf_16bit",
    "pq_inverse_eotf",
    "pq_inverse_eotf_frame",
]


def colour_module() -> Any:
    """Import colour-science on first use, keeping numpy's print options as they were.

    Importing colour 0.4.7 switches numpy to ``legacy="1.13"`` printing for the whole
    process (it changes every array repr, and breaks other modules' doctests); the
    options in force before the import are restored.
    """
    options = np.get_printoptions()
    import colour  # deferred: slow import

    np.set_printoptions(**options)
    return colour


def _call(function_name: str, values: Any, **kwargs: Any) -> np.ndarray:
    colour = colour_module()
    function: Callable[..., Any] = getattr(colour.models, function_name)
    with colour.utilities.domain_range_scale("reference"), np.errstate(all="ignore"):
        result = function(np.asarray(values, dtype=np.float64), **kwargs)
    return np.asarray(result, dtype=np.float32)


def _call_rgb(function_name: str, values: Any, **kwargs: Any) -> np.ndarray:
    """HLG OOTF-based functions need RGB; achromatic input is evaluated as grey."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim >= 1 and array.shape[-1] == 3:
        return _call(function_name, array, **kwargs)
    grey = np.stack([array, array, array], axis=-1)
    return _call(function_name, grey, **kwargs)[..., 0]


def pq_inverse_eotf(luminance: Any, *, peak: float = 10000.0) -> np.ndarray:
    """Display luminance (cd/m²) -> PQ signal E' in [0, 1] (ST 2084 inverse EOTF).

    >>> round(float(pq_inverse_eotf(203.0)), 4)
    0.5807
    """
    return _call("eotf_inverse_ST2084", luminance, L_p=peak)


#: SMPTE ST 2084:2014 / BT.2100-2 Table 4 constants.
PQ_M1, PQ_M2 = 2610.0 / 16384.0, 2523.0 / 4096.0 * 128.0
PQ_C1, PQ_C2, PQ_C3 = 3424.0 / 4096.0, 2413.0 / 4096.0 * 32.0, 2392.0 / 4096.0 * 32.0


def pq_inverse_eotf_frame(luminance: np.ndarray) -> np.ndarray:
    """:func:`pq_inverse_eotf` (peak 10 000 cd/m²) for whole frames, in float32 numpy.

    ``E' = ((c1 + c2 Y^m1) / (1 + c3 Y^m1))^m2`` with ``Y = L / 10000`` (BT.2100-2 Table 4),
    evaluated in place in eight float32 passes; it agrees with colour-science's float64
    evaluation within 2e-5 (a twelfth of a 12-bit code). Hand-written because colour-science
    works in float64 (a 4K frame costs seconds there).

    >>> round(float(pq_inverse_eotf_frame(np.float32([203.0]))[0]), 4)
    0.5807
    """
    y = np.array(luminance, dtype=np.float32)  # a copy: the passes below work in place
    np.clip(y, 0.0, 10000.0, out=y)
    y *= np.float32(1.0 / 10000.0)
    np.power(y, np.float32(PQ_M1), out=y)
    denominator = y * np.float32(PQ_C3)
    denominator += np.float32(1.0)
    y *= np.float32(PQ_C2)
    y += np.float32(PQ_C1)
    y /= denominator
    np.power(y, np.float32(PQ_M2), out=y)
    return y


def hdr_signal(display: np.ndarray, transfer: str, *, hlg_nominal_peak: float) -> np.ndarray:
    """BT.2020 display light (cd/m², a frame) as a PQ or HLG signal in [0, 1]: the last step
    of every SDR→HDR mapping.

    >>> round(float(hdr_signal(np.float32([203.0]), "pq", hlg_nominal_peak=1000.0)[0]), 4)
    0.5807
    """
    if transfer == "pq":
        signal = pq_inverse_eotf_frame(display)
    else:
        signal = hlg_inverse_eotf(display, nominal_peak=hlg_nominal_peak)
    return np.clip(signal, 0.0, 1.0)


def pq_eotf(signal: Any, *, peak: float = 10000.0) -> np.ndarray:
    """PQ signal E' in [0, 1] -> display luminance in cd/m² (ST 2084 EOTF).

    >>> round(float(pq_eotf(0.5806888810416109)), 2)
    203.0
    """
    return _call("eotf_ST2084", signal, L_p=peak)


@functools.cache
def _pq_eotf_table() -> np.ndarray:
    codes = np.arange(65536, dtype=np.float64) / 65535.0
    table = pq_eotf(codes)
    table.setflags(write=False)
    return table


def pq_eotf_16bit(signal: Any) -> np.ndarray:
    """PQ EOTF through a table of the 65536 16-bit code values (cd/m², float32).

    The signal is rounded to 16 bits first — exact for frames read from 16-bit
    intermediates, and within one 16-bit step otherwise (< 0.03 % of the luminance
    above 1 cd/m²) — and costs a table look-up instead of colour's float64 evaluation.

    >>> round(float(pq_eotf_16bit(np.float32(0.5806888810416109))), 1)
    203.0
    """
    values = np.asarray(signal, dtype=np.float32)
    codes = np.rint(np.clip(values, 0.0, 1.0) * np.float32(65535.0)).astype(np.uint16)
    return _pq_eotf_table()[codes]


def hlg_inverse_eotf(
    display: Any, *, nominal_peak: float = HDR_NOMINAL_PEAK, black: float = 0.0
) -> np.ndarray:
    """Display light (cd/m²) -> HLG signal E' (inverse OOTF at ``nominal_peak``, then OETF).

    >>> round(float(hlg_inverse_eotf(203.0)), 3)
    0.75
    """
    return _call_rgb("eotf_inverse_BT2100_HLG", display, L_B=black, L_W=nominal_peak)


def hlg_eotf(
    signal: Any, *, nominal_peak: float = HDR_NOMINAL_PEAK, black: float = 0.0
) -> np.ndarray:
    """HLG signal E' -> display light in cd/m² (inverse OETF, then OOTF at ``nominal_peak``).

    >>> round(float(hlg_eotf(0.75)), 1)
    203.2
    """
    return _call_rgb("eotf_BT2100_HLG", signal, L_B=black, L_W=nominal_peak)


def hlg_oetf(scene: Any) -> np.ndarray:
    """Scene linear light E in [0, 1] -> HLG signal E' (BT.2100 Table 5 OETF).

    >>> round(float(hlg_oetf(1.0 / 12.0)), 4)
    0.5
    """
    return _call("oetf_BT2100_HLG", scene)


def hlg_inverse_oetf(signal: Any) -> np.ndarray:
    """HLG signal E' -> scene linear light E in [0, 1].

    >>> round(float(hlg_inverse_oetf(0.5)), 5)
    0.08333
    """
    return _call("oetf_inverse_BT2100_HLG", signal)


def bt1886_eotf(signal: Any, *, white: float = 100.0, black: float = 0.0) -> np.ndarray:
    """SDR signal V -> display luminance in cd/m² (BT.1886 Annex 1, gamma 2.4).

    >>> round(float(bt1886_eotf(1.0)), 3)
    100.0
    """
    return _call("eotf_BT1886", signal, L_B=black, L_W=white)


def bt1886_inverse_eotf(luminance: Any, *, white: float = 100.0, black: float = 0.0) -> np.ndarray:
    """Display luminance in cd/m² -> SDR signal V (inverse BT.1886).

    >>> round(float(bt1886_inverse_eotf(100.0 * 0.5**2.4)), 4)
    0.5
    """
    return _call("eotf_inverse_BT1886", luminance, L_B=black, L_W=white)


def exr_linear_light(
    signal: np.ndarray, transfer: str, nominal_peak: float = HDR_NOMINAL_PEAK
) -> np.ndarray:
    """Linear light for EXR plates, 1.0 = diffuse white.

    SDR (any transfer but PQ/HLG): the BT.709 OETF inverted (ITU-R BT.709-6 item 1.2),
    scene-linear, 1.0 = white. PQ (``smpte2084``) and HLG (``arib-std-b67``): the EOTF in
    cd/m² divided by the HDR reference white of Report ITU-R BT.2408 (203 cd/m²), so SDR
    white lands on 1.0 and highlights stay above it.

    >>> round(float(exr_linear_light(np.float32([0.5806888810416109]), "smpte2084")[0]), 3)
    1.0
    >>> round(float(exr_linear_light(np.float32([1.0]), "bt709")[0]), 3)
    1.0
    """
    if transfer == "smpte2084":
        return (pq_eotf_16bit(signal) / np.float32(HDR_REFERENCE_WHITE)).astype(np.float32)
    if transfer == "arib-std-b67":
        light = hlg_eotf(np.clip(signal, 0.0, 1.0), nominal_peak=nominal_peak)
        return (np.asarray(light, np.float32) / np.float32(HDR_REFERENCE_WHITE)).astype(np.float32)
    return _call("oetf_inverse_BT709", signal)
