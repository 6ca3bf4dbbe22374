"""3D LUTs: bake a colour function on a 33³ grid, apply it (tetrahedral, as FFmpeg's
``lut3d=interp=tetrahedral`` and most grading systems do), write it as Resolve/Adobe
``.cube`` through colour-science.

A decision (continuity CDL, residual, look) is always rendered through its baked LUT, so the
exported ``.cube`` is exactly what reelgraph applied, not an approximation of it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import colour
import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour.asc_cdl import CDL
from reelgraph.algorithms.colour.asc_cdl import FORMATS as CDL_FORMATS
from reelgraph.errors import MediaError

#: Grid points per axis of every 3D LUT written (the size grading systems expect).
LUT_SIZE = 33

Array = npt.NDArray[np.float32]


def grid(size: int = LUT_SIZE) -> Array:
    """The (size, size, size, 3) input grid, indexed [r, g, b], in [0, 1]."""
    axis = np.linspace(0.0, 1.0, size, dtype=np.float32)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    return np.stack([r, g, b], axis=-1)


def bake(function: Callable[[Array], Array], size: int = LUT_SIZE) -> Array:
    """``function`` (encoded R'G'B' (N, 3) → encoded R'G'B' (N, 3)) sampled on the grid;
    outputs are clipped to [0, 1] (what an encoded video file can hold)."""
    points = grid(size).reshape(-1, 3)
    table = np.asarray(function(points), np.float32).reshape(size, size, size, 3)
    return np.clip(np.nan_to_num(table, nan=0.0), 0.0, 1.0)


def identity(size: int = LUT_SIZE) -> Array:
    return grid(size)


def apply(rgb: Array, table: Array) -> Array:
    """Tetrahedral interpolation of ``table`` at ``rgb`` (any shape (..., 3), in [0, 1]).

    Written here rather than calling ``colour.algebra.table_interpolation_tetrahedral``
    (which gives the same numbers, checked in the tests) because that one works in float64
    through eight corner gathers and takes ~4 s per 1080p frame; this one gathers the four
    corners of the enclosing tetrahedron only, in float32 (Kasson et al., "Performing color
    space conversions with three-dimensional linear interpolation", JEI 4(3), 1995)."""
    shape = rgb.shape
    size = table.shape[0]
    scaled = np.clip(np.nan_to_num(rgb.reshape(-1, 3), nan=0.0), 0.0, 1.0) * np.float32(size - 1)
    base = np.minimum(scaled.astype(np.int32), size - 2)
    frac = scaled - base
    flat = table.reshape(-1, 3)
    strides = np.array([size * size, size, 1], np.int32)
    index = base @ strides
    order = np.argsort(-frac, axis=1, kind="stable")  # axes by falling fraction
    f = np.take_along_axis(frac, order, axis=1)
    step = strides[order]
    c1 = index + step[:, 0]
    c2 = c1 + step[:, 1]
    out = flat[index] * (1.0 - f[:, 0:1])
    out += flat[c1] * (f[:, 0:1] - f[:, 1:2])
    out += flat[c2] * (f[:, 1:2] - f[:, 2:3])
    out += flat[index + strides.sum()] * f[:, 2:3]
    return out.reshape(shape).astype(np.float32, copy=False)


def check_destination(path: Path, what: str) -> None:
    """Refuse, before any work, a file that could not be written."""
    if not path.parent.is_dir():
        raise MediaError(
            f"{path}: the folder {path.parent} does not exist",
            path=path,
            hint=f"create the folder first, or write the {what} into an existing one",
        )
    if path.is_dir():
        raise MediaError(f"{path}: is a folder", path=path, hint=f"name a {what} file")


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file beside ``path`` and rename it into place."""
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_cube(path: Path, table: Array, title: str) -> None:
    """Write ``table`` as a ``.cube`` (colour-science's writer), atomically."""
    check_destination(path, ".cube")
    lut = colour.LUT3D(table=table.astype(np.float64), name=title)
    tmp = path.parent / f".{path.stem}.{secrets.token_hex(4)}.tmp.cube"
    try:
        colour.write_LUT(lut, str(tmp))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_cube(path: Path) -> Array:
    lut = colour.read_LUT(str(path))
    if not isinstance(lut, colour.LUT3D):
        raise MediaError(f"{path}: is not a 3D LUT", path=path, hint="give a 3D .cube file")
    return np.asarray(lut.table, np.float32)


def check_cdl_destination(path: Path) -> None:
    check_destination(path, "CDL")
    if path.suffix.lower() not in CDL_FORMATS:
        raise MediaError(
            f"{path}: a CDL is written as {', '.join(CDL_FORMATS)}",
            path=path,
            hint=f"name it {path.with_suffix('.cc').name} (one correction, what most grading "
            "systems load per shot)",
        )


def write_cdl(path: Path, correction_id: str, cdl: CDL, description: str) -> None:
    """One correction as ``.cc``/``.ccc``/``.cdl`` (by extension) through OpenColorIO."""
    check_cdl_destination(path)
    write_text_atomic(path, cdl.to_xml(correction_id, path.suffix.lower(), description))
