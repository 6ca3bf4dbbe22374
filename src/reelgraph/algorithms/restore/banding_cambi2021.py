"""Banding score: a single-scale CAMBI (contrast-aware banding index).

Reference
    P. Tandon, M. Afonso, J. Sole and L. Krasula, "CAMBI: Contrast-aware Multiscale
    Banding Index", *Picture Coding Symposium (PCS)* 2021, §2 (Eq. 1-3), and its reference
    implementation in Netflix libvmaf (``feature/cambi.c``, BSD+Patent).

CAMBI works on 10-bit luma. A pixel counts when its 7x7 neighbourhood is mostly flat
(zero derivative); its "c-value" is, for contrast steps ``d`` = 1..4 code values,
``max_d w_d * p(k) * p(k±d) / (p(k) + p(k±d))`` with ``p`` the fraction of flat pixels in a
window holding the pixel's level ``k`` or the neighbouring band's level ``k±d``; the
frame score is the mean of the largest 60 % of c-values. A quantised smooth gradient
(staircase of wide flat bands one or a few codes apart) scores high; texture, noise,
dither and genuinely smooth 10-bit/float gradients score low.

Simplifications (why this is written here rather than called): libvmaf is not a Python
dependency. This version evaluates one scale (the frame decimated to at most
``max_width`` columns), omits the 3x3 mode filter, takes luma as full-range 10-bit with a
BT.1886 (gamma 2.4, zero black) display for the visibility (TVI) gating, and loops over
grey levels with OpenCV box filters instead of libvmaf's sliding histograms. Scores are
comparable between frames measured with the same settings, not with libvmaf's CAMBI
numbers.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from reelgraph.algorithms.restore._checks import as_frame, luma_bt709
from reelgraph.errors import AlgorithmError

__all__ = ["banding_cambi2021"]

#: Contrast weights for steps of 1..4 10-bit codes (libvmaf ``g_contrast_weights``).
_CONTRAST_WEIGHTS = (1.0, 2.0, 3.0, 4.0)
_MASK_SIZE = 7
#: A pixel is in the flat mask when more than this share of its 7x7 neighbourhood has
#: zero derivative.
_MASK_SHARE = 0.75
#: Weber fraction below which a luminance step is invisible (libvmaf ``DEFAULT_CAMBI_TVI``).
_TVI = 0.019


def _tvi_max_level(diff: int) -> int:
    """Highest 10-bit level k at which a step to k + diff is still visible (BT.1886)."""
    k = np.arange(1, 1024 - diff, dtype=np.float64)
    visible = ((k + diff) / k) ** 2.4 - 1.0 > _TVI
    return int(k[visible].max()) if visible.any() else 0


def banding_cambi2021(
    frame: np.ndarray, *, max_width: int = 960, window: int | None = None, topk: float = 0.6
) -> float:
    """Score visible banding (contouring) of a display-referred frame.

    ===========  ==========================================================
    input        ``frame``: float32 ``(H, W, 3)``, R'G'B' in [0, 1] (BT.709/
                 BT.1886-like encoding; luma is quantised to 10 bits)
    output       float >= 0: 0 for no banding; 8-bit staircase gradients in
                 the mid-tones score 0.3-1 (more for wider bands); texture,
                 noise and smooth 10-bit or float gradients score < 0.05
    max_width    the frame is decimated (nearest sample, as CAMBI) to at
                 most this many columns before measuring
    window       side of the square counting window in pixels of the
                 decimated frame; default ``65 * width / 3840`` rounded to
                 odd, at least 15 (CAMBI's ~1 degree at 4K)
    topk         share of pixels (largest c-values) averaged, in (0, 1]
    ===========  ==========================================================

    >>> ramp = np.linspace(0.2, 0.4, 512, dtype=np.float32)
    >>> grad = np.repeat(np.tile(ramp, (256, 1))[..., None], 3, axis=2)
    >>> banded = np.round(grad * 255) / 255
    >>> banding_cambi2021(banded) > 10 * banding_cambi2021(grad)
    True
    """
    if not 0.0 < topk <= 1.0:
        raise AlgorithmError(f"topk must be in (0, 1], got {topk!r}")
    if max_width < 16:
        raise AlgorithmError(f"max_width must be >= 16, got {max_width!r}")
    rgb = as_frame(frame)
    height, width = rgb.shape[:2]
    step = max(1, math.ceil(width / max_width))
    if step > 1:
        # Nearest-sample decimation at block centres, as libvmaf's decimate_generic.
        rgb = rgb[step // 2 :: step, step // 2 :: step]
        height, width = rgb.shape[:2]
    if height < _MASK_SIZE or width < _MASK_SIZE:
        return 0.0
    if window is None:
        window = max(15, round(65 * width / 3840) | 1)
    if window < 3 or window % 2 == 0:
        raise AlgorithmError(f"window must be odd and >= 3, got {window!r}")

    levels = np.clip(np.rint(luma_bt709(rgb) * 1023.0), 0, 1023).astype(np.int32)

    # Spatial mask: zero derivative to the right and below (edge-replicated), counted
    # over 7x7, Eq. (1).
    right = np.empty_like(levels)
    right[:, :-1], right[:, -1] = levels[:, 1:], levels[:, -1]
    below = np.empty_like(levels)
    below[:-1], below[-1] = levels[1:], levels[-1]
    zero_derivative = ((levels == right) & (levels == below)).astype(np.float32)
    flat_share = cv2.boxFilter(zero_derivative, -1, (_MASK_SIZE, _MASK_SIZE))
    mask = flat_share > _MASK_SHARE
    if not mask.any():
        return 0.0

    # p(k) per pixel and level: share of flat pixels of level k in the window. Pixels
    # are bucketed by level once; per level one box filter, read only where needed.
    flat_index = np.flatnonzero(mask)
    flat_levels = levels.ravel()[flat_index]
    order = np.argsort(flat_levels, kind="stable")
    sorted_index = flat_index[order]
    bounds = np.searchsorted(flat_levels[order], np.arange(1025))
    n_diffs = len(_CONTRAST_WEIGHTS)
    # counts[j, i]: share of level (k_i + j - n_diffs) around flat pixel i (sorted order).
    counts = np.zeros((2 * n_diffs + 1, sorted_index.size), dtype=np.float32)
    indicator = np.zeros(levels.shape, dtype=np.float32)
    present = np.flatnonzero(np.diff(bounds) > 0)
    for level in present:
        members = sorted_index[bounds[level] : bounds[level + 1]]
        indicator.ravel()[members] = 1.0
        share = cv2.boxFilter(indicator, -1, (window, window), borderType=cv2.BORDER_CONSTANT)
        indicator.ravel()[members] = 0.0
        share_flat = share.ravel()
        for j in range(2 * n_diffs + 1):
            target = level - (j - n_diffs)
            if 0 <= target <= 1023 and bounds[target + 1] > bounds[target]:
                lo, hi = bounds[target], bounds[target + 1]
                counts[j, lo:hi] = share_flat[sorted_index[lo:hi]]

    p_own = counts[n_diffs]
    c_values = np.zeros(sorted_index.size, dtype=np.float32)
    own_levels = flat_levels[order]
    for d, weight in enumerate(_CONTRAST_WEIGHTS, start=1):
        visible = own_levels <= _tvi_max_level(d)
        p_other = np.maximum(counts[n_diffs + d], counts[n_diffs - d])
        with np.errstate(invalid="ignore", divide="ignore"):
            value = weight * p_own * p_other / (p_own + p_other)
        np.maximum(c_values, np.where(visible, np.nan_to_num(value), 0.0), out=c_values)

    # Top-k pooling over all pixels (unmasked pixels have c = 0), Eq. (3).
    n_pool = max(1, int(topk * height * width))
    if c_values.size > n_pool:
        pooled = np.partition(c_values, c_values.size - n_pool)[-n_pool:]
        return float(pooled.mean())
    return float(c_values.sum() / n_pool)
