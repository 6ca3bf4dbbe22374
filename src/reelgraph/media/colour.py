"""Colour tags and the Y'CbCr ↔ R'G'B' conversions that use them.

A frame in memory is R'G'B' float32 with a :class:`ColourTag` saying which primaries,
transfer function, matrix and range it came from (or goes to). Conversions are explicit:
the matrix and range come from the stream's metadata. Where a stream leaves them
unspecified, the FFmpeg/player convention is applied (BT.709 for HD, BT.601 below 720
lines, limited range for Y'CbCr) and the tag records that it was assumed, so probe
output, manifests and QC can show it — never a silent default.

Reference: ITU-R BT.601-7, BT.709-6 (Table 4, items 3.2–3.5), BT.2020-2 (Table 4);
code values per BT.709 Table 4 item 3.4/3.5 (limited range: 16·2^(n−8) … 235·2^(n−8) for
Y', 16·2^(n−8) … 240·2^(n−8) for C'b/C'r).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

# Luma coefficients (K_R, K_B) per matrix, from the standards named above.
LUMA_COEFFICIENTS: dict[str, tuple[float, float]] = {
    "bt709": (0.2126, 0.0722),
    "bt470bg": (0.299, 0.114),  # BT.601 625-line
    "smpte170m": (0.299, 0.114),  # BT.601 525-line
    "bt2020nc": (0.2627, 0.0593),
}

# AVColorPrimaries / AVColorTransferCharacteristic / AVColorSpace / AVColorRange numbers
# (libavutil/pixfmt.h), the values PyAV exposes as plain integers.
PRIMARIES = {1: "bt709", 2: "unknown", 5: "bt470bg", 6: "smpte170m", 9: "bt2020", 12: "smpte432"}
TRANSFERS = {
    1: "bt709",
    2: "unknown",
    4: "gamma22",
    6: "smpte170m",
    8: "linear",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    18: "arib-std-b67",
}
MATRICES = {0: "gbr", 1: "bt709", 2: "unknown", 5: "bt470bg", 6: "smpte170m", 9: "bt2020nc"}
RANGES = {0: "unknown", 1: "tv", 2: "pc"}

# CIE xy chromaticities (R, G, B, white) for EXR headers, per the primaries' standards.
CHROMATICITIES: dict[str, tuple[float, ...]] = {
    "bt709": (0.640, 0.330, 0.300, 0.600, 0.150, 0.060, 0.3127, 0.3290),
    "bt2020": (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290),
    "smpte432": (0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290),
    "bt470bg": (0.640, 0.330, 0.290, 0.600, 0.150, 0.060, 0.3127, 0.3290),
    "smpte170m": (0.630, 0.340, 0.310, 0.595, 0.155, 0.070, 0.3127, 0.3290),
}


def _code(table: dict[int, str], name: str) -> int:
    for number, known in table.items():
        if known == name:
            return number
    return 2  # "unspecified" in every one of FFmpeg's tables


@dataclass(frozen=True)
class ColourTag:
    """Where an R'G'B' frame's numbers come from: primaries, transfer, matrix and range.

    Names are FFmpeg's (``bt709``, ``bt2020``, ``smpte2084``, ``arib-std-b67``, ``tv``,
    ``pc``…). ``assumed`` lists the fields that the stream left unspecified and that were
    filled in by convention.
    """

    primaries: str = "bt709"
    transfer: str = "bt709"
    matrix: str = "bt709"
    range: str = "tv"
    assumed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["assumed"] = list(self.assumed)
        return data

    def with_(self, **changes: Any) -> ColourTag:
        return replace(self, **changes)

    @property
    def primaries_code(self) -> int:
        return _code(PRIMARIES, self.primaries)

    @property
    def transfer_code(self) -> int:
        return _code(TRANSFERS, self.transfer)

    @property
    def matrix_code(self) -> int:
        return _code(MATRICES, self.matrix)

    @property
    def range_code(self) -> int:
        return {"tv": 1, "pc": 2}.get(self.range, 0)


BT709 = ColourTag()
BT2020_PQ = ColourTag(primaries="bt2020", transfer="smpte2084", matrix="bt2020nc")
BT2020_HLG = ColourTag(primaries="bt2020", transfer="arib-std-b67", matrix="bt2020nc")
LINEAR_BT709 = ColourTag(transfer="linear", matrix="gbr", range="pc")


def tag_from_codes(
    primaries: int, transfer: int, matrix: int, colour_range: int, height: int, is_rgb: bool
) -> ColourTag:
    """Build a tag from FFmpeg's enum values, filling unspecified fields by convention."""
    assumed: list[str] = []
    hd = height >= 720
    conventional_matrix = "bt709" if hd else "smpte170m"
    m = MATRICES.get(matrix, "unknown")
    if is_rgb:
        m = "gbr"
    elif m not in LUMA_COEFFICIENTS:
        m = conventional_matrix
        assumed.append("matrix")
    p = PRIMARIES.get(primaries, "unknown")
    if p == "unknown":
        p = "bt709" if hd else "smpte170m"
        assumed.append("primaries")
    t = TRANSFERS.get(transfer, "unknown")
    if t == "unknown":
        t = "bt709"
        assumed.append("transfer")
    r = RANGES.get(colour_range, "unknown")
    if r == "unknown":
        r = "pc" if is_rgb else "tv"
        assumed.append("range")
    return ColourTag(p, t, m, r, tuple(assumed))


def _matrix(name: str) -> npt.NDArray[np.float64]:
    """R'G'B' → [Y', C'b, C'r] with C'b/C'r in [−0.5, 0.5] (BT.709 Table 4 item 3.2–3.3)."""
    k_r, k_b = LUMA_COEFFICIENTS[name]
    k_g = 1.0 - k_r - k_b
    return np.array(
        [
            [k_r, k_g, k_b],
            [-k_r / (2 * (1 - k_b)), -k_g / (2 * (1 - k_b)), 0.5],
            [0.5, -k_g / (2 * (1 - k_r)), -k_b / (2 * (1 - k_r))],
        ]
    )


def _range_scale(colour_range: str, bits: int) -> tuple[float, float, float]:
    """(Y' offset, Y' scale, C' scale) in code values for the range and bit depth."""
    if colour_range == "pc":
        full = float(2**bits - 1)
        return 0.0, full, full
    step = float(2 ** (bits - 8))
    return 16.0 * step, 219.0 * step, 224.0 * step


def ycbcr_to_rgb(
    y: npt.NDArray[Any],
    cb: npt.NDArray[Any],
    cr: npt.NDArray[Any],
    bits: int,
    tag: ColourTag,
) -> npt.NDArray[np.float32]:
    """Integer Y'CbCr planes (same size) → R'G'B' float32 (H, W, 3), not clipped.

    Values outside [0, 1] (super-whites, illegal colours) are kept so QC can see them.
    """
    offset, y_scale, c_scale = _range_scale(tag.range, bits)
    centre = float(2 ** (bits - 1))
    # R'G'B' = M⁻¹ · diag(1/scale) · ([Y', C'b, C'r] − shift): one affine map per pixel,
    # applied by OpenCV's vectorised transform (float64 coefficients).
    inverse = np.linalg.inv(_matrix(tag.matrix)) / np.array([y_scale, c_scale, c_scale])
    shift = np.array([offset, centre, centre])
    affine = np.concatenate([inverse, -(inverse @ shift)[:, None]], axis=1)
    codes = cv2.merge([np.ascontiguousarray(p) for p in (y, cb, cr)]).astype(np.float32)
    return np.asarray(cv2.transform(codes, affine), dtype=np.float32)


def luma_from_codes(y: npt.NDArray[Any], bits: int, tag: ColourTag) -> npt.NDArray[np.float32]:
    """Luma ``Y′`` in [0, 1] (float32, not clipped) from a coded Y′ plane: the code value
    less the range's offset, over its scale (BT.709-6 Table 4 item 4.6; BT.2100-2 Table 9).

    Equal to ``K_R R′ + K_G G′ + K_B B′`` of :func:`ycbcr_to_rgb`'s picture (the inverse
    matrix's first row), without making the picture: a checker that needs only luma at
    full size reads it from the plane in one pass.

    >>> float(luma_from_codes(np.array([[940]], np.uint16), 10, BT709)[0, 0])
    1.0
    """
    offset, y_scale, _ = _range_scale(tag.range, bits)
    plane = y.astype(np.float32)
    plane -= np.float32(offset)
    plane /= np.float32(y_scale)  # divided, not multiplied: reference white is exactly 1
    return plane


def rgb_to_ycbcr(
    rgb: npt.NDArray[np.float32],
    bits: int,
    tag: ColourTag,
    chroma_size: tuple[int, int] | None = None,
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    """R'G'B' float (H, W, 3) → integer Y'CbCr planes (uint8 up to 8 bits, else uint16),
    rounded and clipped to the code-value range the bit depth allows.

    One affine map per pixel (matrix, range scale and offset folded together) applied by
    OpenCV's vectorised transform, rounded and cast in the same pass: the inverse of
    :func:`ycbcr_to_rgb`, exact to the code value. ``chroma_size`` (width, height) gives
    subsampled C′b C′r planes: the picture is area-averaged to that size first, which is
    the box filter's average of full-size chroma (the map is affine) without rounding it
    twice, at a quarter of the work for 4:2:0.

    >>> y, cb, cr = rgb_to_ycbcr(np.ones((1, 1, 3), np.float32), 8, BT709)
    >>> int(y[0, 0]), int(cb[0, 0]), int(cr[0, 0])
    (235, 128, 128)
    """
    offset, y_scale, c_scale = _range_scale(tag.range, bits)
    centre = float(2 ** (bits - 1))
    scaled = _matrix(tag.matrix) * np.array([[y_scale], [c_scale], [c_scale]])
    affine = np.concatenate([scaled, np.array([[offset], [centre], [centre]])], axis=1)
    rgb = np.asarray(rgb, np.float32)
    height, width = rgb.shape[:2]
    if chroma_size is not None and chroma_size != (width, height):
        small = cv2.resize(rgb, chroma_size, interpolation=cv2.INTER_AREA)
    else:
        small = rgb
    y = _codes(cv2.transform(rgb, affine[:1]), bits)
    cb, cr = cv2.split(_codes(cv2.transform(small, affine[1:]), bits))
    return y, cb, cr


def _codes(values: npt.NDArray[Any], bits: int) -> npt.NDArray[Any]:
    """Float code values rounded (half to even, as np.rint) and saturated to the bit
    depth's range, in one OpenCV pass; out-of-gamut colours stay at the legal extremes."""
    depth = cv2.CV_8U if bits <= 8 else cv2.CV_16U
    codes = np.asarray(cv2.add(values, 0.0, dtype=depth))
    if bits not in (8, 16):
        top = float(2**bits - 1)
        codes = np.asarray(cv2.min(codes, (top, top, top, top)))
    return codes
