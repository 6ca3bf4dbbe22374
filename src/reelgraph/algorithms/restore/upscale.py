"""Upscaling dispatcher.

=============  =====================================================================
method         what runs
=============  =====================================================================
``lanczos``    :mod:`.upscale_lanczos_duchon1979` (windowed sinc, the baseline)
``dcci``       :mod:`.upscale_dcci_zhou2012` then ``back_projection`` iterations of
               :mod:`.backprojection_irani1991` (default 2; 0 = DCCI alone)
``onnx``       :mod:`.upscale_onnx` with a loaded ``model`` (the studio's network)
=============  =====================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from reelgraph.algorithms.restore._dispatch import check_options, pick_method
from reelgraph.algorithms.restore.backprojection_irani1991 import (
    BACK_PROJECTION_ITERATIONS,
    back_project_irani1991,
)
from reelgraph.algorithms.restore.upscale_dcci_zhou2012 import upscale_dcci_zhou2012
from reelgraph.algorithms.restore.upscale_lanczos_duchon1979 import upscale_lanczos_duchon1979
from reelgraph.algorithms.restore.upscale_onnx import OVERLAP, TILE, OnnxUpscaler, upscale_onnx
from reelgraph.errors import AlgorithmError

__all__ = ["DEFAULT_UPSCALE_METHOD", "UPSCALE_METHODS", "upscale"]

#: The method the dispatcher and the default chain use.
DEFAULT_UPSCALE_METHOD = "dcci"


def _lanczos(frame: np.ndarray, *, factor: int) -> np.ndarray:
    return upscale_lanczos_duchon1979(frame, factor=factor)


def _dcci(
    frame: np.ndarray,
    *,
    factor: int,
    back_projection: int = BACK_PROJECTION_ITERATIONS,
    threshold: float = 1.15,
    exponent: float = 5.0,
) -> np.ndarray:
    out = upscale_dcci_zhou2012(frame, factor=factor, threshold=threshold, exponent=exponent)
    if back_projection > 0:
        out = back_project_irani1991(out, frame, iterations=back_projection)
    return out


def _onnx(
    frame: np.ndarray,
    *,
    factor: int,
    model: OnnxUpscaler | None = None,
    tile: int = TILE,
    overlap: int = OVERLAP,
) -> np.ndarray:
    if model is None:
        raise AlgorithmError(
            "method 'onnx' needs options={'model': load_onnx_upscaler(path)}",
            hint="set the studio model path in brief.yaml",
        )
    if model.scale != factor:
        raise AlgorithmError(
            f"the ONNX model upscales x{model.scale}, x{factor} was asked",
            hint=f"ask for factor={model.scale} or supply a x{factor} model",
        )
    return upscale_onnx(frame, model, tile=tile, overlap=overlap)


#: Method name -> function(frame, *, factor, **options).
UPSCALE_METHODS: Mapping[str, Callable[..., np.ndarray]] = {
    "lanczos": _lanczos,
    "dcci": _dcci,
    "onnx": _onnx,
}


def upscale(
    frame: np.ndarray,
    *,
    factor: int = 2,
    method: str = DEFAULT_UPSCALE_METHOD,
    options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Upscale a frame by ``factor`` (2 or 4 for ``dcci``; the model's for ``onnx``).

    ===========  ======================================================
    ``frame``    float32 ``(H, W, 3)``, R'G'B' in [0, 1]
    ``factor``   integer scale
    ``method``   ``"dcci"`` (default), ``"lanczos"`` or ``"onnx"``
    ``options``  keyword options of the method (see the module table)
    output       float32 ``(factor H, factor W, 3)``
    ===========  ======================================================

    >>> upscale(np.full((4, 6, 3), 0.5, np.float32), factor=2).shape
    (8, 12, 3)
    """
    function = pick_method("upscale", UPSCALE_METHODS, method)
    extra = check_options(function, options, reserved=("factor",))
    return function(frame, factor=factor, **extra)
