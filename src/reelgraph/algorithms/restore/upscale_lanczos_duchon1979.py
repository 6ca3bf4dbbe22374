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

__all__ = ["fit_lanczos_duchon1979", "upscale_lanczos_duchon1979"]


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


def fit_lanczos_duchon1979(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to fit inside ``width`` × ``height`` keeping the aspect ratio (Lanczos, a = 4),
    centred, the rest padded with black (letterbox or pillarbox); even picture sizes, so
    4:2:0 chroma is never split.

    ===========  ======================================================
    input        ``frame``: float32 ``(H, W, 3)``, R'G'B'
    output       float32 ``(height, width, 3)``; the frame itself when it already
                 has that size, else clipped to [0, 1]
    ===========  ======================================================

    >>> fit_lanczos_duchon1979(np.full((4, 8, 3), 0.5, np.float32), 8, 8)[:, 0, 0].tolist()
    [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0]
    """
    h, w = frame.shape[:2]
    if (w, h) == (width, height):
        return frame
    scale = min(width / w, height / h)
    new_w, new_h = max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2)
    scaled = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LANCZOS4)
    out = np.zeros((height, width, 3), np.float32)
    y, x = (height - new_h) // 2, (width - new_w) // 2
    out[y : y + new_h, x : x + new_w] = np.clip(scaled, 0.0, 1.0)
    return out
