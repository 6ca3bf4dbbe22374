"""3D LUTs: bake a colour function on a 33³ grid, apply it (tetrahedral, as FFmpeg's
``lut3d=interp=tetrahedral`` and most grading systems do, through OpenColorIO), write it as
Resolve/Adobe ``.cube`` through colour-science.

A decision (continuity CDL, residual, look) is always rendered through its baked LUT, so the
exported ``.cube`` is exactly what reelgraph applied, not an approximation of it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

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


@lru_cache(maxsize=8)
def _processor(table_bytes: bytes, size: int) -> Any:
    """OpenColorIO's CPU processor of a 33³ table, tetrahedral (one per distinct table)."""
    import PyOpenColorIO as ocio

    transform = ocio.Lut3DTransform(gridSize=size)
    transform.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    # OCIO's array is indexed [r, g, b] with blue fastest, as lut.grid lays the table out.
    transform.setData(np.frombuffer(table_bytes, np.float32))
    processor = ocio.Config.CreateRaw().getProcessor(transform)
    return processor.getOptimizedCPUProcessor(
        ocio.BIT_DEPTH_F32, ocio.BIT_DEPTH_F32, ocio.OPTIMIZATION_NONE
    )


def tetrahedral(table: Array) -> Callable[[Array], Array]:
    """The function that applies ``table`` (size³ × 3, indexed [r, g, b]) by tetrahedral
    interpolation, as FFmpeg's ``lut3d=interp=tetrahedral`` and most grading systems do,
    through OpenColorIO's CPU processor (vectorised C++, float32: ~0.07 CPU s per 1080p
    frame, ``benchmarks/colour.py --lut``; colour-science's
    ``table_interpolation_tetrahedral`` gives the same numbers in float64 at ~16× the
    cost). Inputs outside [0, 1] are clipped and NaN read as 0."""
    size = int(table.shape[0])
    flat = np.ascontiguousarray(table, np.float32).reshape(-1)
    if flat.size != size**3 * 3:
        raise MediaError(
            f"a 3D LUT of {size} points per axis has {size**3 * 3} values, not {flat.size}",
            hint="give a cube (size × size × size × 3) table",
        )
    processor = _processor(flat.tobytes(), size)

    def apply_table(rgb: Array) -> Array:
        shape = rgb.shape
        # fmax/fmin take the number over NaN: one new contiguous array, NaN → 0, in [0, 1].
        out = np.fmax(np.asarray(rgb, np.float32).reshape(-1, 3), np.float32(0.0))
        np.fmin(out, np.float32(1.0), out=out)
        processor.applyRGB(out)  # in place
        return out.reshape(shape)

    return apply_table


def apply(rgb: Array, table: Array) -> Array:
    """Tetrahedral interpolation of ``table`` at ``rgb`` (any shape (..., 3), in [0, 1])."""
    return tetrahedral(table)(rgb)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=8)
def _cube_function(path: str, checksum: str) -> Callable[[Array], Array]:
    file = Path(path)
    if not file.is_file() or sha256(file) != checksum:
        raise MediaError(
            f"{file}: the 3D LUT a picture applies is missing or not the one it names",
            path=file,
            hint="the artifact is damaged; remove it so the node runs again",
        )
    return tetrahedral(read_cube(file))


def cube_function(path: Path, checksum: str) -> Callable[[Array], Array]:
    """The tetrahedral application of the ``.cube`` at ``path``, checked against its
    SHA-256 ``checksum`` (read once per process and file)."""
    return _cube_function(str(path), checksum)


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
