"""Run a studio-supplied ONNX super-resolution model, tiled with feathered overlap.

Reference
    ONNX Runtime (https://onnxruntime.ai) executes the model; tiling with overlapping,
    feather-blended tiles is the standard way to run convolutional super-resolution on
    frames larger than memory allows (e.g. Wang et al., "Real-ESRGAN", ICCVW 2021,
    inference with ``--tile``/``tile_pad``). Within a tile, outputs near a tile edge see
    zero padding instead of image, so the blend gives them no weight: each tile keeps
    its side of the overlap and the two are cross-faded linearly over its middle sixth.
    When the overlap exceeds twice the model's receptive-field radius by that sixth, no
    weighted output sees a tile edge and the tiled result equals the untiled one to
    float precision.

Model contract (checked when loaded, with a hint when not met): one input and one
output, both 4-D float NCHW with 3 channels, RGB, values in [0, ``value_scale``]; the
output is an integer multiple (1-8) of the input in height and width (found by running
a small probe tile). Dynamic spatial sizes are used at ``tile`` pixels; a model with a
fixed input size forces that tile size.

Loading reads the model file (``str``/path) or takes its bytes; agents that keep the
algorithm layer free of I/O read the bytes themselves and pass them in. The execution
provider is explicit: ``device="cuda"`` fails with a hint when CUDA is not available
rather than silently running on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reelgraph.algorithms.restore._checks import as_frame
from reelgraph.errors import AlgorithmError

__all__ = ["OVERLAP", "TILE", "OnnxUpscaler", "upscale_onnx"]

#: Input tile side: large enough that the overlap costs little (±10 % more pixels at
#: 512/48), small enough that a tile's activations stay in a few tens of MB.
TILE = 512
#: Input pixels shared by neighbouring tiles: twice the shipped restorer's receptive-field
#: radius (19 pixels) plus the cross-fade, so tiled output equals untiled.
OVERLAP = 48


@dataclass(frozen=True)
class OnnxUpscaler:
    """A loaded and validated ONNX upscaling model (loaded by
    :func:`reelgraph.media.models.load_onnx_upscaler`: model files are media, not maths)."""

    session: Any
    """The ``onnxruntime.InferenceSession``."""
    input_name: str
    """Name of the model's image input."""
    output_name: str
    """Name of the model's image output."""
    scale: int
    """Integer upscaling factor of the model."""
    fixed_size: tuple[int, int] | None
    """(height, width) when the model only accepts one input size, else None."""
    dtype: Any
    """numpy dtype of the input tensor (float32 or float16)."""
    provider: str
    """Execution provider used (recorded by the agent)."""
    value_scale: float
    """Input values are multiplied by this, outputs divided (255 for 0-255 models)."""


def _balanced_tile(length: int, tile: int, overlap: int) -> int:
    """The even tile side, at most ``tile``, that covers ``length`` in the fewest tiles
    with no more overlap than asked beyond rounding (a fixed 512 over 540 rows would run
    two 512-row tiles: nearly twice the work of two 294-row ones)."""
    if length <= tile:
        return length
    count = -(-(length - overlap) // (tile - overlap))
    side = -(-(length + (count - 1) * overlap) // count)
    return min(tile, side + side % 2)


def _tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


def _feather(length: int, margin: int, ramp: int, ramp_start: bool, ramp_end: bool) -> np.ndarray:
    """1-D blend weights: 0 over ``margin``, linear over ``ramp``, 1 inside."""
    x = np.arange(length, dtype=np.float32)
    weight = np.ones(length, dtype=np.float32)
    if ramp_start:
        weight = np.minimum(weight, np.clip((x - margin + 0.5) / ramp, 0.0, 1.0))
    if ramp_end:
        weight = np.minimum(weight, np.clip((length - x - margin - 0.5) / ramp, 0.0, 1.0))
    return weight


def upscale_onnx(
    frame: np.ndarray,
    model: OnnxUpscaler,
    *,
    tile: int = TILE,
    overlap: int = OVERLAP,
) -> np.ndarray:
    """Upscale a frame with a loaded ONNX model, tile by tile with feathered overlap.

    ===========  ======================================================
    input        ``frame``: float32 ``(H, W, 3)``, R'G'B' in [0, 1]
    ``model``    from :func:`load_onnx_upscaler`
    ``tile``     input tile side in pixels (ignored for fixed-size models)
    ``overlap``  input pixels shared by neighbouring tiles; set it above
                 twice the model's receptive-field radius
    output       float32 ``(s H, s W, 3)`` with s = ``model.scale``; values
                 as the model produces them (not clipped)
    ===========  ======================================================

    Frames are padded by edge replication to even sides (models that work on 2×2 pixel
    blocks, like the shipped restorer, need them; tiles then start on even pixels, so the
    blocks line up in every tile), and to the tile of a fixed-size model, and cropped back;
    a side shorter than a tile is run as one.
    """
    rgb = as_frame(frame)
    if not isinstance(model, OnnxUpscaler):
        raise AlgorithmError(
            "model must be an OnnxUpscaler", hint="load it with load_onnx_upscaler(path)"
        )
    tile_h, tile_w = model.fixed_size or (int(tile), int(tile))
    if min(tile_h, tile_w) < 8 or (model.fixed_size is None and (tile % 2 or overlap % 2)):
        raise AlgorithmError(
            f"tile {tile!r} and overlap {overlap!r} must be even and the tile >= 8 pixels",
            hint=f"e.g. tile={TILE}, overlap={OVERLAP}",
        )
    if not 0 <= overlap < min(tile_h, tile_w) // 2:
        raise AlgorithmError(
            f"overlap must be in [0, tile/2), got {overlap!r}",
            hint=f"e.g. tile={TILE}, overlap={OVERLAP}",
        )
    height, width = rgb.shape[:2]
    if model.fixed_size is None:  # as few, and as small, tiles as cover the frame
        tile_h = _balanced_tile(height + height % 2, tile_h, overlap)
        tile_w = _balanced_tile(width + width % 2, tile_w, overlap)
    pad_h, pad_w = max(height % 2, tile_h - height), max(width % 2, tile_w - width)
    if pad_h or pad_w:
        rgb = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    full_h, full_w = rgb.shape[:2]
    s = model.scale
    chw = np.ascontiguousarray(rgb.transpose(2, 0, 1)) * np.float32(model.value_scale)
    out = np.zeros((3, full_h * s, full_w * s), dtype=np.float32)
    weights = np.zeros((full_h * s, full_w * s), dtype=np.float32)
    ramp = max(1, (overlap * s) // 6)
    margin = (overlap * s - ramp) // 2
    ys, xs = _tile_starts(full_h, tile_h, overlap), _tile_starts(full_w, tile_w, overlap)
    for y0 in ys:
        wy = _feather(tile_h * s, margin, ramp, y0 > 0, y0 + tile_h < full_h)
        for x0 in xs:
            wx = _feather(tile_w * s, margin, ramp, x0 > 0, x0 + tile_w < full_w)
            patch = chw[None, :, y0 : y0 + tile_h, x0 : x0 + tile_w].astype(model.dtype)
            result = model.session.run([model.output_name], {model.input_name: patch})[0]
            if result.shape != (1, 3, tile_h * s, tile_w * s):
                raise AlgorithmError(
                    f"model returned {result.shape} for tile {patch.shape}",
                    hint="the model's scale must not depend on the input size",
                )
            weight = wy[:, None] * wx[None, :]
            ys_out = slice(y0 * s, (y0 + tile_h) * s)
            xs_out = slice(x0 * s, (x0 + tile_w) * s)
            out[:, ys_out, xs_out] += result[0].astype(np.float32) * weight
            weights[ys_out, xs_out] += weight
    out /= np.maximum(weights, 1e-12)
    out *= np.float32(1.0 / model.value_scale)
    image = out.transpose(1, 2, 0)[: height * s, : width * s]
    return np.ascontiguousarray(image, dtype=np.float32)
