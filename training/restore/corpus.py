"""The training corpus: photographs whose licence allows it, shipped inside installed
packages, and procedural pictures made here. Nothing is downloaded.

Every photograph of ``skimage.data`` that the product's demo and benchmarks use
(astronaut, coffee, chelsea, rocket, hubble_deep_field, immunohistochemistry) is kept out
of training, so the restoration benchmark measures the model on pictures it never saw.

=====================  ====================================  ===============================
source                 what                                  licence
=====================  ====================================  ===============================
skimage ``retina``     colour fundus photograph              CC0 1.0
skimage ``brick``      brick wall texture (CC0Textures)      CC0 1.0
skimage ``grass``      grass texture (CC0Textures)           CC0 1.0
skimage ``gravel``     gravel texture (CC0Textures)          CC0 1.0
skimage ``camera``     photographer on a lawn                CC0 1.0 (Lav Varshney)
skimage ``cell``       cell microscopy                       CC0 1.0
skimage ``horse``      horse silhouette                      CC0 (Andreas Preuss)
skimage ``clock``      clock with motion blur                public domain (S. van der Walt)
skimage ``coins``      Greek coins                           no known copyright restrictions
skimage ``text``       hand-written text                     public domain
matplotlib             ``grace_hopper.jpg`` portrait         public domain (U.S. Navy photo)
procedural             gradients, shapes, gratings, noise    made here (seeded)
=====================  ====================================  ===============================

Grey-level photographs are coloured with a random smooth two-colour ramp so the network
sees chroma edges on them. The split is fixed: ``clock`` and ``coins`` are validation
only; the rest train.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import skimage.data
from matplotlib import cbook
from matplotlib import image as mpimg

Image = npt.NDArray[np.float32]

TRAIN_PHOTOS = (
    "retina",
    "brick",
    "grass",
    "gravel",
    "camera",
    "cell",
    "horse",
    "text",
    "grace_hopper",
)
VALIDATION_PHOTOS = ("clock", "coins")
#: Never used here: the product's demo and restoration benchmark photographs.
HELD_OUT = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")


def _photo(name: str) -> Image:
    if name == "grace_hopper":  # the one colour portrait (skin tones) of an installed package
        with cbook.get_sample_data("grace_hopper.jpg") as f:
            picture = np.asarray(mpimg.imread(f), dtype=np.float32)
    else:
        picture = np.asarray(getattr(skimage.data, name)(), dtype=np.float32)
    if picture.max() > 1.5:
        picture = picture / 255.0
    if picture.ndim == 3:
        return np.ascontiguousarray(picture[..., :3])
    return picture  # grey: coloured per patch


@dataclass
class Corpus:
    """Photographs of one split, and a generator of random patches from them and from
    procedural pictures."""

    photos: list[Image]
    rng: np.random.Generator
    procedural_share: float = 0.3

    @classmethod
    def split(cls, which: str, seed: int) -> Corpus:
        names = TRAIN_PHOTOS if which == "train" else VALIDATION_PHOTOS
        assert not set(names) & set(HELD_OUT)
        return cls([_photo(n) for n in names], np.random.default_rng(seed))

    def patch(self, size: int) -> Image:
        """A clean R'G'B' float32 (size, size, 3) patch in [0, 1]."""
        if self.rng.random() < self.procedural_share:
            return procedural(size, self.rng)
        photo = self.photos[self.rng.integers(len(self.photos))]
        scale = self.rng.uniform(0.5, 1.0)  # finer and coarser detail than the original
        h, w = photo.shape[:2]
        crop = min(h, w, int(np.ceil(size / scale)))
        y, x = self.rng.integers(0, h - crop + 1), self.rng.integers(0, w - crop + 1)
        piece = photo[y : y + crop, x : x + crop]
        piece = cv2.resize(piece, (size, size), interpolation=cv2.INTER_AREA)
        if piece.ndim == 2:
            piece = colourise(piece, self.rng)
        piece = np.rot90(piece, self.rng.integers(4))
        if self.rng.random() < 0.5:
            piece = piece[:, ::-1]
        return np.ascontiguousarray(np.clip(piece, 0.0, 1.0), dtype=np.float32)


def colourise(grey: Image, rng: np.random.Generator) -> Image:
    """Map a grey picture through a ramp between two random colours (dark → light)."""
    dark = rng.uniform(0.0, 0.35, 3)
    light = rng.uniform(0.65, 1.0, 3)
    return (dark + grey[..., None] * (light - dark)).astype(np.float32)


def procedural(size: int, rng: np.random.Generator) -> Image:
    """Smooth gradients (where 8-bit coding bands), anti-aliased shapes with sharp colour
    edges, and gratings near the sampling limit."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    kind = rng.integers(3)
    if kind == 0:  # a gentle two-colour gradient in a random direction
        angle = rng.uniform(0, 2 * np.pi)
        t = (np.cos(angle) * xx + np.sin(angle) * yy + 1) / 2
        a, b = rng.uniform(0.05, 0.95, 3), rng.uniform(0.05, 0.95, 3)
        b = a + (b - a) * rng.uniform(0.05, 0.3)  # shallow: a few code values across
        picture = a + t[..., None] * (b - a)
    elif kind == 1:  # shapes drawn at 4× and area-downscaled (anti-aliased edges)
        big = np.empty((size * 4, size * 4, 3), np.float32)
        big[:] = rng.uniform(0, 1, 3)
        for _ in range(int(rng.integers(3, 9))):
            colour = tuple(float(c) for c in rng.uniform(0, 1, 3))
            centre = tuple(int(c) for c in rng.integers(0, size * 4, 2))
            if rng.random() < 0.5:
                cv2.circle(big, centre, int(rng.integers(8, size * 2)), colour, -1)
            else:
                pts = rng.integers(0, size * 4, (int(rng.integers(3, 6)), 2)).astype(np.int32)
                cv2.fillPoly(big, [pts], colour)
        picture = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    else:  # a grating of random frequency up to 0.4 cycles per pixel, over a gradient
        frequency = rng.uniform(0.02, 0.4) * size
        angle = rng.uniform(0, np.pi)
        phase = (np.cos(angle) * xx + np.sin(angle) * yy) * frequency * 2 * np.pi
        grating = 0.5 + 0.5 * np.sin(phase)
        picture = colourise(grating.astype(np.float32) * 0.8 + yy * 0.2, rng)
    return np.clip(picture, 0.0, 1.0).astype(np.float32)
