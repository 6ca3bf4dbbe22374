"""Encoded R'G'B' ↔ scene-linear RGB by the frame's transfer tag, through colour-science.

Scene-linear here means relative to diffuse white = 1.0: the inverse camera OETF for SDR
(ITU-R BT.709-6 / BT.2020-2, which share one OETF), the sRGB EOTF for IEC 61966-2-1, PQ
display light divided by the BT.2408 reference white (203 cd/m²) and HLG scene light
normalised so that BT.2408's 75 % HLG reference white lands on 1.0. Linear values above 1.0
are kept (highlights); they are clipped only when a frame is encoded for a writer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import colour
import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour.standards import HDR_REFERENCE_WHITE
from reelgraph.errors import MediaError

Array = npt.NDArray[np.float32]
_HLG_WHITE = float(colour.models.oetf_inverse_BT2100_HLG(0.75))


def _pair(transfer: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    if transfer in ("bt709", "smpte170m", "bt2020-10", "bt2020-12"):
        return colour.models.oetf_inverse_BT709, colour.models.oetf_BT709
    if transfer == "iec61966-2-1":
        return colour.models.eotf_sRGB, colour.models.eotf_inverse_sRGB
    if transfer == "gamma22":
        return (lambda v: np.power(np.maximum(v, 0), 2.2)), (
            lambda v: np.power(np.maximum(v, 0), 1 / 2.2)
        )
    if transfer == "linear":
        return (lambda v: v), (lambda v: v)
    if transfer == "smpte2084":
        return (
            lambda v: colour.models.eotf_ST2084(v) / HDR_REFERENCE_WHITE,
            lambda v: colour.models.eotf_inverse_ST2084(np.maximum(v, 0) * HDR_REFERENCE_WHITE),
        )
    if transfer == "arib-std-b67":
        return (
            lambda v: colour.models.oetf_inverse_BT2100_HLG(v) / _HLG_WHITE,
            lambda v: colour.models.oetf_BT2100_HLG(np.clip(v * _HLG_WHITE, 0, 1)),
        )
    raise MediaError(
        f"no scene-linear conversion for transfer {transfer!r}",
        hint="tag the source's transfer (bt709, iec61966-2-1, smpte2084, arib-std-b67, linear)",
    )


def check_transfer(transfer: str) -> None:
    """Raise the usual error now when ``transfer`` cannot be linearised."""
    _pair(transfer)


def to_linear(rgb: npt.ArrayLike, transfer: str) -> Array:
    """Encoded R'G'B' → scene-linear RGB (white = 1.0)."""
    decode, _ = _pair(transfer)
    value = np.asarray(rgb, np.float64)
    with colour.utilities.suppress_warnings(colour_usage_warnings=True):
        return np.asarray(decode(value), np.float32)


def from_linear(rgb: npt.ArrayLike, transfer: str) -> Array:
    """Scene-linear RGB → encoded R'G'B' (negative light is held at 0 first)."""
    _, encode = _pair(transfer)
    value = np.maximum(np.asarray(rgb, np.float64), 0.0)
    with colour.utilities.suppress_warnings(colour_usage_warnings=True):
        return np.asarray(encode(value), np.float32)
