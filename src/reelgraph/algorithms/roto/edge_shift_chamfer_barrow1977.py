"""How far a matte's edge moved between two frames: the symmetric chamfer distance.

Reference
    H. G. Barrow, J. M. Tenenbaum, R. C. Bolles and H. C. Wolf, "Parametric
    Correspondence and Chamfer Matching: Two New Techniques for Image Matching",
    *IJCAI* 1977: the mean, over the edge pixels of one image, of the distance to the
    nearest edge pixel of the other, read from a distance transform. Here the edges are
    the 0.5 contours of two mattes (the boundary pixels of ``alpha >= 0.5``) and the
    distance is averaged both ways, so a matte's edge jitter can be set beside the
    subject's true motion measured the same way on the true mattes.
"""

from __future__ import annotations

import cv2
import numpy as np

from reelgraph.algorithms.roto._checks import as_matte
from reelgraph.errors import AlgorithmError

__all__ = ["edge_shift"]


def _edge(alpha: np.ndarray) -> np.ndarray:
    inside = (alpha >= 0.5).astype(np.uint8)
    return (inside - cv2.erode(inside, np.ones((3, 3), np.uint8))).astype(bool)


def edge_shift(alpha_a: np.ndarray, alpha_b: np.ndarray) -> float:
    """Mean distance in pixels between the 0.5 contours of two mattes (symmetric).

    ===========  ===============================================
    ``alpha_a``  float32 ``(H, W)`` matte in [0, 1]
    ``alpha_b``  float32 ``(H, W)`` matte in [0, 1], same size
    output       float pixels >= 0; NaN when either has no edge
                 (an empty or full matte)
    ===========  ===============================================

    >>> a = np.zeros((40, 40), np.float32); a[10:30, 10:30] = 1
    >>> b = np.zeros((40, 40), np.float32); b[10:30, 12:32] = 1  # moved 2 px right
    >>> round(edge_shift(a, b), 2)  # 2 px on the sides, 0 along most of top and bottom
    1.0
    """
    first, second = as_matte(alpha_a, "alpha_a"), as_matte(alpha_b, "alpha_b")
    if first.shape != second.shape:
        raise AlgorithmError(
            f"mattes of sizes {first.shape} and {second.shape}",
            hint="compare mattes of the same shot (one pixel grid)",
        )
    edge_a, edge_b = _edge(first), _edge(second)
    if not edge_a.any() or not edge_b.any():
        return float("nan")
    to_b = cv2.distanceTransform((~edge_b).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    to_a = cv2.distanceTransform((~edge_a).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return float(0.5 * (to_b[edge_a].mean() + to_a[edge_b].mean()))
