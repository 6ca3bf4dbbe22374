"""Sharpness as one minus the perceptual blur effect of Crété-Roffet et al.

Reference: F. Crété-Roffet, T. Dolmiere, P. Ladret and M. Nicolas, "The blur effect:
perception and estimation with a new no-reference perceptual blur metric", *Proc. SPIE*
6492, Human Vision and Electronic Imaging XII, 2007: the picture is blurred again with an
``h_size`` box along each axis; a sharp picture loses much of its neighbour-to-neighbour
variation, a blurred one little. The blur is ``(ΣD_F − ΣV) / ΣD_F`` per axis (eqs. 1–5),
the worse axis taken, in [0, 1]; sharpness here is ``1 − blur``. Sums of absolute
differences scale with a gain on the picture, so the figure is blind to exposure changes
that do not clip. Computed by scikit-image's ``skimage.measure.blur_effect`` (the
reference implementation of this paper in a maintained library).

Clipped highlights and crushed shadows carry no detail, and the hard edge a clip makes
reads as sharp: callers weigh the figure by the share of the picture that is neither.

=============  ======================  ==========================================
input          dtype, shape            domain
=============  ======================  ==========================================
``luma``       float32 ``(H, W)``      ``Y′`` in [0, 1], H, W ≥ 2; finite
``box``        (x, y, w, h) or None    region to measure (default: whole frame)
returns        float                   sharpness in [0, 1] (1 = sharpest)
=============  ======================  ==========================================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> texture = rng.random((64, 64)).astype(np.float32)
>>> import cv2
>>> sharpness(texture) > sharpness(cv2.GaussianBlur(texture, (0, 0), 2.0))
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from skimage.measure import blur_effect

from reelgraph.errors import AlgorithmError

__all__ = ["sharpness"]

#: Re-blur box size (pixels), the paper's and scikit-image's default.
H_SIZE = 11


def sharpness(luma: NDArray[np.float32], box: tuple[int, int, int, int] | None = None) -> float:
    """``1 − blur effect`` of the frame or of ``box`` = (x, y, width, height)."""
    if not isinstance(luma, np.ndarray) or luma.ndim != 2:
        raise AlgorithmError("luma must be an (H, W) array")
    if box is not None:
        x, y, w, h = box
        luma = luma[max(0, y) : y + h, max(0, x) : x + w]
    if luma.shape[0] < 2 or luma.shape[1] < 2:
        raise AlgorithmError(f"need at least 2×2 pixels, got {luma.shape}")
    if not np.isfinite(float(luma.sum())):
        raise AlgorithmError("luma contains NaN or infinite values")
    if float(luma.max()) - float(luma.min()) < 1e-6:
        return 0.0  # a flat picture has no detail to be sharp
    return float(1.0 - blur_effect(luma, h_size=H_SIZE))
