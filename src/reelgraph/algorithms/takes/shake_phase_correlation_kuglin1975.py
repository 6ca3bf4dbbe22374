"""Camera shake: the jitter of the global motion path, measured by phase correlation.

References: C. D. Kuglin and D. C. Hines, "The phase correlation image alignment method",
*Proc. IEEE Conf. Cybernetics and Society*, 1975 (the translation between two frames is
the peak of the inverse transform of their normalised cross-power spectrum; OpenCV's
``phaseCorrelate`` with a Hann window, sub-pixel); M. Grundmann, V. Kwatra and I. Essa,
"Auto-directed video stabilization with robust L1 optimal camera paths", *CVPR* 2011, §3:
an intended camera path is smooth, shake is what a smooth path leaves over. Here the path
is the running sum of the frame-to-frame shifts, the intended path its moving average over
``window`` frames, and the jitter the RMS distance between the two, in pixels of the
analysed frame size. A pan or a dolly has a smooth path and little jitter; a handheld
wobble or a knocked tripod has a lot.

=============  =========================  =======================================
input          dtype, shape               domain
=============  =========================  =======================================
``a, b``       float32 ``(H, W)``         luma of consecutive frames, same size
``shifts``     float ``(n, 2)``           frame-to-frame (dx, dy) in pixels
returns        float                      jitter, pixels RMS (≥ 0)
=============  =========================  =======================================

>>> import numpy as np
>>> steady = np.tile([[2.0, 0.0]], (30, 1))              # a smooth pan
>>> camera_jitter(steady) < 0.01
True
>>> wobble = np.array([[3.0 * (-1) ** k, 0.0] for k in range(30)])
>>> camera_jitter(wobble) > 1.0
True
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.errors import AlgorithmError

__all__ = ["camera_jitter", "frame_shift"]


def frame_shift(a: NDArray[np.float32], b: NDArray[np.float32]) -> tuple[float, float]:
    """Global translation (dx, dy) from frame ``a`` to frame ``b``, pixels."""
    if a.shape != b.shape or a.ndim != 2 or a.dtype != np.float32 or b.dtype != np.float32:
        raise AlgorithmError("frames must be float32 (H, W) planes of one size")
    window = cv2.createHanningWindow((a.shape[1], a.shape[0]), cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(a, b, window)
    return float(dx), float(dy)


def camera_jitter(shifts: ArrayLike, window: int = 9) -> float:
    """RMS distance (pixels) between the motion path and its moving average."""
    d = np.asarray(shifts, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] != 2:
        raise AlgorithmError(f"shifts must have shape (n, 2), got {d.shape}")
    d = d[np.all(np.isfinite(d), axis=1)]
    if len(d) < 2:
        return 0.0
    path = np.cumsum(d, axis=0)
    k = max(1, min(window, len(path)))
    kernel = np.ones(k) / k
    # Odd reflection continues a straight path straight, so a steady pan has no jitter.
    padded = np.pad(path, ((k // 2, k - 1 - k // 2), (0, 0)), mode="reflect", reflect_type="odd")
    smooth = np.stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(2)], 1)
    return float(np.sqrt(np.mean(np.sum((path - smooth) ** 2, axis=1))))
