"""Single-channel mattes on disk: 16-bit PNG or OpenEXR per frame, and keyframe masks.

Mattes are written as the compositing packages read them: a per-frame sequence
``NAME.NNNNNN.ext`` (six-digit frame numbers from 0), 16-bit greyscale PNG (0–65535 =
alpha 0–1) or OpenEXR with one half-float channel ``A`` (ZIP compressed). Keyframe masks
are read from 8- or 16-bit PNG/TIFF (grey, or the alpha of RGBA, or the first channel of
RGB) and from OpenEXR (the ``A`` channel, else the first).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import OpenEXR

from reelgraph.errors import MediaError, MediaNotFoundError

__all__ = ["MATTE_FORMATS", "matte_name", "read_mask", "write_matte"]

#: Matte file formats → extension.
MATTE_FORMATS = {"png": ".png", "exr": ".exr"}
_PNG_TOP = 65535.0
# Fast PNG compression: mattes are large flat areas and zlib level 1 keeps most of the gain.
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1]


def matte_name(name: str, frame: int, fmt: str) -> str:
    """``NAME.NNNNNN.ext`` for frame ``frame`` (0-based).

    >>> matte_name("shot010", 7, "png")
    'shot010.000007.png'
    """
    return f"{name}.{frame:06d}{MATTE_FORMATS[fmt]}"


def write_matte(path: str | Path, alpha: npt.NDArray[np.float32], fmt: str) -> None:
    """Write a float32 ``(H, W)`` matte in [0, 1] as 16-bit PNG or half EXR."""
    if fmt not in MATTE_FORMATS:
        raise MediaError(f"matte format {fmt!r}", hint=f"use one of: {', '.join(MATTE_FORMATS)}")
    if fmt == "png":
        code = np.rint(np.clip(alpha, 0.0, 1.0) * _PNG_TOP).astype(np.uint16)
        if not cv2.imwrite(str(path), code, _PNG_PARAMS):
            raise MediaError(f"{path}: could not write the matte", hint="check free disk space")
        return
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    pixels = np.ascontiguousarray(np.clip(alpha, 0.0, 1.0), dtype=np.float16)
    with OpenEXR.File(header, {"A": pixels}) as exr:
        exr.write(str(path))


def read_mask(path: str | Path) -> npt.NDArray[np.float32]:
    """A mask or matte file as float32 ``(H, W)`` in [0, 1]."""
    file = Path(path)
    if not file.is_file():
        raise MediaNotFoundError(f"{file}: no such mask file", path=file)
    if file.suffix.lower() == ".exr":
        try:
            with OpenEXR.File(str(file)) as exr:
                channels = exr.channels()
                name = "A" if "A" in channels else next(iter(channels))
                values = np.asarray(channels[name].pixels, dtype=np.float32)
        except Exception as exc:
            raise MediaError(
                f"{file}: not a readable OpenEXR mask ({exc})",
                path=file,
                hint="export the mask as an EXR with an A channel, or as a greyscale PNG",
            ) from exc
        if values.ndim == 3:
            values = values[..., -1] if name == "RGBA" else values[..., 0]
        return np.clip(np.nan_to_num(values), 0.0, 1.0).astype(np.float32)
    image = cv2.imread(str(file), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise MediaError(
            f"{file}: not a readable image",
            path=file,
            hint="give the keyframe mask as a greyscale PNG (white = subject), 8 or 16 bits",
        )
    if image.ndim == 3:
        image = image[..., 3] if image.shape[2] == 4 else image[..., 0]
    if image.dtype == np.uint8:
        top = 255.0
    elif image.dtype == np.uint16:
        top = _PNG_TOP
    else:
        top = 1.0
    values = image.astype(np.float32) / np.float32(top)
    return np.clip(np.nan_to_num(values), 0.0, 1.0).astype(np.float32)
