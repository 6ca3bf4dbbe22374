"""ASC Color Decision List (CDL) v1.2: slope, offset, power and saturation.

Reference: American Society of Cinematographers, "ASC Color Decision List (ASC CDL)
Transfer Functions and Interchange Syntax", v1.2 (2009), §3.2–3.3:

    out = clamp(in × slope + offset) ^ power          (per channel, eq. in §3.2)
    luma = 0.2126 R + 0.7152 G + 0.0722 B             (Rec. 709 weights, §3.3)
    out = luma + saturation × (in − luma)             (§3.3)

``clamp=False`` is OpenColorIO's ``CDL_NO_CLAMP`` style for scene-linear data: values above
1.0 pass (negative values before the power are held at 0, as OCIO does). The files
(``.cc``, ``.ccc``, ``.cdl``) are written by OpenColorIO's own writers, so ids and
descriptions are escaped and any CDL-aware grading system reads them back.

=============  ===========================================  ===========================
 argument       domain                                        range
=============  ===========================================  ===========================
 ``rgb``        float32 (..., 3), encoded R'G'B' in [0, 1]    float32 (..., 3), [0, 1]
                (or scene-linear, ≥ 0, with ``clamp=False``)  (≥ 0 with ``clamp=False``)
=============  ===========================================  ===========================

>>> import numpy as np
>>> cdl = CDL(slope=(2.0, 1.0, 1.0))
>>> apply_cdl(np.array([[0.25, 0.5, 0.5]], np.float32), cdl).round(3).tolist()
[[0.5, 0.5, 0.5]]
>>> cdl_inverse(np.array([[0.5, 0.5, 0.5]], np.float32), cdl).round(3).tolist()
[[0.25, 0.5, 0.5]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour.standards import LUMA_BT709
from reelgraph.errors import AlgorithmError

#: Kept for callers of the previous name; the weights live in ``standards``.
REC709_LUMA = LUMA_BT709
#: OpenColorIO's names of the three ASC interchange formats, by file extension.
FORMATS = {
    ".cc": "ColorCorrection",
    ".ccc": "ColorCorrectionCollection",
    ".cdl": "ColorDecisionList",
}

Triple = tuple[float, float, float]


@dataclass(frozen=True)
class CDL:
    """One ASC CDL correction (the SOP node and the SAT node of a ColorCorrection)."""

    slope: Triple = (1.0, 1.0, 1.0)
    offset: Triple = (0.0, 0.0, 0.0)
    power: Triple = (1.0, 1.0, 1.0)
    saturation: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers for artifact meta and JSON (rounded to the files' precision)."""
        return {
            "slope": [round(v, 6) for v in self.slope],
            "offset": [round(v, 6) for v in self.offset],
            "power": [round(v, 6) for v in self.power],
            "saturation": round(self.saturation, 6),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CDL:
        def triple(key: str, default: float) -> Triple:
            values = [float(v) for v in data.get(key, (default,) * 3)]
            return (values[0], values[1], values[2])

        return CDL(
            triple("slope", 1.0),
            triple("offset", 0.0),
            triple("power", 1.0),
            float(data.get("saturation", 1.0)),
        )

    def is_identity(self) -> bool:
        return self == CDL()

    def to_ocio(self, correction_id: str, description: str = "", clamp: bool = True) -> Any:
        """The correction as a ``PyOpenColorIO.CDLTransform``."""
        import PyOpenColorIO as ocio

        # Six decimals: finer than any grading system's controls, and files stay readable.
        transform = ocio.CDLTransform(
            slope=[round(v, 6) for v in self.slope],
            offset=[round(v, 6) for v in self.offset],
            power=[round(v, 6) for v in self.power],
            sat=round(self.saturation, 6),
            id=correction_id,
            description=_plain(description),
        )
        transform.setStyle(ocio.CDL_ASC if clamp else ocio.CDL_NO_CLAMP)
        return transform

    def to_xml(self, correction_id: str, fmt: str = ".cdl", description: str = "") -> str:
        """The correction as ASC XML (``.cc``, ``.ccc`` or ``.cdl``) from OpenColorIO."""
        return corrections_to_xml([(correction_id, self, description)], fmt)


def _plain(text: str) -> str:
    # OpenColorIO 2.6 escapes description text twice (ids once, correctly), so a
    # description keeps to characters that need no escaping to read back as written.
    return text.replace("&", "and").replace("<", "(").replace(">", ")").replace('"', "'")


def corrections_to_xml(corrections: list[tuple[str, CDL, str]], fmt: str = ".ccc") -> str:
    """Several (id, CDL, description) corrections as one ASC document in ``fmt``
    (``.ccc`` or ``.cdl`` hold many; ``.cc`` exactly one)."""
    import PyOpenColorIO as ocio

    if fmt not in FORMATS:
        raise AlgorithmError(f"unknown CDL format {fmt!r}", hint=f"use {', '.join(FORMATS)}")
    if fmt == ".cc" and len(corrections) != 1:
        raise AlgorithmError(".cc holds exactly one correction", hint="write a .ccc or .cdl")
    group = ocio.GroupTransform([cdl.to_ocio(cid, text) for cid, cdl, text in corrections])
    return str(group.write(formatName=FORMATS[fmt], config=ocio.Config.CreateRaw()))


def _check(rgb: npt.NDArray[np.float32], cdl: CDL) -> None:
    if rgb.shape[-1] != 3:
        raise AlgorithmError(f"ASC CDL needs 3 channels, got shape {rgb.shape}")
    if any(p <= 0 for p in cdl.power) or any(s < 0 for s in cdl.slope) or cdl.saturation < 0:
        raise AlgorithmError("ASC CDL needs power > 0, slope ≥ 0 and saturation ≥ 0")


def apply_cdl(
    rgb: npt.NDArray[np.float32], cdl: CDL, *, clamp: bool = True
) -> npt.NDArray[np.float32]:
    """Apply the SOP then SAT operations of ASC CDL v1.2 (clamped to [0, 1] as §3.2 says,
    unless ``clamp=False``)."""
    _check(rgb, cdl)
    slope = np.asarray(cdl.slope, np.float32)
    offset = np.asarray(cdl.offset, np.float32)
    power = np.asarray(cdl.power, np.float32)
    out = (rgb * slope + offset).astype(np.float32, copy=False)
    _clamp(out, clamp)
    if cdl.power != (1.0, 1.0, 1.0):
        np.power(out, power, out=out)
    if cdl.saturation != 1.0:
        luma = out @ LUMA_BT709
        sat = np.float32(cdl.saturation)
        out = (luma[..., None] + sat * (out - luma[..., None])).astype(np.float32, copy=False)
        if clamp:
            _clamp(out, clamp)
    if clamp:  # fmax/fmin already sent NaN to 0 and kept every value finite
        return out
    return np.nan_to_num(out, nan=0.0)


def _clamp(values: npt.NDArray[np.float32], upper: bool) -> None:
    """Clamp in place to [0, 1] (or [0, ∞)), NaN to 0: ``fmax``/``fmin`` prefer the
    number to NaN, so one pass each replaces a clip and a NaN scan."""
    np.fmax(values, np.float32(0.0), out=values)
    if upper:
        np.fmin(values, np.float32(1.0), out=values)


def cdl_inverse(
    rgb: npt.NDArray[np.float32], cdl: CDL, *, clamp: bool = True
) -> npt.NDArray[np.float32]:
    """Undo :func:`apply_cdl` where it is invertible (slope > 0, saturation > 0; values it
    clipped stay clipped). Saturation keeps luma, so its inverse is saturation 1/s."""
    _check(rgb, cdl)
    if any(s <= 0 for s in cdl.slope) or cdl.saturation <= 0:
        raise AlgorithmError("a CDL with slope 0 or saturation 0 cannot be inverted")
    out = rgb.astype(np.float32, copy=True)
    if cdl.saturation != 1.0:
        luma = out @ LUMA_BT709
        out = (luma[..., None] + np.float32(1.0 / cdl.saturation) * (out - luma[..., None])).astype(
            np.float32
        )
    np.clip(out, 0.0, 1.0 if clamp else None, out=out)
    out = np.power(out, np.float32(1.0) / np.asarray(cdl.power, np.float32))
    out = (out - np.asarray(cdl.offset, np.float32)) / np.asarray(cdl.slope, np.float32)
    return np.nan_to_num(out.astype(np.float32, copy=False), nan=0.0)


def cdl_linear_part(cdl: CDL) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(A, a) with ``apply_cdl(x, clamp=False) = x @ A.T + a`` for a CDL whose power is 1
    and whose output stays non-negative: SAT · (diag(slope) x + offset)."""
    luma = LUMA_BT709.astype(np.float64)
    sat = cdl.saturation * np.eye(3) + (1.0 - cdl.saturation) * np.outer(np.ones(3), luma)
    return sat @ np.diag(cdl.slope), sat @ np.asarray(cdl.offset, np.float64)
