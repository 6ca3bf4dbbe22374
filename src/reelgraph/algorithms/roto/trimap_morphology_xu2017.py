"""Trimap from a mask by erosion and dilation: sure subject, sure background, unknown band.

Reference
    N. Xu, B. Price, S. Cohen and T. Huang, "Deep Image Matting", *CVPR* 2017, Sec. 4:
    trimaps are made from a matte by dilating its unknown region with a disc; the same
    construction as J. Wang and M. Cohen, "Image and Video Matting: A Survey",
    *Foundations and Trends in Computer Graphics and Vision* 3(2), 2007, Sec. 2.1 (sure
    foreground ``F``, sure background ``B``, unknown ``U``). Here the mask's 0.5 contour
    is the boundary: ``F`` = the mask eroded by a disc of radius ``band``, ``B`` = the
    complement of the mask dilated by the same disc, ``U`` = the rest (a band of about
    ``2 band + 1`` pixels straddling the edge), plus any pixel the caller marks unsure.
"""

from __future__ import annotations

import cv2
import numpy as np

from reelgraph.algorithms.roto._checks import as_matte
from reelgraph.errors import AlgorithmError

__all__ = ["TRIMAP_BACKGROUND", "TRIMAP_FOREGROUND", "TRIMAP_UNKNOWN", "trimap_morphology"]

#: Trimap labels (uint8, as trimaps are stored as 8-bit images by convention).
TRIMAP_BACKGROUND = 0
TRIMAP_UNKNOWN = 128
TRIMAP_FOREGROUND = 255


def trimap_morphology(
    alpha: np.ndarray, band: int, *, unsure: np.ndarray | None = None
) -> np.ndarray:
    """Trimap of a (soft) mask with an unknown band of ``band`` pixels each side of its edge.

    ==========  ======================================================
    ``alpha``   float32 ``(H, W)`` mask or matte in [0, 1]
    ``band``    half-width of the unknown band in pixels (>= 1)
    ``unsure``  optional bool ``(H, W)``: pixels forced into the band
    output      uint8 ``(H, W)``: 0 background, 128 unknown, 255 subject
    ==========  ======================================================

    >>> mask = np.zeros((9, 9), np.float32); mask[2:7, 2:7] = 1
    >>> trimap = trimap_morphology(mask, 1)
    >>> [int(v) for v in trimap[4, :]]
    [0, 128, 128, 255, 255, 255, 128, 128, 0]
    """
    if band < 1:
        raise AlgorithmError(f"trimap band {band} px", hint="use a band of at least 1 pixel")
    matte = as_matte(alpha)
    inside = (matte >= 0.5).astype(np.uint8)
    # Erosion and dilation by a disc of radius ``band`` are thresholds of the Euclidean
    # distance to the other side (as fast at any band as a 3×3 erosion). The frame's
    # edge is not a boundary: a subject cut by it stays sure up to the edge.
    padded = cv2.copyMakeBorder(inside, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    to_outside = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_5)[1:-1, 1:-1]
    to_inside = cv2.distanceTransform(1 - padded, cv2.DIST_L2, cv2.DIST_MASK_5)[1:-1, 1:-1]
    trimap = np.full(matte.shape, TRIMAP_UNKNOWN, dtype=np.uint8)
    trimap[to_outside > band] = TRIMAP_FOREGROUND
    trimap[to_inside > band] = TRIMAP_BACKGROUND
    if unsure is not None:
        if unsure.shape != matte.shape:
            raise AlgorithmError(
                f"unsure mask {unsure.shape} does not match the matte {matte.shape}",
                hint="pass a bool mask of the matte's size",
            )
        trimap[unsure] = TRIMAP_UNKNOWN
    return trimap
