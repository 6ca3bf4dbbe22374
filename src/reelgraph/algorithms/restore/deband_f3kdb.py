"""Debanding of 8-bit gradients by random reference sampling, with dither.

Reference
    flash3kyuu_deband (f3kdb, SAPikachu, 2011-2013, MIT licence), "sample_mode 2", as
    ported to FFmpeg's ``deband`` filter (``libavfilter/vf_deband.c``, options ``range``,
    ``direction``, ``blur``, ``coupling``): for every pixel a random direction and
    distance (up to ``range``) pick four reference pixels at ``(±dx, ±dy)``; their mean
    replaces the pixel when it is within ``threshold`` of it (``blur`` mode). A band edge
    is one code value high, so the mean across it is within threshold and the step is
    replaced by a smooth blend; real edges and texture exceed the threshold and are kept.
    f3kdb then adds a small grain (``grainY``/``grainC``) to the processed pixels so the
    new fractional values survive later rounding.

Here: R'G'B' float frames; the decision is coupled over the three channels (FFmpeg's
``coupling=1``: all must pass) so hue never shifts; the dither is seeded Gaussian noise
of ``dither`` sigma added only where a pixel was replaced; random offsets and dither come
from one seeded generator and stay the same on every frame (a static pattern, so static
regions do not flicker). Output is float, meant for 10-bit or float delivery.
"""

from __future__ import annotations

import cv2
import numpy as np

from reelgraph.algorithms.restore._checks import as_frame, check_non_negative
from reelgraph.errors import AlgorithmError

__all__ = ["deband_f3kdb"]


def deband_f3kdb(
    frame: np.ndarray,
    *,
    threshold: float = 3.0 / 255.0,
    radius: int = 16,
    dither: float = 0.25 / 255.0,
    seed: int = 0,
) -> np.ndarray:
    """Remove banding from smooth gradients and add a fine dither.

    =============  =====================================================
    input          ``frame``: float32 ``(H, W, 3)``, R'G'B' in [0, 1]
    ``threshold``  largest |pixel - mean of references| replaced, frame
                   units (3/255: three 8-bit codes)
    ``radius``     largest reference distance in pixels (FFmpeg ``range``);
                   scale with resolution (16 at 1080p)
    ``dither``     sigma of the Gaussian dither on replaced pixels, frame
                   units (0 = none); the default is about one 10-bit code
    ``seed``       seed of the reference offsets and the dither pattern
    output         float32 ``(H, W, 3)`` in [0, 1]
    =============  =====================================================

    >>> ramp = np.linspace(0.3, 0.36, 256, dtype=np.float32)
    >>> smooth = np.repeat(np.tile(ramp, (64, 1))[..., None], 3, axis=2)
    >>> banded = np.round(smooth * 255) / 255
    >>> out = deband_f3kdb(banded, dither=0.0)
    >>> bool(np.abs(out - smooth).mean() < 0.75 * np.abs(banded - smooth).mean())
    True
    """
    rgb = as_frame(frame)
    threshold = check_non_negative(threshold, "threshold")
    dither = check_non_negative(dither, "dither")
    if int(radius) < 1:
        raise AlgorithmError(f"radius must be >= 1, got {radius!r}")
    if int(seed) < 0:
        raise AlgorithmError(f"seed must be >= 0, got {seed!r}")
    height, width = rgb.shape[:2]
    rng = np.random.default_rng(int(seed))
    # Per-pixel random direction and distance (vf_deband.c init: dir, dist).
    direction = rng.uniform(0.0, 2.0 * np.pi, (height, width)).astype(np.float32)
    distance = rng.uniform(0.0, float(radius), (height, width)).astype(np.float32)
    dx = np.rint(np.cos(direction) * distance)
    dy = np.rint(np.sin(direction) * distance)
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )

    def reference(sx: int, sy: int) -> np.ndarray:
        map_x = np.clip(grid_x + sx * dx, 0, width - 1)
        map_y = np.clip(grid_y + sy * dy, 0, height - 1)
        return cv2.remap(rgb, map_x, map_y, interpolation=cv2.INTER_NEAREST)

    mean = (reference(1, 1) + reference(-1, 1) + reference(-1, -1) + reference(1, -1)) * 0.25
    # blur mode with coupling: replace when every channel is within threshold of the mean.
    replace = (np.abs(rgb - mean).max(axis=2) < threshold)[..., None]
    out = np.where(replace, mean, rgb)
    if dither > 0.0:
        noise = rng.standard_normal((height, width, 3), dtype=np.float32) * np.float32(dither)
        out += noise * replace
    return np.clip(out, 0.0, 1.0, out=out)
