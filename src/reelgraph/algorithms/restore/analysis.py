"""Plate analysis: the measurements the planner reads to choose restoration steps.

:func:`analyse_frames` runs the family's published estimators on a sample of frames and
aggregates them (median over frames) into a :class:`PlateAnalysis`:

========================  ==========================================  ===========================
field                     method                                      module
========================  ==========================================  ===========================
``noise_sigma``           Immerkær 1996, Tai-Yang edge exclusion      ``noise_immerkaer1996``
``blockiness``            GBIM boundary/interior ratio, Wu 1997       ``blockiness_wu1997``
``banding``               CAMBI, Tandon et al. 2021 (QC's scale)      ``qc.banding_cambi_...``
``effective_resolution``  spectral fall-off, van der Schaaf 1996      ``resolution_spectrum_...``
``lattice_8bit``          8-bit code-value lattice (heuristic)        this module
``looks_generated_8bit``  rule over the above (heuristic)             this module
========================  ==========================================  ===========================

The two heuristics are reelgraph's own and are documented as such: they are not a
published classifier and only flag material for a human or the planner to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from reelgraph.algorithms.qc.banding_cambi_tandon2021 import cambi
from reelgraph.algorithms.restore._checks import as_frame, luma_bt709
from reelgraph.algorithms.restore.blockiness_wu1997 import blockiness_wu1997
from reelgraph.algorithms.restore.noise_immerkaer1996 import noise_sigma_immerkaer1996
from reelgraph.algorithms.restore.resolution_spectrum_vanderschaaf1996 import (
    resolution_spectrum_vanderschaaf1996,
)
from reelgraph.errors import AlgorithmError

__all__ = [
    "PLATE_ANALYSIS_SCHEMA",
    "GeneratedThresholds",
    "PlateAnalysis",
    "analyse_frames",
    "lattice_score_8bit",
]

#: Schema label written by :meth:`PlateAnalysis.to_dict`; bump on any field change.
PLATE_ANALYSIS_SCHEMA = "PlateAnalysis.1"

#: Luma weights tried when looking for an 8-bit Y' lattice: BT.709 and BT.601.
_LUMA_WEIGHTS = (np.array([0.2126, 0.7152, 0.0722]), np.array([0.299, 0.587, 0.114]))


@dataclass(frozen=True)
class GeneratedThresholds:
    """Limits of the ``looks_generated_8bit`` rule (heuristic, reelgraph's own)."""

    lattice_min: float = 0.6
    """Minimum :func:`lattice_score_8bit`: values sit on an 8-bit code lattice."""
    noise_max: float = 1.5 / 255.0
    """Maximum luma noise sigma (frame units): cleaner than a camera sensor."""
    blockiness_min: float = 1.15
    """Blockiness at or above this counts as a compression sign."""
    banding_min: float = 0.3
    """Banding at or above this counts as a quantisation sign."""
    resolution_max: float = 0.75
    """Effective resolution at or below this counts as an upscale sign."""


@dataclass(frozen=True)
class PlateAnalysis:
    """Aggregated measurements of a plate (median over the analysed frames)."""

    frame_count: int
    """Number of frames analysed."""
    height: int
    """Frame height in pixels."""
    width: int
    """Frame width in pixels."""
    noise_sigma: tuple[float, float, float]
    """White-noise sigma of R', G', B' in frame units ([0, 1] scale; x255 = 8-bit codes)."""
    noise_sigma_luma: float
    """Root of the BT.709-weighted mean of the channel variances, frame units; the value
    denoisers take as ``sigma``."""
    blockiness: float
    """Block-grid score, ~1.0 = none (see ``blockiness_wu1997``)."""
    block_size: int
    """Grid period of the blockiness score (8 or 16)."""
    block_offset: tuple[int, int]
    """(x, y) phase of the block grid, pass to the deblocker."""
    banding: float
    """Banding score, 0 = none, from 5 annoying: the same CAMBI score, on the same scale,
    as the delivery QC's banding check (``algorithms.qc.banding_cambi_tandon2021``)."""
    effective_resolution: float
    """Detail bandwidth as a fraction of nominal resolution (1.0 = full)."""
    spectral_slope: float
    """Power-spectrum slope alpha (~2 sharp natural image; larger = softer)."""
    lattice_8bit: float
    """Share of values sitting on an 8-bit code lattice in [0, 1] (1 = 8-bit source)."""
    looks_generated_8bit: bool
    """Heuristic flag: 8-bit, very clean and compressed/banded/upscaled material."""
    reasons: tuple[str, ...] = field(default=())
    """Human-readable reasons behind ``looks_generated_8bit``."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with a ``schema`` label (``PlateAnalysis.1``)."""
        data = asdict(self)
        data["noise_sigma"] = list(self.noise_sigma)
        data["block_offset"] = list(self.block_offset)
        data["reasons"] = list(self.reasons)
        return {"schema": PLATE_ANALYSIS_SCHEMA, **data}


def lattice_score_8bit(frame: np.ndarray, *, stride: int = 3) -> float:
    """How strongly values sit on an 8-bit code lattice (heuristic, reelgraph's own).

    For each candidate signal (R', G', B', and BT.709/BT.601 Y' in full and narrow
    range) the distance ``d`` of ``255 v`` (or ``219 Y' + 16``) to the nearest integer is
    measured; uniformly spread values give mean ``d`` = 0.25, lattice values give 0.
    The score is ``1 - mean(d) / 0.25`` of the best candidate, clipped to [0, 1].

    ===========  =====================================================
    input        ``frame``: float32 ``(H, W, 3)`` R'G'B' in [0, 1]
    ``stride``   every ``stride``-th pixel in each direction is read
    output       float in [0, 1]; >0.9 for frames decoded from 8 bits
    ===========  =====================================================

    >>> rng = np.random.default_rng(0)
    >>> codes = rng.integers(0, 256, (64, 64, 3)) / 255.0
    >>> round(lattice_score_8bit(codes.astype(np.float32)), 2)
    1.0
    >>> lattice_score_8bit(rng.random((64, 64, 3)).astype(np.float32)) < 0.1
    True
    """
    rgb = as_frame(frame)[:: max(1, stride), :: max(1, stride)].reshape(-1, 3)
    rgb64 = rgb.astype(np.float64)
    candidates = [rgb64[:, c] * 255.0 for c in range(3)]
    for weights in _LUMA_WEIGHTS:
        luma = rgb64 @ weights
        candidates += [luma * 255.0, luma * 219.0 + 16.0]
    best = 0.0
    for values in candidates:
        distance = np.abs(values - np.rint(values)).mean()
        best = max(best, 1.0 - distance / 0.25)
    return float(np.clip(best, 0.0, 1.0))


def analyse_frames(
    frames: Sequence[np.ndarray] | np.ndarray,
    *,
    thresholds: GeneratedThresholds | None = None,
) -> PlateAnalysis:
    """Measure noise, blockiness, banding, resolution and 8-bit origin of sample frames.

    =============  ===================================================
    input          ``frames``: non-empty sequence of float32 ``(H, W, 3)``
                   R'G'B' frames in [0, 1], all the same size (a sample
                   of the shot, e.g. 5-10 frames spread over it)
    ``thresholds`` limits of the ``looks_generated_8bit`` rule
    output         :class:`PlateAnalysis` (median over frames)
    =============  ===================================================

    >>> rng = np.random.default_rng(0)
    >>> frames = [rng.random((64, 96, 3)).astype(np.float32) for _ in range(2)]
    >>> result = analyse_frames(frames)
    >>> result.to_dict()["schema"], result.frame_count, result.looks_generated_8bit
    ('PlateAnalysis.1', 2, False)
    """
    items = list(frames)
    if not items:
        raise AlgorithmError("no frames to analyse", hint="pass a sample of frames of the shot")
    limits = thresholds or GeneratedThresholds()
    checked = [as_frame(f, f"frames[{i}]") for i, f in enumerate(items)]
    height, width = checked[0].shape[:2]
    if any(f.shape != checked[0].shape for f in checked):
        raise AlgorithmError("frames differ in size", hint="analyse one shot at a time")

    luma_weights = _LUMA_WEIGHTS[0]
    sigmas, lumas, blocks, bandings, resolutions, slopes, lattices = [], [], [], [], [], [], []
    for rgb in checked:
        sigma = noise_sigma_immerkaer1996(rgb, edge_fraction=0.3)
        sigma_luma = float(np.sqrt(np.sum(luma_weights * sigma**2)))
        sigmas.append(sigma)
        lumas.append(sigma_luma)
        blocks.append(blockiness_wu1997(rgb))
        score = cambi(luma_bt709(rgb))
        # CAMBI needs 16 px for its scales: a smaller frame shows no measurable band.
        bandings.append(score if np.isfinite(score) else 0.0)
        spectrum = resolution_spectrum_vanderschaaf1996(rgb, noise_sigma=sigma_luma)
        resolutions.append(spectrum.effective_resolution)
        slopes.append(spectrum.spectral_slope)
        lattices.append(lattice_score_8bit(rgb))

    noise = np.median(np.stack(sigmas), axis=0)
    noise_luma = float(np.median(lumas))
    scores = np.array([b.score for b in blocks])
    typical = blocks[int(np.argsort(scores)[len(scores) // 2])]
    blockiness = float(np.median(scores))
    banding = float(np.median(bandings))
    resolution = float(np.median(resolutions))
    lattice = float(np.median(lattices))

    reasons: list[str] = []
    signs: list[str] = []
    if blockiness >= limits.blockiness_min:
        signs.append(f"block grid {typical.block_size}px (score {blockiness:.2f})")
    if banding >= limits.banding_min:
        signs.append(f"banding (score {banding:.2f})")
    if resolution <= limits.resolution_max:
        signs.append(f"effective resolution {resolution:.2f} of nominal")
    is_8bit = lattice >= limits.lattice_min
    is_clean = noise_luma <= limits.noise_max
    looks_generated = bool(is_8bit and is_clean and signs)
    if looks_generated:
        reasons.append(f"values on an 8-bit lattice (score {lattice:.2f})")
        reasons.append(f"very low noise (sigma {noise_luma * 255:.2f}/255)")
        reasons.extend(signs)

    return PlateAnalysis(
        frame_count=len(checked),
        height=height,
        width=width,
        noise_sigma=(float(noise[0]), float(noise[1]), float(noise[2])),
        noise_sigma_luma=noise_luma,
        blockiness=blockiness,
        block_size=typical.block_size,
        block_offset=(typical.offset_x, typical.offset_y),
        banding=banding,
        effective_resolution=resolution,
        spectral_slope=float(np.median(slopes)),
        lattice_8bit=lattice,
        looks_generated_8bit=looks_generated,
        reasons=tuple(reasons),
    )
