"""Denoising dispatcher: one entry point over the spatial and temporal methods.

==========  ============================================  ===============================
method      module                                        temporal window
==========  ============================================  ===============================
``nlmeans`` :mod:`.nlmeans_buades2005` (spatial NLM)       none (radius 0)
``mctf``    :mod:`.mctf_buades2016` (flow-compensated)    ``radius`` 2: up to 5 frames
``learned`` :mod:`.upscale_onnx` with a ×1 ``model``       none (radius 0)
            (reelgraph's restorer: deblocks, denoises
            and debands together; ``sigma`` unused)
==========  ============================================  ===============================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from reelgraph.algorithms.restore._dispatch import check_options, pick_method
from reelgraph.algorithms.restore.mctf_buades2016 import (
    MCTF_DEFAULT_RADIUS,
    denoise_mctf_buades2016,
)
from reelgraph.algorithms.restore.nlmeans_buades2005 import denoise_nlmeans_buades2005
from reelgraph.algorithms.restore.upscale_onnx import OnnxUpscaler, upscale_onnx
from reelgraph.errors import AlgorithmError

__all__ = [
    "DEFAULT_DENOISE_METHOD",
    "DENOISE_METHODS",
    "DENOISE_TEMPORAL_RADIUS",
    "denoise",
    "window_bounds",
]

#: The method the dispatcher and the default chain use.
DEFAULT_DENOISE_METHOD = "mctf"


def _learned(frame: np.ndarray, *, sigma: float, model: OnnxUpscaler | None = None) -> np.ndarray:
    if model is None or model.scale != 1:
        raise AlgorithmError(
            "method 'learned' needs options={'model': a x1 model}",
            hint="load it with reelgraph.media.models.load_onnx_upscaler(shipped_model("
            "'restore_x1'))",
        )
    return np.clip(upscale_onnx(frame, model), 0.0, 1.0)


#: Method name -> function.
DENOISE_METHODS: Mapping[str, Callable[..., np.ndarray]] = {
    "nlmeans": denoise_nlmeans_buades2005,
    "mctf": denoise_mctf_buades2016,
    "learned": _learned,
}
#: Method name -> neighbours needed on each side of the frame being restored.
DENOISE_TEMPORAL_RADIUS: Mapping[str, int] = {
    "nlmeans": 0,
    "mctf": MCTF_DEFAULT_RADIUS,
    "learned": 0,
}


def window_bounds(index: int, n_frames: int, radius: int) -> tuple[int, int]:
    """``(start, stop)`` of the temporal window of frame ``index`` in a clip of ``n_frames``.

    The window is ``[index - radius, index + radius]`` clipped to the clip; a chunk that
    carries ``radius`` frames of context on each side therefore gives its inner frames
    exactly the windows of a whole-clip run.

    >>> window_bounds(0, 10, 2), window_bounds(5, 10, 2), window_bounds(9, 10, 2)
    ((0, 3), (3, 8), (7, 10))
    """
    if n_frames < 1 or not 0 <= index < n_frames or radius < 0:
        raise AlgorithmError(f"no window for frame {index} of {n_frames} with radius {radius}")
    return max(0, index - radius), min(n_frames, index + radius + 1)


def denoise(
    frame_or_window: np.ndarray | Sequence[np.ndarray],
    *,
    sigma: float,
    method: str = DEFAULT_DENOISE_METHOD,
    centre: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Denoise a frame (spatial) or the centre of a temporal window.

    ===================  ==================================================
    ``frame_or_window``  float32 ``(H, W, 3)`` frame, or a sequence /
                         ``(T, H, W, 3)`` array of frames in time order
    ``sigma``            noise sigma, frame units
    ``method``           ``"mctf"`` (default), ``"nlmeans"`` or ``"learned"``
    ``centre``           index of the frame to restore in the window
                         (default: the middle one)
    ``options``          extra keyword options of the method's function
    output               float32 ``(H, W, 3)`` in [0, 1]
    ===================  ==================================================

    A spatial method given a window denoises its centre frame; a temporal method given
    a single frame works on a 1-frame window (spatial fallback).

    >>> frame = np.full((16, 16, 3), 0.5, np.float32)
    >>> denoise(frame, sigma=0.01, method="nlmeans").shape
    (16, 16, 3)
    """
    function = pick_method("denoise", DENOISE_METHODS, method)
    extra = check_options(function, options, reserved=("sigma",))
    if isinstance(frame_or_window, np.ndarray) and frame_or_window.ndim == 3:
        frames: list[np.ndarray] = [frame_or_window]
    else:
        frames = list(frame_or_window)
    if not frames:
        raise AlgorithmError("empty window", hint="pass at least the frame to restore")
    index = len(frames) // 2 if centre is None else int(centre)
    if not -len(frames) <= index < len(frames):
        raise AlgorithmError(f"centre {index} is outside a window of {len(frames)} frames")
    if DENOISE_TEMPORAL_RADIUS[method] == 0:
        return function(frames[index], sigma=sigma, **extra)
    return function(frames, index, sigma=sigma, **extra)
