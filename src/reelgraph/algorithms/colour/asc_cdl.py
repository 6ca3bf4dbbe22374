"""ASC Color Decision List (CDL) v1.2: slope, offset, power and saturation.

Reference: American Society of Cinematographers, "ASC Color Decision List (ASC CDL)
Transfer Functions and Interchange Syntax", v1.2 (2009), §3.2–3.3:

    out = clamp(in × slope + offset) ^ power          (per channel, eq. in §3.2)
    luma = 0.2126 R + 0.7152 G + 0.0722 B             (Rec. 709 weights, §3.3)
    out = luma + saturation × (in − luma)             (§3.3)

=============  =========================================  ===========================
 argument       domain                                      range
=============  =========================================  ===========================
 ``rgb``        float32 (..., 3), encoded R'G'B' in [0, 1]  float32 (..., 3), [0, 1]
=============  =========================================  ===========================

>>> import numpy as np
>>> cdl = CDL(slope=(2.0, 1.0, 1.0))
>>> apply_cdl(np.array([[0.25, 0.5, 0.5]], np.float32), cdl).round(3).tolist()
[[0.5, 0.5, 0.5]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelgraph.errors import AlgorithmError

REC709_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


@dataclass(frozen=True)
class CDL:
    """One ASC CDL correction (the SOP node and the SAT node of a ColorCorrection)."""

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0

    def to_xml(self, correction_id: str) -> str:
        """The correction as an ASC CDL XML document (``.cdl``)."""

        def triple(values: tuple[float, float, float]) -> str:
            return " ".join(f"{v:.6f}" for v in values)

        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<ColorDecisionList xmlns="urn:ASC:CDL:v1.2">\n'
            "  <ColorDecision>\n"
            f'    <ColorCorrection id="{correction_id}">\n'
            "      <SOPNode>\n"
            f"        <Slope>{triple(self.slope)}</Slope>\n"
            f"        <Offset>{triple(self.offset)}</Offset>\n"
            f"        <Power>{triple(self.power)}</Power>\n"
            "      </SOPNode>\n"
            "      <SatNode>\n"
            f"        <Saturation>{self.saturation:.6f}</Saturation>\n"
            "      </SatNode>\n"
            "    </ColorCorrection>\n"
            "  </ColorDecision>\n"
            "</ColorDecisionList>\n"
        )


def apply_cdl(rgb: npt.NDArray[np.float32], cdl: CDL) -> npt.NDArray[np.float32]:
    """Apply the SOP then SAT operations of ASC CDL v1.2 (clamped to [0, 1] as §3.2 says)."""
    if rgb.shape[-1] != 3:
        raise AlgorithmError(f"ASC CDL needs 3 channels, got shape {rgb.shape}")
    if any(p <= 0 for p in cdl.power) or any(s < 0 for s in cdl.slope) or cdl.saturation < 0:
        raise AlgorithmError("ASC CDL needs power > 0, slope ≥ 0 and saturation ≥ 0")
    slope = np.asarray(cdl.slope, np.float32)
    offset = np.asarray(cdl.offset, np.float32)
    power = np.asarray(cdl.power, np.float32)
    out = np.clip(rgb * slope + offset, 0.0, 1.0)
    np.power(out, power, out=out)
    if cdl.saturation != 1.0:
        luma = out @ REC709_LUMA
        out = luma[..., None] + cdl.saturation * (out - luma[..., None])
        np.clip(out, 0.0, 1.0, out=out)
    return np.nan_to_num(out.astype(np.float32, copy=False), nan=0.0)
