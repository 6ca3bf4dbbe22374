"""Colour correction between two views that share nothing: masked grey-world statistics.

References:
    G. Buchsbaum, "A spatial processor model for object colour perception", J. Franklin
    Inst. 310(1), 1980 — the grey-world assumption: the average of a scene is neutral, so
    the ratio of two views' averages is their white-balance difference.
    Restricted here to near-neutral pixels (the grey-pixel idea of K.-F. Yang, S.-B. Gao,
    Y.-J. Li, "Efficient illuminant estimation for color constancy using grey pixels",
    CVPR 2015): pixels close to the image's own dominant chromaticity, mid-grey in
    brightness (neither crushed nor clipped), so coloured objects do not pull the estimate.
    Skin, when both views show it (hue and chroma in the range of M. J. Jones, J. M. Rehg,
    "Statistical color models with application to skin detection", IJCV 46(1), 2002,
    expressed as CIELAB hue 20°–75°, chroma 10–45 after neutral balancing), is a second
    memory colour: its gains are averaged with the neutrals' in log space.

Given a subject matte of a view (``image_subject`` / ``reference_subject``: a
rotoscoped subject, alpha ≥ 0.5 inside), that view's neutrals are looked for outside the
subject only and its skin inside it only (skin-coloured AND subject) — the spatial prior
of selective colour constancy: a costume does not pull the neutral estimate, and a
skin-coloured wall behind the subject is not taken for skin. A view without a matte is
read by colour alone, as above.

When either view has nothing near grey (its nearest-to-grey pixels still show a cast
beyond ×1.5 in R/G or B/G), nothing is matched (``used`` = "none").
Exposure is matched by the ratio of median luminances and saturation by the ratio of the
mean chroma of each balanced view (a global statistic — the best there is without
shared content, and the report says so).

=============  ==============================================  ==============================
 argument       domain                                          range
=============  ==============================================  ==============================
 ``image``      float32 (H, W, 3), scene-linear RGB (BT.709)
 ``reference``  float32 (H', W', 3), scene-linear RGB (BT.709)
 ``*_subject``  float32 (H, W) / (H', W') or None: matte       alpha ≥ 0.5 is the subject
                of the view's subject, alpha in [0, 1]
 return         :class:`NeutralMatch`: ``gains`` (3,),          gains > 0, saturation > 0;
                ``saturation``, ``used`` ("neutrals",          ``out = sat(gains · rgb)``
                "neutrals+skin" or "none"), ``masks``
=============  ==============================================  ==============================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> scene = rng.uniform(0.05, 0.6, (64, 64, 1)) * rng.uniform(0.9, 1.1, (64, 64, 3))
>>> match = match_neutrals(scene * [1.2, 1.0, 0.8], scene[::-1])
>>> np.round(match.gains / match.gains[1], 2).tolist(), match.used
([0.87, 1.0, 1.2], 'neutrals')
>>> subject = np.zeros((64, 64), np.float32); subject[16:48, 16:48] = 1.0
>>> masked = match_neutrals(scene * [1.2, 1.0, 0.8], scene[::-1], image_subject=subject)
>>> np.round(masked.gains / masked.gains[1], 2).tolist(), masked.used, masked.masks
([0.87, 1.0, 1.2], 'neutrals', ('roto', 'colour'))
"""

from __future__ import annotations

from dataclasses import dataclass

import colour
import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour.standards import LUMA_BT709

#: Fraction of the usable pixels (closest to the dominant chromaticity) taken as neutral.
NEUTRAL_FRACTION = 0.2
#: Saturation change allowed from global statistics (they follow content, not grade,
#: beyond about half a stop of chroma either way).
SATURATION_RANGE = (0.7, 1.4)
#: Largest cast (|log R/G| or |log B/G|) a view's neutral estimate may show and still be
#: taken as its illuminant: ×1.5 covers tungsten-to-daylight mistakes; beyond it the
#: "neutrals" are the scene's own dominant colour.
MAX_CAST = float(np.log(1.5))
#: Fewest skin pixels (fraction of the image) in both views for skin to count.
SKIN_FRACTION = 0.01
#: Alpha at or above which a matte's pixel is the subject.
SUBJECT_ALPHA = 0.5


@dataclass(frozen=True)
class NeutralMatch:
    gains: npt.NDArray[np.float64]
    saturation: float
    used: str
    neutral_pixels: tuple[int, int] = (0, 0)
    #: What told subject from background in (image, reference): "roto" (its matte) or
    #: "colour" (colour alone).
    masks: tuple[str, str] = ("colour", "colour")


@dataclass(frozen=True)
class _View:
    """A view's usable pixels, and which of them are its subject (None: no matte)."""

    rgb: npt.NDArray[np.float64]
    subject: npt.NDArray[np.bool_] | None

    @property
    def background(self) -> npt.NDArray[np.float64]:
        """Where its neutrals are looked for: outside the subject, when that leaves enough."""
        if self.subject is None or int(np.count_nonzero(~self.subject)) < 16:
            return self.rgb
        return self.rgb[~self.subject]

    @property
    def mask(self) -> str:
        return "colour" if self.subject is None else "roto"


def _usable(rgb: npt.NDArray[np.float64], subject: npt.ArrayLike | None) -> _View:
    flat = rgb.reshape(-1, 3)
    keep = np.all(np.isfinite(flat), axis=1)
    luma = np.where(keep, np.nan_to_num(flat) @ LUMA_BT709, 0.0)
    keep &= (luma > 0.01) & (np.max(np.nan_to_num(flat), axis=1) < 0.95)
    if subject is None:
        return _View(flat[keep], None)
    alpha = np.asarray(subject, np.float64).reshape(-1)
    if alpha.shape[0] != flat.shape[0]:
        raise ValueError(f"a matte of {alpha.shape[0]} pixels for a view of {flat.shape[0]}")
    return _View(flat[keep], alpha[keep] >= SUBJECT_ALPHA)


def _neutral_mean(rgb: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], int]:
    """Mean of the pixels nearest the illuminant's chromaticity, refined in three passes:
    start from the achromatic axis, keep the pixels closest to it, re-estimate."""
    chroma = rgb / np.maximum(rgb.sum(axis=1, keepdims=True), 1e-9)
    # Start from the achromatic axis, not the grey-world mean: a scene dominated by one
    # colour (a brown kitchen) would otherwise pull the "neutrals" towards that colour.
    estimate = np.ones(3)
    keep = np.ones(len(rgb), bool)
    for _ in range(3):
        white = estimate / estimate.sum()
        # Distance in log chromaticity, so a cast scales it the same in every channel.
        distance = np.linalg.norm(np.log(np.maximum(chroma, 1e-6) / white), axis=1)
        keep = distance <= np.quantile(distance, NEUTRAL_FRACTION)
        estimate = rgb[keep].mean(axis=0)
    return estimate, int(keep.sum())


def _cast(neutral: npt.NDArray[np.float64]) -> float:
    """How far a neutral estimate is from grey: the largest |log| of R/G and B/G."""
    ratios = neutral[[0, 2]] / max(float(neutral[1]), 1e-9)
    return float(np.max(np.abs(np.log(np.maximum(ratios, 1e-9)))))


def _lab(rgb: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    xyz = colour.RGB_to_XYZ(rgb, colour.RGB_COLOURSPACES["ITU-R BT.709"], apply_cctf_decoding=False)
    return np.asarray(colour.XYZ_to_Lab(xyz), np.float64)


def _skin_mean(
    rgb: npt.NDArray[np.float64], subject: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.float64] | None:
    """Mean of the skin-coloured pixels — inside ``subject`` only, when given."""
    lab = _lab(rgb)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]))
    skin = (hue > 20) & (hue < 75) & (chroma > 10) & (chroma < 45) & (lab[:, 0] > 20)
    if subject is not None:
        skin &= subject
    if len(skin) == 0 or skin.mean() < SKIN_FRACTION:
        return None
    return rgb[skin].mean(axis=0)


def _chroma(rgb: npt.NDArray[np.float64]) -> float:
    # The mean, not the median: a mostly grey view has a median chroma near 0.
    luma = rgb @ LUMA_BT709
    return float(np.mean(np.linalg.norm(rgb - luma[:, None], axis=1) / np.maximum(luma, 1e-3)))


def match_neutrals(
    image: npt.ArrayLike,
    reference: npt.ArrayLike,
    *,
    image_subject: npt.ArrayLike | None = None,
    reference_subject: npt.ArrayLike | None = None,
) -> NeutralMatch:
    """Gains and saturation that bring ``image``'s neutrals (and skin) to ``reference``'s;
    a view's subject matte, when given, keeps its neutrals outside the subject and its
    skin inside it."""
    img_view = _usable(np.asarray(image, np.float64), image_subject)
    ref_view = _usable(np.asarray(reference, np.float64), reference_subject)
    img, ref = img_view.rgb, ref_view.rgb
    masks = (img_view.mask, ref_view.mask)
    if len(img) < 16 or len(ref) < 16:
        return NeutralMatch(np.ones(3), 1.0, "none", masks=masks)
    n_img, count_img = _neutral_mean(img_view.background)
    n_ref, count_ref = _neutral_mean(ref_view.background)
    if max(_cast(n_img), _cast(n_ref)) > MAX_CAST:
        # A view without anything near grey (a brown kitchen): its "neutrals" are its
        # dominant colour, not its illuminant, and its brightness is its content's. Nothing
        # here is evidence of a grade: leave the shot as it is.
        return NeutralMatch(np.ones(3), 1.0, "none", (count_img, count_ref), masks)
    balance = n_ref / np.maximum(n_img, 1e-9)
    balance /= balance @ LUMA_BT709  # white balance only; exposure below
    used = "neutrals"
    # Skin is looked for after balancing, so a cast does not push it out of the hue range.
    s_img = _skin_mean(img * balance, img_view.subject)
    s_ref = _skin_mean(ref, ref_view.subject)
    if s_img is not None and s_ref is not None:
        skin = s_ref / np.maximum(s_img, 1e-9)
        skin /= skin @ LUMA_BT709
        balance = balance * np.sqrt(skin)
        balance /= balance @ LUMA_BT709
        used = "neutrals+skin"
    balanced = img * balance
    exposure = float(np.median(ref @ LUMA_BT709) / max(np.median(balanced @ LUMA_BT709), 1e-9))
    saturation = float(np.clip(_chroma(ref) / max(_chroma(balanced), 1e-9), *SATURATION_RANGE))
    return NeutralMatch(balance * exposure, float(saturation), used, (count_img, count_ref), masks)
