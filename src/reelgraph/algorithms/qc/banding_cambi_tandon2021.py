"""Banding (false contouring) score of a frame: CAMBI, simplified and vectorised.

Reference: P. Tandon, M. Afonso, J. Sole, L. Krasula, "CAMBI: Contrast-aware Multiscale
Banding Index", Picture Coding Symposium 2021, and Netflix's reference implementation
(libvmaf ``feature/cambi.c``, whose constants are used here: window 63 px at 3840 wide,
contrast weights 1, 2, 3, 4 for luma steps of 1–4 10-bit codes, scale weights 16, 8, 4, 2,
1, top-k pooling 0.6, visibility threshold ΔL > 0.019 L under BT.1886 with L_W = 300 cd/m²,
L_B = 0.01 cd/m²). A score of 0 means no banding; around 5 banding starts to be annoying
(libvmaf ``doc/cambi.md``); 24 is about the worst seen.

What is implemented, per frame:

1. ``Y′`` is decimated (nearest sample) to at most ``max_width`` pixels wide and quantised
   to 10-bit narrow-range codes ``64 + 876·Y′``; for 8-bit sources the 2×2 anti-dithering
   average of CAMBI is applied.
2. Spatial mask: pixels equal to their right and lower neighbours ("zero derivative");
   a pixel is in the mask when more than CAMBI's resolution-dependent count of its 7×7
   neighbourhood is (the count for the source resolution, at least 9).
3. Five scales (2× decimation each). At each: a 3×3 median (CAMBI uses the 3×3 mode),
   then for every masked pixel of code ``v`` the counts ``p(v)``, ``p(v ± d)`` of masked
   pixels in the window, and the contrast value
   ``c = max_d w_d · p(v)·p(v+d*)/(p(v)+p(v+d*))`` over the steps ``d`` still visible at
   ``v`` (``d*`` the more populated side), CAMBI eq. (2)–(4).
4. Per scale, the mean of the top 0.6 of ``c`` values; the score is the scale-weighted sum
   divided by the window's pixel count.

Differences from libvmaf's CAMBI, all for speed: the windowed histograms are computed
with box filters on the codes taken modulo 16 and modulo 17, keeping the smaller count (exact
unless a window holds masked codes both 16·k and 17·j away from the one counted — far apart
flat regions of both kinds within about 1°), the mode filter is a median, and the frame is
analysed at ``max_width`` rather than at the encode resolution (the window scales with it,
so a band's angular size is judged the same; absolute scores are close to but not
interchangeable with libvmaf's).

===========  ======================  ==============================================
input        dtype, shape            domain
===========  ======================  ==============================================
``luma``     float32 ``(H, W)``      ``Y′`` normalised [0, 1] (0 = black); finite
returns      float                   banding score ≥ 0 (NaN if smaller than 16 px)
===========  ======================  ==============================================

>>> import numpy as np
>>> ramp = np.linspace(0.30, 0.36, 960, dtype=np.float32)[None, :].repeat(540, 0)
>>> banded = np.round(ramp * 255) / 255
>>> smooth = np.round(ramp * 1023) / 1023
>>> cambi(banded.astype(np.float32)) > 5 > cambi(smooth.astype(np.float32))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc._frames import round_fps, series_1d, validate_plane
from reelgraph.algorithms.qc.findings import Finding, Severity, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = ["BandingParameters", "cambi", "detect_banding"]

STANDARD = "CAMBI (Tandon et al. 2021), simplified"

_SCALE_WEIGHTS = (16, 8, 4, 2, 1)
_CONTRAST_WEIGHTS = (1, 2, 3, 4, 4, 5, 5, 6)
_MODULI = (16, 17)
_MASK_FILTER = 7
_MIN_MASK_INDEX = 9.0
#: Smallest working width/height (pixels) that holds five scales.
MIN_SIZE = 16


@dataclass(frozen=True)
class BandingParameters:
    """Parameters of the banding check (CAMBI constants unless stated)."""

    max_width: int = 480
    """Frames are decimated to at most this width before analysis."""
    window: int = 63
    """Window side at 3840 pixels wide; scaled with the analysed width (63 ≈ 1° at 4K)."""
    topk: float = 0.6
    """Fraction of the highest contrast values pooled per scale."""
    tvi_threshold: float = 0.019
    """A step of ``d`` codes is visible while ΔL > tvi_threshold · L (BT.1886)."""
    max_log_contrast: int = 2
    """Steps of up to ``2^max_log_contrast`` 10-bit codes are considered."""
    source_bit_depth: int = 8
    """Bit depth of the source; 8 applies CAMBI's anti-dithering filter."""
    threshold: float = 5.0
    """Score from which a frame is reported (CAMBI: banding becomes annoying near 5)."""
    bridge_seconds: float = 0.5
    """Flagged frames closer than this are reported as one segment."""
    severity: Severity = "warning"

    def __post_init__(self) -> None:
        if self.max_width < MIN_SIZE or not 0 < self.topk <= 1 or self.window < 3:
            raise AlgorithmError(f"need max_width >= {MIN_SIZE}, 0 < topk <= 1, window >= 3")
        if not 0 <= self.max_log_contrast <= 3:
            raise AlgorithmError("max_log_contrast must lie in 0..3")
        if self.source_bit_depth < 8:
            raise AlgorithmError("source_bit_depth must be >= 8")


def _luminance_bt1886(codes: NDArray[np.float64]) -> NDArray[np.float64]:
    # ITU-R BT.1886 Annex 1 EOTF on narrow-range 10-bit codes, L_W = 300, L_B = 0.01.
    gamma, white, black = 2.4, 300.0, 0.01
    normalised = np.clip((codes - 64.0) / (940.0 - 64.0), 0.0, 1.0)
    root_white, root_black = white ** (1 / gamma), black ** (1 / gamma)
    a = (root_white - root_black) ** gamma
    b = root_black / (root_white - root_black)
    return a * np.maximum(normalised + b, 0.0) ** gamma


@lru_cache(maxsize=8)
def _visibility_limits(tvi_threshold: float, num_diffs: int) -> tuple[int, ...]:
    """Highest 10-bit code at which a step of ``d`` codes is still visible, per ``d``."""
    codes = np.arange(64, 941, dtype=np.float64)
    limits = []
    for diff in range(1, num_diffs + 1):
        luminance = _luminance_bt1886(codes)
        step = _luminance_bt1886(codes + diff) - luminance
        visible = codes[(step > tvi_threshold * luminance) & (codes <= 940 - diff - 1)]
        limits.append(int(visible.max()) if visible.size else -1)
    return tuple(limits)


def _mask_index(width: int, height: int) -> float:
    """Zero-derivative count a 7×7 neighbourhood must exceed, for a source resolution.

    libvmaf's ``get_mask_index``: ``floor(7²/2) − 3·(sqrt(4K area / area) − 1)`` at the
    encode resolution (here the source's, not the decimated analysis size), floored at
    :data:`_MIN_MASK_INDEX`, its value at 640×360: below that the formula admits every
    pixel, textured or not.
    """
    ratio = np.sqrt((3840 * 2160) / (width * height))
    return max(_MIN_MASK_INDEX, float(np.floor(_MASK_FILTER**2 / 2) - 3 * (ratio - 1)))


def _spatial_mask(codes: NDArray[np.uint16], mask_index: float) -> NDArray[np.bool_]:
    height, width = codes.shape
    zero = np.ones((height, width), dtype=np.uint8)
    zero[:-1, :] &= (codes[:-1, :] == codes[1:, :]).astype(np.uint8)
    zero[:, :-1] &= (codes[:, :-1] == codes[:, 1:]).astype(np.uint8)
    counts = cv2.boxFilter(
        zero, cv2.CV_32F, (_MASK_FILTER, _MASK_FILTER), normalize=False,
        borderType=cv2.BORDER_CONSTANT,
    )  # fmt: skip
    return np.asarray(counts > mask_index)


def _window_counts(
    codes: NDArray[np.uint16], mask: NDArray[np.bool_], modulus: int, size: int
) -> tuple[NDArray[np.uint16], NDArray[np.uint8]]:
    """Per pixel, counts of masked pixels in the window for each code residue mod ``modulus``.

    Returns the counts as ``(H·W, modulus)`` and each pixel's own residue.
    """
    residues = (codes % modulus).astype(np.uint8)
    keyed = np.where(mask, residues, np.uint8(255))
    one_hot = keyed[..., None] == np.arange(modulus, dtype=np.uint8)
    counts = cv2.boxFilter(
        one_hot.view(np.uint8), cv2.CV_16U, (size, size), normalize=False,
        borderType=cv2.BORDER_CONSTANT,
    )  # fmt: skip
    return np.asarray(counts, dtype=np.uint16).reshape(-1, modulus), residues.reshape(-1)


def _c_values(
    codes: NDArray[np.uint16],
    mask: NDArray[np.bool_],
    window: int,
    limits: tuple[int, ...],
) -> NDArray[np.float32]:
    """CAMBI contrast value of every pixel (0 outside the mask)."""
    values = np.zeros(codes.shape, dtype=np.float32)
    size = 2 * (window // 2) + 1
    # Only pixels whose window holds another masked code can have a contrast value; the
    # windowed max/min of masked codes finds them cheaply.
    kernel = np.ones((size, size), dtype=np.uint8)
    high = cv2.dilate(
        np.where(mask, codes, np.uint16(0)), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0
    )
    low = cv2.erode(
        np.where(mask, codes, np.uint16(65535)),
        kernel,
        borderType=cv2.BORDER_CONSTANT,
        borderValue=65535,
    )
    candidates = mask & ((high != codes) | (low != codes))
    positions = np.flatnonzero(candidates)
    if positions.size == 0:
        return values
    level = codes.reshape(-1)[positions]
    span = (high.reshape(-1)[positions].astype(np.int32)
            - low.reshape(-1)[positions].astype(np.int32))  # fmt: skip
    num_diffs = len(limits)
    # Counts of the exact codes v + d (|d| <= 4) are read from counts of codes modulo 16,
    # which is exact where the window's masked codes span at most 16 − 4 − 1 = 11 codes (a
    # code 16 away from the target would be 12 or more away from v). Elsewhere a second
    # count modulo 17 is taken and the smaller kept: it is too high only if the window
    # holds codes both 16·k and 17·j away from the target.
    gathered: dict[int, NDArray[np.float32]] = {}
    wide = np.flatnonzero(span > _MODULI[0] - num_diffs - 1)
    for modulus in _MODULI:
        subset = positions if modulus == _MODULI[0] else positions[wide]
        if subset.size == 0:
            break
        counts, residues = _window_counts(codes, mask, modulus, size)
        flat = counts.reshape(-1)
        base = subset * modulus
        own = residues[subset]
        for diff in range(-num_diffs, num_diffs + 1):
            shift = ((np.arange(modulus) + diff) % modulus).astype(np.int64)
            taken = np.take(flat, base + np.take(shift, own)).astype(np.float32)
            if modulus == _MODULI[0]:
                gathered[diff] = taken
            else:
                gathered[diff][wide] = np.minimum(gathered[diff][wide], taken)
    p0 = gathered[0]
    best = np.zeros(positions.size, dtype=np.float32)
    for index, limit in enumerate(limits):
        diff = index + 1
        side = np.maximum(gathered[diff], gathered[-diff])
        with np.errstate(invalid="ignore", divide="ignore"):
            contrast = _CONTRAST_WEIGHTS[index] * p0 * side / (side + p0)
        contrast = np.where((level <= limit) & (side > 0), contrast, np.float32(0.0))
        np.maximum(best, contrast, out=best)
    values.reshape(-1)[positions] = best
    return values


def _topk_mean(values: NDArray[np.float32], topk: float) -> float:
    flat = values.reshape(-1)
    count = int(np.clip(topk * flat.size, 1, flat.size))
    nonzero = int(np.count_nonzero(flat))
    if nonzero <= count:
        # Contrast values are >= 0: the top ``count`` are all non-zero ones plus zeros.
        return float(flat.sum(dtype=np.float64)) / count
    top = np.partition(flat, flat.size - count)[flat.size - count :]
    return float(top.mean(dtype=np.float64))


def cambi(luma: NDArray[np.float32], params: BandingParameters | None = None) -> float:
    """CAMBI-style banding score of one frame's normalised luma (0 = no banding)."""
    params = params or BandingParameters()
    return _cambi(validate_plane(luma, "luma"), params)


def _cambi(plane: NDArray[np.float32], params: BandingParameters) -> float:
    height, width = plane.shape
    mask_index = _mask_index(width, height)
    factor = -(-width // params.max_width)
    if factor > 1:
        plane = plane[factor // 2 :: factor, factor // 2 :: factor]
        height, width = plane.shape
    if height < MIN_SIZE or width < MIN_SIZE:
        return float("nan")
    codes = np.clip(np.rint(plane * 876.0 + 64.0), 0, 1023).astype(np.uint16)
    if params.source_bit_depth == 8:
        # CAMBI's anti-dithering filter: 2×2 average (edges average what exists).
        padded = np.pad(codes.astype(np.uint32), ((0, 1), (0, 1)), mode="edge")
        codes = (
            (padded[:-1, :-1] + padded[:-1, 1:] + padded[1:, :-1] + padded[1:, 1:]) >> 2
        ).astype(np.uint16)
    window = max(3, int(params.window * width / 3840))
    limits = _visibility_limits(params.tvi_threshold, 1 << params.max_log_contrast)
    mask = _spatial_mask(codes, mask_index)
    score = 0.0
    for scale, weight in enumerate(_SCALE_WEIGHTS):
        if scale > 0:
            codes = codes[::2, ::2]
            mask = mask[::2, ::2]
        if min(codes.shape) < 3:
            break
        filtered = np.asarray(cv2.medianBlur(np.ascontiguousarray(codes), 3), dtype=np.uint16)
        contrast = _c_values(filtered, mask, window, limits)
        score += weight * _topk_mean(contrast, params.topk)
    pixels_in_window = (2 * (window // 2) + 1) ** 2
    return score / pixels_in_window


def detect_banding(
    scores: ArrayLike, fps: float, params: BandingParameters | None = None
) -> list[Finding]:
    """Segments of frames whose banding score reaches the threshold (NaN never does)."""
    params = params or BandingParameters()
    values = series_1d(scores, "scores")
    bridge = max(0, round(params.bridge_seconds * round_fps(fps)))
    with np.errstate(invalid="ignore"):
        mask = values >= params.threshold
    findings = []
    for start, end in mask_to_segments(mask, max_gap=bridge):
        peak = float(np.nanmax(values[start : end + 1]))
        findings.append(
            Finding(
                check="banding",
                severity=params.severity,
                start_frame=int(start),
                end_frame=int(end),
                value=peak,
                limit=params.threshold,
                standard=STANDARD,
                message=f"banding score up to {peak:.1f} (visible banding from about 5)",
            )
        )
    return findings
