"""Temporal stability of a matte: carry the previous frame's alpha forward along the
optical flow and fuse it with the new frame's guess, trusting it where the motion is sure.

Reference
    X. Bai, J. Wang, D. Simons and G. Sapiro, "Video SnapCut: Robust Video Object Cutout
    Using Localized Classifiers", *ACM SIGGRAPH* 2009, Sec. 3-4: the previous frame's
    cut-out is warped to the new frame by the estimated motion and serves as a shape
    prior; each pixel's result is a confidence-weighted blend of that prior and a new,
    frame-local estimate (Eq. 2-3, ``p = f_s x_s + (1 − f_s) p_c``). Here the shape
    confidence ``f_s`` is the forward-backward consistency of the flow (N. Sundaram,
    T. Brox and K. Keutzer, *ECCV* 2010, Eq. 5; see
    :func:`reelgraph.algorithms.restore.flow_dis_kroeger2016.consistency_weight`) times a
    fixed memory; the frame-local estimate is the model's mask, or nothing in a
    keyframe-only shot (then the warped prior is the whole estimate and the unsure
    pixels are re-solved from colour by the caller).

The flows may be estimated at a lower resolution than the matte; they are resized and
their vectors scaled.
"""

from __future__ import annotations

import cv2
import numpy as np

from reelgraph.algorithms.restore.flow_dis_kroeger2016 import consistency_weight, warp_by_flow
from reelgraph.algorithms.roto._checks import as_matte
from reelgraph.errors import AlgorithmError

__all__ = ["fuse_alpha", "propagate_alpha"]


def propagate_alpha(
    alpha_prev: np.ndarray,
    flow_back: np.ndarray,
    flow_forward: np.ndarray,
    *,
    tolerance: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """The previous matte warped onto the current frame, and how sure each pixel is.

    ================  ======================================================
    ``alpha_prev``    float32 ``(H, W)`` matte of frame t−1, in [0, 1]
    ``flow_back``     float32 ``(h, w, 2)`` flow from frame t to frame t−1
    ``flow_forward``  float32 ``(h, w, 2)`` flow from frame t−1 to frame t
    ``tolerance``     round-trip error (pixels of the flow grid) at which
                      the confidence falls to ``exp(-1/2)``
    output            (warped float32 ``(H, W)`` in [0, 1], confidence
                      float32 ``(H, W)`` in [0, 1]; 0 where the pixel came
                      from outside the previous frame)
    ================  ======================================================

    >>> alpha = np.zeros((32, 48), np.float32); alpha[8:24, 10:20] = 1
    >>> flow = np.zeros((32, 48, 2), np.float32); flow[..., 0] = -3  # content moved 3 px right
    >>> warped, sure = propagate_alpha(alpha, flow, -flow)
    >>> [int(v) for v in warped[16, 11:25]]
    [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    >>> float(sure[16, 20]), float(sure[16, 1])  # the left edge came from outside the frame
    (1.0, 0.0)
    """
    matte = as_matte(alpha_prev, "alpha_prev")
    if flow_back.shape != flow_forward.shape or flow_back.ndim != 3 or flow_back.shape[2] != 2:
        raise AlgorithmError(
            f"flows of shapes {flow_back.shape} and {flow_forward.shape}",
            hint="pass two (h, w, 2) flows of one size, t→t−1 and t−1→t",
        )
    height, width = matte.shape
    warped, inside = warp_by_flow(matte, flow_back, interpolation=cv2.INTER_LINEAR)
    sure = consistency_weight(flow_back, flow_forward, tolerance=tolerance)
    if sure.shape != matte.shape:
        sure = cv2.resize(sure, (width, height), interpolation=cv2.INTER_LINEAR)
    sure = sure * inside
    warped = np.where(inside, warped, np.float32(0.0))
    return np.clip(warped, 0.0, 1.0).astype(np.float32), sure.astype(np.float32)


def fuse_alpha(
    warped: np.ndarray, confidence: np.ndarray, guess: np.ndarray | None, *, memory: float
) -> np.ndarray:
    """Blend the propagated matte with a new guess: ``f = memory · confidence``,
    ``alpha = f · warped + (1 − f) · guess`` (Bai et al. 2009, Eq. 3).

    ==============  ====================================================
    ``warped``      float32 ``(H, W)`` from :func:`propagate_alpha`
    ``confidence``  float32 ``(H, W)`` in [0, 1] from the same
    ``guess``       float32 ``(H, W)`` new estimate in [0, 1], or None
                    (keyframe only: the warped matte is returned as is)
    ``memory``      weight of the past where the motion is sure, [0, 1]
    output          float32 ``(H, W)`` in [0, 1]
    ==============  ====================================================

    >>> fused = fuse_alpha(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32),
    ...                    np.zeros((2, 2), np.float32), memory=0.75)
    >>> float(fused[0, 0])
    0.75
    """
    if not 0.0 <= memory <= 1.0:
        raise AlgorithmError(f"temporal memory {memory}", hint="use a weight in [0, 1]")
    past = as_matte(warped, "warped")
    if guess is None:
        return past
    new = as_matte(guess, "guess")
    weight = np.float32(memory) * as_matte(confidence, "confidence")
    return (new + weight * (past - new)).astype(np.float32)
