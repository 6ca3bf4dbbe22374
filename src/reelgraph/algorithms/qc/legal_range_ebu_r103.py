"""Legal signal range of ``Y′C′bC′r`` video and the gamut of the ``R′G′B′`` it decodes to.

References:

* EBU R 103 v3.0 (2020), *Video Signal Tolerance in Digital Television Systems*: ``R′``,
  ``G′``, ``B′`` and ``Y′`` should stay within the "preferred" range, the nominal range
  widened by 5 % of its span on either side — 8-bit codes 5–246, 10-bit 20–984 (black 16/64,
  white 235/940); excursions are tolerated on up to 1 % of the picture area, and levels are
  assessed after a low-pass filter so that the overshoots of normal filtering and
  resampling do not count.
* ITU-R BT.709-6 Part 2 Item 5.7 and ITU-R BT.2020-2 Table 5: narrow-range quantisation
  ``D_Y′ = (219 Y′ + 16)·2^(n−8)``, ``D_C = (224 C + 128)·2^(n−8)``; codes
  ``0 … 2^(n−8) − 1`` and ``2^n − 2^(n−8) … 2^n − 1`` are reserved for timing references
  (BT.1120 / SMPTE ST 292) and must not occur in the picture.

Per frame (:func:`legal_range_frame`), on integer ``Y′``, ``C′b``, ``C′r`` planes:

* ``y_out``: fraction of ``Y′`` samples outside the preferred range (full resolution);
* ``chroma_out``: fraction of ``C′b``/``C′r`` samples outside the nominal chroma range
  widened by the same tolerance (EBU R 103 does not bound chroma on its own; reported as
  a warning, the gamut test below is what matters);
* ``rgb_out``: fraction of chroma-grid pixels whose ``R′G′B′`` (matrix of the stream) lies
  outside ``[−5 %, 105 %]``. ``Y′`` is averaged over each chroma sample's footprint (2×2
  for 4:2:0, 2×1 for 4:2:2) before the matrix: this box filter is the low-pass R 103 asks
  for (R 103 does not fix one) and avoids inventing chroma by upsampling;
* ``reserved``: number of samples at reserved codes (narrow range only).

A frame fails when ``y_out`` or ``rgb_out`` exceeds ``max_area`` (1 %), or when any
reserved code occurs; ``chroma_out`` above ``max_area`` gives a warning.

============  ==============================  ==========================================
input         dtype, shape                    domain
============  ==============================  ==========================================
``y``         uint8/uint16 ``(H, W)``         codes at ``bit_depth``
``cb, cr``    uint8/uint16 ``(H/sy, W/sx)``   codes; ``sy, sx`` ∈ {1, 2} (4:4:4/2:2/2:0)
returns       :class:`LegalRangeFrame`        fractions in [0, 1], reserved count ≥ 0
============  ==============================  ==========================================

>>> import numpy as np
>>> preferred_range(8), preferred_range(10)
((5, 246), (20, 984))
>>> y = np.full((4, 4), 128, np.uint8); y[0, 0] = 250
>>> c = np.full((2, 2), 128, np.uint8)
>>> frame = legal_range_frame(y, c, c, bit_depth=8)
>>> frame.y_out, frame.reserved
(0.0625, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc._frames import equal_series, luma_weights
from reelgraph.algorithms.qc.findings import Finding, Severity, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = [
    "LegalRangeFrame",
    "LegalRangeParameters",
    "YCbCrPlanes",
    "detect_legal_range",
    "legal_range_frame",
    "preferred_range",
]

STANDARD = "EBU R 103 v3 / ITU-R BT.709, BT.2020"


@dataclass(frozen=True)
class LegalRangeParameters:
    """Tolerances of the legal-range check; the defaults are EBU R 103's."""

    tolerance: float = 0.05
    """Allowed excursion below black and above white, as a fraction of the nominal span."""
    max_area: float = 0.01
    """Largest fraction of the picture allowed outside the range (R 103: 1 %)."""
    severity: Severity = "fail"
    """Severity of ``Y′``/``R′G′B′`` excursions and reserved codes."""
    chroma_severity: Severity = "warning"
    """Severity of chroma-only excursions."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.tolerance < 0.5 or not 0.0 <= self.max_area <= 1.0:
            raise AlgorithmError("tolerance must lie in [0, 0.5) and max_area in [0, 1]")


@dataclass(frozen=True)
class YCbCrPlanes:
    """Decoded ``Y′C′bC′r`` planes with what is needed to interpret their codes."""

    y: NDArray[np.uint8] | NDArray[np.uint16]
    cb: NDArray[np.uint8] | NDArray[np.uint16]
    cr: NDArray[np.uint8] | NDArray[np.uint16]
    bit_depth: int
    full_range: bool = False
    matrix: str = "bt709"


class LegalRangeFrame(NamedTuple):
    """Per-frame legal-range measurements."""

    y_out: float
    chroma_out: float
    rgb_out: float
    reserved: int


def _nominal(bit_depth: int, full_range: bool) -> tuple[float, float, float, float, float]:
    """Black, white, chroma zero, chroma half-span and code maximum at a bit depth."""
    if not 8 <= bit_depth <= 16:
        raise AlgorithmError(f"bit_depth must be 8..16, got {bit_depth}")
    top = float((1 << bit_depth) - 1)
    if full_range:
        return 0.0, top, float(1 << (bit_depth - 1)), top / 2.0, top
    scale = float(1 << (bit_depth - 8))
    return 16.0 * scale, 235.0 * scale, 128.0 * scale, 112.0 * scale, top


def preferred_range(bit_depth: int, tolerance: float = 0.05) -> tuple[int, int]:
    """EBU R 103 preferred minimum and maximum narrow-range code at a bit depth."""
    black, white, _, _, _ = _nominal(bit_depth, False)
    span = white - black
    # R 103 rounds to the nearest code (8-bit 5.05 → 5, 245.95 → 246; 10-bit 20.2 → 20).
    return int(np.floor(black - tolerance * span + 0.5)), int(
        np.floor(white + tolerance * span + 0.5)
    )


def _check_plane(plane: object, name: str) -> NDArray[np.uint8] | NDArray[np.uint16]:
    if not isinstance(plane, np.ndarray) or plane.ndim != 2 or plane.size == 0:
        raise AlgorithmError(f"{name} must be a non-empty 2-D array")
    if plane.dtype not in (np.uint8, np.uint16):
        raise AlgorithmError(f"{name} must be uint8 or uint16 codes, got {plane.dtype}")
    return plane


def _outside(plane: NDArray[np.uint8] | NDArray[np.uint16], low: float, high: float) -> int:
    inside = cv2.inRange(plane, float(low), float(high))
    return plane.size - int(cv2.countNonZero(inside))


def legal_range_frame(
    y: NDArray[np.uint8] | NDArray[np.uint16],
    cb: NDArray[np.uint8] | NDArray[np.uint16],
    cr: NDArray[np.uint8] | NDArray[np.uint16],
    bit_depth: int,
    *,
    full_range: bool = False,
    matrix: str = "bt709",
    params: LegalRangeParameters | None = None,
) -> LegalRangeFrame:
    """Fractions of samples and pixels outside the legal range for one frame."""
    params = params or LegalRangeParameters()
    y = _check_plane(y, "y")
    cb = _check_plane(cb, "cb")
    cr = _check_plane(cr, "cr")
    if cb.shape != cr.shape:
        raise AlgorithmError(f"cb and cr differ in shape: {cb.shape} vs {cr.shape}")
    if bit_depth > 8 and y.dtype == np.uint8:
        raise AlgorithmError(f"{bit_depth}-bit codes need uint16 planes")
    if np.iinfo(y.dtype).max < (1 << bit_depth) - 1 and bit_depth < 16:
        raise AlgorithmError(f"planes of {y.dtype} cannot hold {bit_depth}-bit codes")
    height, width = y.shape
    chroma_height, chroma_width = cb.shape
    sub_y = -(-height // chroma_height)
    sub_x = -(-width // chroma_width)
    if sub_y not in (1, 2) or sub_x not in (1, 2) or -(-height // sub_y) != chroma_height:
        raise AlgorithmError(
            f"chroma planes {cb.shape} do not match luma {y.shape} at 4:4:4, 4:2:2 or 4:2:0"
        )
    k_r, k_g, k_b = luma_weights(matrix)
    black, white, zero, half, top = _nominal(bit_depth, full_range)
    span = white - black
    tolerance = params.tolerance

    if full_range:
        y_out = 0.0
        chroma_out = 0.0
        reserved = 0
    else:
        low, high = preferred_range(bit_depth, tolerance)
        y_outside = _outside(y, low, high)
        chroma_low = zero - half - tolerance * 2 * half
        chroma_high = zero + half + tolerance * 2 * half
        cb_outside = _outside(cb, chroma_low, chroma_high)
        cr_outside = _outside(cr, chroma_low, chroma_high)
        y_out = y_outside / y.size
        chroma_out = (cb_outside + cr_outside) / (2 * cb.size)
        # Reserved codes lie outside the preferred ranges: look only where something is.
        reserved_width = float(1 << (bit_depth - 8))
        reserved = sum(
            _outside(plane, reserved_width, top - reserved_width)
            for plane, outside in ((y, y_outside), (cb, cb_outside), (cr, cr_outside))
            if outside
        )

    # Y′ on the chroma grid: the box average over each chroma sample's footprint.
    if (sub_y, sub_x) != (1, 1):
        luma_grid = cv2.resize(y, (chroma_width, chroma_height), interpolation=cv2.INTER_AREA)
    else:
        luma_grid = y
    stacked = cv2.merge([luma_grid, cb, cr]).astype(np.float32)
    # Normalised Y′ = (D_Y − black)/span, C = (D_C − zero)/(2·half); then the BT.709/2020
    # inverse: R′ = Y′ + 2(1 − K_R)C′r, B′ = Y′ + 2(1 − K_B)C′b, G′ = (Y′ − K_R R′ − K_B B′)/K_G.
    cr_to_r = 2.0 * (1.0 - k_r)
    cb_to_b = 2.0 * (1.0 - k_b)
    cb_to_g = -k_b * cb_to_b / k_g
    cr_to_g = -k_r * cr_to_r / k_g
    y_scale = 1.0 / span
    c_scale = 1.0 / (2.0 * half)
    rows = np.array(
        [
            [y_scale, 0.0, cr_to_r * c_scale],
            [y_scale, cb_to_g * c_scale, cr_to_g * c_scale],
            [y_scale, cb_to_b * c_scale, 0.0],
        ],
        dtype=np.float64,
    )
    offsets = -(rows[:, 0] * black + (rows[:, 1] + rows[:, 2]) * zero)
    matrix_3x4 = np.concatenate((rows, offsets[:, None]), axis=1).astype(np.float32)
    rgb = cv2.transform(stacked, matrix_3x4)
    inside = cv2.inRange(rgb, (-tolerance,) * 3, (1.0 + tolerance,) * 3)
    pixels = chroma_height * chroma_width
    rgb_out = (pixels - int(cv2.countNonZero(inside))) / pixels
    return LegalRangeFrame(float(y_out), float(chroma_out), float(rgb_out), int(reserved))


def detect_legal_range(
    y_out: ArrayLike,
    chroma_out: ArrayLike,
    rgb_out: ArrayLike,
    reserved: ArrayLike,
    params: LegalRangeParameters | None = None,
) -> list[Finding]:
    """Findings for runs of frames that break the R 103 area limit or use reserved codes."""
    params = params or LegalRangeParameters()
    arrays = equal_series("legal-range", y_out, chroma_out, rgb_out, reserved)
    series = dict(zip(("y", "chroma", "rgb", "reserved"), arrays, strict=True))
    findings: list[Finding] = []
    rules = (
        ("y", params.max_area, params.severity, "of Y′ samples outside the preferred range"),
        ("rgb", params.max_area, params.severity, "of pixels with R′G′B′ out of gamut"),
        ("reserved", 0.0, params.severity, "samples at reserved (timing) codes"),
        ("chroma", params.max_area, params.chroma_severity, "of C′b/C′r samples out of range"),
    )
    for name, limit, severity, text in rules:
        values = series[name]
        with np.errstate(invalid="ignore"):
            mask = values > limit
        for start, end in mask_to_segments(mask):
            peak = float(np.nanmax(values[start : end + 1]))
            amount = f"{int(peak)}" if name == "reserved" else f"{peak:.2%}"
            findings.append(
                Finding(
                    check="legal_range",
                    severity=severity,
                    start_frame=int(start),
                    end_frame=int(end),
                    value=peak,
                    limit=float(limit),
                    standard=STANDARD,
                    message=(
                        f"up to {amount} {text} (limit "
                        f"{'none' if name == 'reserved' else f'{limit:.0%}'})"
                    ),
                )
            )
    findings.sort(key=lambda finding: (finding.start_frame, finding.severity))
    return findings
