"""A look taken from reference stills (a lookbook), applied with a strength.

The shot's sampled frames and the stills are compared in CIELAB (D65), where the distance
a colour moves is roughly what the eye sees; the transfer is fitted once per shot (so it
does not flicker) and baked into a 33³ LUT that renders the shot and is the ``.cube``
delivered. ``strength`` blends in CIELAB between the shot (0) and the full transfer (1).

Methods (one module each, with its reference):

========== ==================================================================================
``idt``    Pitié et al. 2005/2007 iterative distribution transfer: the whole 3-D distribution
           — tone curve (L*) and colour — of the lookbook (default)
``mkl``    Pitié & Kokaram 2007 Monge–Kantorovitch linear map: means and covariances, the
           smoothest transfer
``reinhard`` Reinhard et al. 2001 lαβ statistics: the classic baseline
========== ==================================================================================

Stills are read with OpenCV (8/16-bit PNG, TIFF, JPEG; taken as sRGB, IEC 61966-2-1) or,
for ``.exr``, with OpenEXR (scene-linear).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import colour
import cv2
import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour.transfer_idt_pitie2005 import fit_idt
from reelgraph.algorithms.colour.transfer_mkl_pitie2007 import fit_mkl
from reelgraph.algorithms.colour.transfer_reinhard2001 import fit_reinhard
from reelgraph.colour import lut
from reelgraph.colour.linear import from_linear, to_linear
from reelgraph.errors import MediaError, MediaNotFoundError

Array = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

#: Look-transfer methods by name; the first is the default.
METHODS = ("idt", "mkl", "reinhard")
DEFAULT_METHOD = METHODS[0]
#: Default blend between the shot (0) and the full look (1).
DEFAULT_STRENGTH = 1.0
#: Long side, in pixels, that stills are brought to before their colours are sampled.
STILL_SIZE = 512
#: Colours sampled from the shot and from the lookbook to fit the transfer.
SAMPLES = 40_000

_BT709 = colour.RGB_COLOURSPACES["ITU-R BT.709"]


def linear_to_lab(rgb: npt.ArrayLike) -> F64:
    xyz = colour.RGB_to_XYZ(np.asarray(rgb, np.float64), _BT709, apply_cctf_decoding=False)
    return np.asarray(colour.XYZ_to_Lab(xyz), np.float64)


def lab_to_linear(lab: npt.ArrayLike) -> F64:
    xyz = colour.Lab_to_XYZ(np.asarray(lab, np.float64))
    return np.asarray(colour.XYZ_to_RGB(xyz, _BT709, apply_cctf_encoding=False), np.float64)


def read_still(path: Path) -> Array:
    """A reference still as scene-linear RGB (long side ≤ :data:`STILL_SIZE`)."""
    if not path.is_file():
        raise MediaNotFoundError(
            f"{path}: lookbook image not found", path=path, hint="check the path of each IMG"
        )
    if path.suffix.lower() == ".exr":
        from reelgraph.media.exr import read_exr

        try:
            linear, _ = read_exr(path)
        except Exception as exc:  # OpenEXR raises its own types for damaged files
            raise MediaError(
                f"{path}: cannot read the EXR ({exc})", path=path, hint="re-export the still"
            ) from exc
    else:
        raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
        if raw is None or raw.ndim not in (2, 3) or raw.size == 0:
            raise MediaError(
                f"{path}: not a readable image",
                path=path,
                hint="give a PNG, TIFF, JPEG or EXR still (8 or 16 bit, sRGB)",
            )
        if raw.ndim == 2:
            raw = np.repeat(raw[..., None], 3, axis=2)
        top = 65535.0 if raw.dtype == np.uint16 else 255.0 if raw.dtype == np.uint8 else 1.0
        encoded = raw[..., 2::-1][..., :3].astype(np.float32) / np.float32(top)  # BGR(A) → RGB
        linear = to_linear(encoded, "iec61966-2-1")
    scale = min(1.0, STILL_SIZE / max(linear.shape[:2]))
    if scale < 1.0:
        linear = np.asarray(
            cv2.resize(linear, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.float32
        )
    return np.nan_to_num(np.asarray(linear, np.float32), nan=0.0, posinf=0.0, neginf=0.0)


def _sample(pixels: F64, seed: int) -> F64:
    if len(pixels) > SAMPLES:
        pixels = pixels[np.random.default_rng(seed).choice(len(pixels), SAMPLES, replace=False)]
    return pixels


@dataclass
class Look:
    """A fitted look: encoded R'G'B' (the shot's transfer) → encoded R'G'B'."""

    transfer: str
    method: str
    strength: float
    lab_function: Callable[[F64], F64]

    def encoded(self, rgb: npt.ArrayLike) -> Array:
        linear = np.clip(to_linear(rgb, self.transfer), 0.0, None)
        lab_in = linear_to_lab(linear)
        lab_out = self.lab_function(lab_in)
        blended = lab_in + self.strength * (lab_out - lab_in)
        return from_linear(lab_to_linear(blended), self.transfer)

    def table(self) -> Array:
        return lut.bake(self.encoded)


def fit_look(
    shot_linear: npt.ArrayLike,
    lookbook_linear: list[Array],
    *,
    transfer: str,
    method: str = DEFAULT_METHOD,
    strength: float = DEFAULT_STRENGTH,
) -> Look:
    """Fit the lookbook's look to the shot's colours (both scene-linear, any shape (..., 3))."""
    if method not in METHODS:
        raise MediaError(f"unknown look method {method!r}", hint=f"use {', '.join(METHODS)}")
    if not 0.0 <= strength <= 1.0:
        raise MediaError(f"strength {strength:g}", hint="use a strength from 0 to 1")
    if not lookbook_linear:
        raise MediaError("no lookbook images", hint="give at least one still with --lookbook")
    shot = _sample(np.clip(np.asarray(shot_linear, np.float64).reshape(-1, 3), 0, None), 0)
    book = _sample(
        np.clip(np.concatenate([s.reshape(-1, 3) for s in lookbook_linear]), 0, None).astype(
            np.float64
        ),
        1,
    )
    if method == "reinhard":
        reinhard = fit_reinhard(shot, book)
        function: Callable[[F64], F64] = lambda lab: linear_to_lab(  # noqa: E731
            reinhard.apply(np.maximum(lab_to_linear(lab), 0.0))
        )
    elif method == "mkl":
        function = fit_mkl(linear_to_lab(shot), linear_to_lab(book)).apply
    else:
        function = fit_idt(linear_to_lab(shot), linear_to_lab(book)).apply
    return Look(transfer, method, float(strength), function)
