"""Guided filter with a colour guide, and guided feathering of a mask into a soft matte.

Reference
    K. He, J. Sun and X. Tang, "Guided Image Filtering", *IEEE TPAMI* 35(6), 2013:
    the colour-guide filter of Sec. 3.5, Eq. (19)-(21) — in each window ``ω_k`` the
    output is a linear function of the guide colour, ``q = a_kᵀ I + b_k`` with
    ``a_k = (Σ_k + ε U)⁻¹ (mean(I p) − μ_k p̄_k)`` and ``b_k = p̄_k − a_kᵀ μ_k``; the
    coefficients are then averaged over the windows covering each pixel. Sec. 4.4
    ("feathering") applies it to a binary mask with the image as guide to get an alpha
    matte whose edges follow the image's. Sub-sampling the coefficient estimation by
    ``s`` is K. He and J. Sun, "Fast Guided Filter", arXiv:1505.00996, 2015, Alg. 2.

Written with OpenCV box filters rather than ``cv2.ximgproc.guidedFilter`` because the
contrib build is a second ``cv2`` that clashes with the installed OpenCV, and because the
local re-solve of the temporal chain needs a *weighted* estimate (pixels whose motion is
unreliable do not vote for their window's linear model) that ximgproc does not offer:
window means become ``box(w x) / box(w)`` with a small floor ``δ`` on ``w`` so a window
with no reliable pixel falls back to the plain estimate.
"""

from __future__ import annotations

import cv2
import numpy as np

from reelgraph.algorithms.roto._checks import as_guide, as_matte
from reelgraph.algorithms.roto.trimap_morphology_xu2017 import (
    TRIMAP_FOREGROUND,
    TRIMAP_UNKNOWN,
)
from reelgraph.errors import AlgorithmError

__all__ = ["guided_feathering", "guided_filter"]

#: Points per row when coefficients are sampled at scattered pixels (cv2.remap's limit).
_REMAP_ROW = 1024
#: Floor on the per-pixel weights of the weighted estimate (see the module docstring).
WEIGHT_FLOOR = 1e-3


def _check_settings(radius: int, eps: float, subsample: int) -> None:
    """Refuse a window, regularisation or sub-sampling the filter cannot use."""
    if radius < 1 or subsample < 1 or not eps > 0:
        raise AlgorithmError(
            f"guided filter radius {radius}, eps {eps}, subsample {subsample}",
            hint="radius and subsample are whole numbers >= 1 and eps is > 0",
        )


def _box(values: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(values, -1, (size, size), normalize=True, borderType=cv2.BORDER_REFLECT)


def _coefficients(
    guide: np.ndarray, source: np.ndarray, weight: np.ndarray | None, radius: int, eps: float
) -> np.ndarray:
    """Window-averaged ``(a_r, a_g, a_b, b)`` of Eq. (19)-(21), float32 (h, w, 4)."""
    r, g, b = guide[..., 0], guide[..., 1], guide[..., 2]
    # One 13-channel box filter: I (3), p, I p (3), the 6 distinct products I_i I_j.
    stack = np.stack(
        [
            r,
            g,
            b,
            source,
            r * source,
            g * source,
            b * source,
            r * r,
            r * g,
            r * b,
            g * g,
            g * b,
            b * b,
        ],
        axis=-1,
    )
    if weight is None:
        means = _box(stack, radius)
    else:
        w = weight + np.float32(WEIGHT_FLOOR)
        means = _box(stack * w[..., None], radius) / _box(w, radius)[..., None]
    mu = means[..., 0:3]
    p_mean = means[..., 3]
    cov_ip = means[..., 4:7] - mu * p_mean[..., None]
    e = np.float32(eps)
    s_rr = means[..., 7] - mu[..., 0] * mu[..., 0] + e
    s_rg = means[..., 8] - mu[..., 0] * mu[..., 1]
    s_rb = means[..., 9] - mu[..., 0] * mu[..., 2]
    s_gg = means[..., 10] - mu[..., 1] * mu[..., 1] + e
    s_gb = means[..., 11] - mu[..., 1] * mu[..., 2]
    s_bb = means[..., 12] - mu[..., 2] * mu[..., 2] + e
    # (Σ + εU)⁻¹ of a symmetric 3×3 by cofactors, vectorised over pixels.
    i_rr = s_gg * s_bb - s_gb * s_gb
    i_rg = s_gb * s_rb - s_rg * s_bb
    i_rb = s_rg * s_gb - s_gg * s_rb
    i_gg = s_rr * s_bb - s_rb * s_rb
    i_gb = s_rb * s_rg - s_rr * s_gb
    i_bb = s_rr * s_gg - s_rg * s_rg
    det = s_rr * i_rr + s_rg * i_rg + s_rb * i_rb
    c_r, c_g, c_b = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    coefficients = np.empty((*source.shape, 4), dtype=np.float32)
    coefficients[..., 0] = (i_rr * c_r + i_rg * c_g + i_rb * c_b) / det
    coefficients[..., 1] = (i_rg * c_r + i_gg * c_g + i_gb * c_b) / det
    coefficients[..., 2] = (i_rb * c_r + i_gb * c_g + i_bb * c_b) / det
    coefficients[..., 3] = p_mean - np.einsum("...c,...c->...", coefficients[..., :3], mu)
    return _box(coefficients, radius)


def guided_filter(
    guide: np.ndarray,
    source: np.ndarray,
    radius: int,
    eps: float,
    *,
    weight: np.ndarray | None = None,
    subsample: int = 1,
) -> np.ndarray:
    """Edge-preserving filter of ``source`` steered by the colours of ``guide``.

    =============  =======================================================
    ``guide``      float32 ``(H, W, 3)`` R'G'B' in [0, 1]
    ``source``     float32 ``(H, W)`` (a mask or matte)
    ``radius``     window radius ``r`` in pixels of ``guide`` (>= 1)
    ``eps``        regularisation ``ε`` (guide units squared; > 0)
    ``weight``     optional float32 ``(H, W)`` in [0, 1]: how much each pixel
                   votes for its windows' linear models (None: all equally)
    ``subsample``  estimate the coefficients at 1/``subsample`` resolution
    output         float32 ``(H, W)``, not clipped
    =============  =======================================================

    >>> frame = np.zeros((32, 32, 3), np.float32); frame[:, 16:] = 1.0  # a sharp edge
    >>> coarse = np.zeros((32, 32), np.float32); coarse[:, 13:] = 1.0   # a mask 3 px off
    >>> q = guided_filter(frame, coarse, 4, 1e-4)
    >>> int(np.argmax(np.diff(q[16]))) + 1  # the filtered mask steps where the image does
    16
    """
    _check_settings(radius, eps, subsample)
    p = as_matte(source, "source")
    image = as_guide(guide, p.shape, "guide")
    coefficients = _full_coefficients(image, p, weight, radius, eps, subsample)
    q = np.einsum("...c,...c->...", coefficients[..., :3], image)
    q += coefficients[..., 3]
    return q


def _full_coefficients(
    image: np.ndarray,
    p: np.ndarray,
    weight: np.ndarray | None,
    radius: int,
    eps: float,
    subsample: int,
    at: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Eq. (19)-(21)'s averaged (a, b) at the guide's full size, float32 (H, W, 4) — or,
    given pixel positions ``at`` (rows, columns), at those pixels only, (N, 4)."""
    height, width = p.shape
    w = None if weight is None else as_matte(weight, "weight")
    if subsample == 1:
        full = _coefficients(image, p, w, radius, eps)
        return full if at is None else full[at]
    small = (max(1, round(width / subsample)), max(1, round(height / subsample)))
    image_s = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
    p_s = cv2.resize(p, small, interpolation=cv2.INTER_AREA)
    w_s = None if w is None else cv2.resize(w, small, interpolation=cv2.INTER_AREA)
    coefficients = _coefficients(image_s, p_s, w_s, max(1, round(radius / subsample)), eps)
    if at is None:
        return cv2.resize(coefficients, (width, height), interpolation=cv2.INTER_LINEAR)
    # Bilinear upsampling evaluated at the wanted pixels only (same pixel-centre mapping
    # as cv2.resize).
    rows, cols = at
    count = rows.size
    # cv2.remap takes maps under 32767 on a side: lay the points out in rows of 1024.
    padded = -(-count // _REMAP_ROW) * _REMAP_ROW
    map_x = np.zeros(padded, np.float32)
    map_y = np.zeros(padded, np.float32)
    map_x[:count] = (cols + 0.5) * (small[0] / width) - 0.5
    map_y[:count] = (rows + 0.5) * (small[1] / height) - 0.5
    sampled = cv2.remap(
        coefficients,
        map_x.reshape(-1, _REMAP_ROW),
        map_y.reshape(-1, _REMAP_ROW),
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(sampled, dtype=np.float32).reshape(-1, 4)[:count]


def guided_feathering(
    frame: np.ndarray,
    alpha: np.ndarray,
    trimap: np.ndarray,
    radius: int,
    eps: float,
    *,
    weight: np.ndarray | None = None,
    subsample: int = 1,
) -> np.ndarray:
    """Soft matte: the guided filter of ``alpha`` in the trimap's unknown band, clipped.

    =============  =======================================================
    ``frame``      float32 ``(H, W, 3)`` R'G'B' in [0, 1] (the guide)
    ``alpha``      float32 ``(H, W)`` coarse mask or matte in [0, 1]
    ``trimap``     uint8 ``(H, W)`` from :func:`trimap_morphology`
    output         float32 ``(H, W)`` in [0, 1]: 1 on sure subject, 0 on sure
                   background, the filtered alpha in between
    =============  =======================================================

    >>> frame = np.zeros((32, 32, 3), np.float32); frame[:, 16:] = 1.0
    >>> coarse = np.zeros((32, 32), np.float32); coarse[:, 14:] = 1.0
    >>> from reelgraph.algorithms.roto.trimap_morphology_xu2017 import trimap_morphology
    >>> matte = guided_feathering(frame, coarse, trimap_morphology(coarse, 4), 4, 1e-4)
    >>> int(np.argmax(np.diff(matte[5]))) + 1, float(matte.min()), float(matte.max())
    (16, 0.0, 1.0)
    """
    matte = as_matte(alpha)
    if trimap.shape != matte.shape:
        raise AlgorithmError(
            f"trimap {trimap.shape} does not match the matte {matte.shape}",
            hint="make the trimap from the same mask (trimap_morphology)",
        )
    _check_settings(radius, eps, subsample)
    image = as_guide(frame, matte.shape, "frame")
    out = (trimap == TRIMAP_FOREGROUND).astype(np.float32)
    rows, cols = np.nonzero(trimap == TRIMAP_UNKNOWN)
    band = (rows, cols)
    if rows.size:
        # The filter's output is only needed in the band (a few % of a frame).
        at = _full_coefficients(image, matte, weight, radius, eps, subsample, at=band)
        q = np.einsum("nc,nc->n", at[:, :3], image[band]) + at[:, 3]
        out[band] = np.clip(q, 0.0, 1.0)
    return out
