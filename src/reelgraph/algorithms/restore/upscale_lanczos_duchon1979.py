"""Windowed-sinc (Lanczos) upscaling: the baseline every other upscaler is compared with.

Reference
    C. E. Duchon, "Lanczos filtering in one and two dimensions", *Journal of Applied
    Meteorology* 18(8), 1979, pp. 1016-1022 — the sinc kernel windowed by a wider sinc,
    ``L(x) = sinc(x) sinc(x / a)`` for ``|x| < a``.

Computed by ``cv2.resize(..., interpolation=cv2.INTER_LANCZOS4)``, which is Lanczos with
``a = 4`` (an 8x8 support). OpenCV has no ``a = 3`` kernel; FFmpeg's ``flags=lanczos``
uses ``a = 3`` by default, so the two baselines differ slightly (``a = 4`` is a little
sharper and rings a little more).
"""

from __future__ import annotations

import cv2
import numpy as np

from reelgraph.algorithms.restore._checks import as_frame
from reelgraph.errors import AlgorithmError

__all__ = ["upscale_lanczos_duchon1979"]


def upscale_lanczos_duchon1979(frame: np.ndarray, *, factor: int = 2) -> np.ndarray:
    """Upscale by an integer factor with a Lanczos (a = 4) kernel, centre-aligned.

    ==========  ======================================================
    input       ``frame``: float32 ``(H, W, 3)``, R'G'B' in [0, 1]
    ``factor``  integer 2-8
    output      float32 ``(factor H, factor W, 3)``, clipped to [0, 1]
                (the kernel's ringing overshoots at edges)
    ==========  ======================================================

    >>> upscale_lanczos_duchon1979(np.full((3, 5, 3), 0.5, np.float32), factor=2).shape
    (6, 10, 3)
    """
    if int(factor) != factor or not 2 <= int(factor) <= 8:
        raise AlgorithmError(f"factor must be an integer in 2..8, got {factor!r}")
    rgb = as_frame(frame)
    height, width = rgb.shape[:2]
    out = cv2.resize(
        rgb, (width * int(factor), height * int(factor)), interpolation=cv2.INTER_LANCZOS4
    )
    return np.clip(out, 0.0, 1.0, out=out)
