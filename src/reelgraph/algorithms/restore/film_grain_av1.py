"""Film grain: estimate it from the source, synthesise matching grain, re-apply it.

Reference
    AV1 Bitstream & Decoding Process Specification (AOMedia, 2019, with errata),
    §7.18.3 "Film grain synthesis process": §7.18.3.3 generates white Gaussian noise and
    filters it with a causal auto-regressive (AR) model of lag L (``2 L (L + 1)``
    coefficients over the rows above and the samples to the left, Eq. in
    ``generate_grain``); §7.18.3.4-5 scale it per pixel by a piecewise-linear function
    of the decoded luma (``scaling_points``, up to 14) and add it.
    A. Norkin and N. Birkbeck, "Film grain synthesis for AV1 video codec", *Data
    Compression Conference* 2018, §3: the encoder-side estimation — denoise, take the
    residual in flat areas, fit the AR coefficients by least squares and the strength
    per intensity bin.

Estimation runs on the *source* before denoising: ``residual = source - denoised`` (pass
the temporal denoiser's result: grain is independent from frame to frame, so a temporal
denoiser removes it even where it is spatially correlated). Flat, unclipped pixels
(lowest half of the luma gradient) are used; the AR model is fitted on luma, the
strength per intensity bin per channel, and the correlation between channels as a 3x3
matrix.

Synthesis departs from the bit-exact integer process in documented ways: float
arithmetic; numpy's seeded Gaussian generator instead of the spec's 2048-entry
``Gaussian_Sequence`` table with its LFSR; a 96x96 template (AV1: 64x64 usable) so
blocks repeat less; no overlap blend between blocks (AV1's optional ``overlap_flag``);
the three channels are R'G'B' fields mixed by the estimated channel correlation instead
of AV1's Y/Cb/Cr with luma-to-chroma coefficients. Grain is
deterministic: the seed is ``(seed, frame_index)``, so any frame can be re-rendered alone
and chunked renders match a whole run.

Upscaled output: the grain template is generated at the source resolution (where its
AR model was measured) and resized by ``scale`` with bicubic interpolation, then brought
back to unit variance, and blocks grow to ``32 * scale``, so the grain keeps its size
relative to the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from scipy.signal import lfilter

from reelgraph.algorithms.colour.standards import LUMA_BT709
from reelgraph.algorithms.restore._checks import as_frame, luma_bt709
from reelgraph.errors import AlgorithmError

__all__ = [
    "FilmGrainModel",
    "apply_film_grain_av1",
    "estimate_film_grain_av1",
    "synthesize_film_grain_av1",
]

#: Sum of |AR coefficients| allowed; below 1 the causal recursion is stable.
_AR_STABILITY = 0.95
_MAX_POINTS = 14  # AV1: num_y_points <= 14
#: Side of the grain template and of the blocks copied from it (AV1: 64x64 template
#: area addressed by 32x32 luma blocks).
_TEMPLATE = 96
_BLOCK = 32


def _ar_offsets(lag: int) -> list[tuple[int, int]]:
    """Causal neighbour offsets (dy, dx) in AV1's coefficient order (raster, stop at 0,0)."""
    return [(dy, dx) for dy in range(-lag, 1) for dx in range(-lag, lag + 1) if dy < 0 or dx < 0]


@dataclass(frozen=True)
class FilmGrainModel:
    """Parameters of the grain (estimated by :func:`estimate_film_grain_av1`)."""

    ar_lag: int
    """AR lag L (0-3); 0 = white grain."""
    ar_coeffs: tuple[float, ...]
    """``2 L (L + 1)`` coefficients in AV1 order: rows -L..0, columns -L..L, causal."""
    scaling_points: tuple[tuple[float, float, float, float], ...]
    """Piecewise-linear strength: (luma in [0, 1], sigma R', sigma G', sigma B') in frame
    units, luma increasing; constant beyond the ends (as AV1)."""
    channel_mix: tuple[tuple[float, float, float], ...]
    """Lower-triangular 3x3 Cholesky factor of the channel correlation of the grain."""

    def __post_init__(self) -> None:
        if not 0 <= self.ar_lag <= 3:
            raise AlgorithmError(f"ar_lag must be 0..3, got {self.ar_lag!r}")
        if len(self.ar_coeffs) != 2 * self.ar_lag * (self.ar_lag + 1):
            raise AlgorithmError(
                f"ar_lag {self.ar_lag} needs {2 * self.ar_lag * (self.ar_lag + 1)} "
                f"coefficients, got {len(self.ar_coeffs)}"
            )
        if sum(abs(c) for c in self.ar_coeffs) > 1.0:
            raise AlgorithmError(
                "AR coefficients are unstable (sum of magnitudes > 1)",
                hint="re-estimate the grain, or scale the coefficients down",
            )
        points = np.asarray(self.scaling_points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 4 or not 1 <= len(points) <= _MAX_POINTS:
            raise AlgorithmError(f"scaling_points must be 1..{_MAX_POINTS} rows of 4 numbers")
        if not np.all(np.isfinite(points)) or np.any(np.diff(points[:, 0]) <= 0):
            raise AlgorithmError("scaling_points must be finite with increasing luma")
        if np.asarray(self.channel_mix).shape != (3, 3):
            raise AlgorithmError("channel_mix must be a 3x3 matrix")

    @property
    def sigma(self) -> float:
        """Mean grain sigma (frame units) over the scaling points and channels."""
        return float(np.mean(np.asarray(self.scaling_points)[:, 1:]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters with a schema label (``FilmGrainModel.1``)."""
        return {
            "schema": "FilmGrainModel.1",
            "ar_lag": self.ar_lag,
            "ar_coeffs": list(self.ar_coeffs),
            "scaling_points": [list(p) for p in self.scaling_points],
            "channel_mix": [list(r) for r in self.channel_mix],
        }


def estimate_film_grain_av1(
    source: np.ndarray,
    denoised: np.ndarray,
    *,
    ar_lag: int = 3,
    n_points: int = 8,
    flat_fraction: float = 0.5,
) -> FilmGrainModel:
    """Estimate AR grain pattern, strength per luma and channel correlation.

    ================  ====================================================
    ``source``        float32 ``(H, W, 3)`` R'G'B' [0, 1], the grainy frame
    ``denoised``      the same frame after denoising (same shape)
    ``ar_lag``        AR lag 0-3 (AV1 ``ar_coeff_lag``)
    ``n_points``      luma bins of the scaling function, 2-14
    ``flat_fraction`` share of pixels (lowest luma gradient) used
    output            :class:`FilmGrainModel`
    ================  ====================================================

    >>> rng = np.random.default_rng(0)
    >>> clean = np.full((128, 128, 3), 0.5, np.float32)
    >>> grainy = clean + rng.normal(0, 0.02, clean.shape).astype(np.float32)
    >>> model = estimate_film_grain_av1(grainy, clean, ar_lag=1, n_points=2)
    >>> round(model.sigma, 3)
    0.02
    """
    noisy = as_frame(source, "source")
    clean = as_frame(denoised, "denoised")
    if noisy.shape != clean.shape:
        raise AlgorithmError(f"source {noisy.shape} and denoised {clean.shape} differ in shape")
    if not 0 <= ar_lag <= 3:
        raise AlgorithmError(f"ar_lag must be 0..3, got {ar_lag!r}")
    if not 2 <= n_points <= _MAX_POINTS:
        raise AlgorithmError(f"n_points must be 2..{_MAX_POINTS}, got {n_points!r}")
    if not 0.05 <= flat_fraction <= 1.0:
        raise AlgorithmError(f"flat_fraction must be in [0.05, 1], got {flat_fraction!r}")
    height, width = noisy.shape[:2]
    if height < 2 * ar_lag + 8 or width < 2 * ar_lag + 8:
        raise AlgorithmError(f"frame {height}x{width} is too small to estimate grain")

    residual = noisy - clean
    luma = luma_bt709(clean)
    gradient = np.abs(cv2.Sobel(luma, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(luma, cv2.CV_32F, 0, 1))
    usable = (luma > 0.02) & (luma < 0.98)
    if not usable.any():
        usable = np.ones_like(usable)
    threshold = np.quantile(gradient[usable], flat_fraction)
    flat = usable & (gradient <= threshold)
    flat[:ar_lag, :] = False
    flat[:, :ar_lag] = False
    flat[:, width - ar_lag :] = False

    # Strength per luma bin and channel (bins hold equal pixel counts).
    flat_luma = luma[flat]
    flat_res = residual[flat]
    edges = np.quantile(flat_luma, np.linspace(0.0, 1.0, n_points + 1))
    bins = np.clip(np.searchsorted(edges, flat_luma, side="right") - 1, 0, n_points - 1)
    rows: list[tuple[float, float, float, float]] = []
    for b in range(n_points):
        member = bins == b
        if member.sum() < 16:
            continue
        centre = float(np.median(flat_luma[member]))
        if rows and centre <= rows[-1][0] + 1e-4:
            continue
        sd = flat_res[member].std(axis=0)
        rows.append((centre, float(sd[0]), float(sd[1]), float(sd[2])))
    if not rows:
        sd = flat_res.std(axis=0)
        rows = [(float(np.median(flat_luma)), float(sd[0]), float(sd[1]), float(sd[2]))]
    points = np.asarray(rows)

    # Channel correlation of the normalised grain.
    local_sd = np.stack(
        [np.interp(luma, points[:, 0], points[:, c + 1]) for c in range(3)], axis=-1
    )
    normalised = residual / np.maximum(local_sd, 1e-6)
    samples = normalised[flat]
    correlation = np.corrcoef(samples.T) if samples.shape[0] > 3 else np.eye(3)
    correlation = np.nan_to_num(correlation) + 1e-6 * np.eye(3)
    try:
        mix = np.linalg.cholesky(
            correlation / np.sqrt(np.outer(np.diag(correlation), np.diag(correlation)))
        )
    except np.linalg.LinAlgError:
        mix = np.eye(3)

    # AR coefficients by least squares on normalised luma grain (Norkin & Birkbeck §3).
    coeffs: tuple[float, ...] = ()
    if ar_lag > 0:
        grain_luma = normalised @ LUMA_BT709
        offsets = _ar_offsets(ar_lag)
        ys, xs = np.nonzero(flat)
        if ys.size > 200_000:  # enough for 24 unknowns; keep it fast on 4K frames
            pick = np.linspace(0, ys.size - 1, 200_000).astype(np.int64)
            ys, xs = ys[pick], xs[pick]
        design = np.stack([grain_luma[ys + dy, xs + dx] for dy, dx in offsets], axis=1)
        target = grain_luma[ys, xs]
        solution, *_ = np.linalg.lstsq(
            design.astype(np.float64), target.astype(np.float64), rcond=None
        )
        total = float(np.abs(solution).sum())
        if total > _AR_STABILITY:
            solution *= _AR_STABILITY / total
        coeffs = tuple(float(c) for c in solution)

    return FilmGrainModel(
        ar_lag=int(ar_lag),
        ar_coeffs=coeffs,
        scaling_points=tuple((float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in points),
        channel_mix=tuple((float(r[0]), float(r[1]), float(r[2])) for r in mix),
    )


def _ar_template(model: FilmGrainModel, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance AR grain template ``(_TEMPLATE, _TEMPLATE, 3)`` (§7.18.3.3).

    Channels are independent here; :func:`synthesize_film_grain_av1` mixes them.
    """
    lag = model.ar_lag
    pad = 3 * lag  # warm-up rows/columns, discarded like the spec's template borders
    size = _TEMPLATE + 2 * pad
    field = rng.standard_normal((size - pad, size, 3), dtype=np.float64)
    if lag > 0:
        offsets = _ar_offsets(lag)
        pairs = list(zip(offsets, model.ar_coeffs, strict=True))
        previous_rows = [(dy, dx, c) for (dy, dx), c in pairs if dy < 0]
        # Same-row coefficients a(0, -1..-lag) make an IIR filter along the row.
        left = {dx: c for (dy, dx), c in pairs if dy == 0}
        denominator = np.array([1.0] + [-left[-k] for k in range(1, lag + 1)])
        for y in range(lag, size - pad):
            acc = field[y, lag : size - lag].copy()
            for dy, dx, c in previous_rows:
                acc += c * field[y + dy, lag + dx : size - lag + dx]
            field[y, lag : size - lag] = lfilter([1.0], denominator, acc, axis=0)
    template = field[pad:, pad : pad + _TEMPLATE].astype(np.float32)
    template -= template.mean(axis=(0, 1))
    template /= np.maximum(template.std(axis=(0, 1)), 1e-6)
    return template


def synthesize_film_grain_av1(
    model: FilmGrainModel,
    luma: np.ndarray,
    *,
    frame_index: int,
    seed: int = 0,
    scale: float = 1.0,
) -> np.ndarray:
    """Synthesise the grain to add to one frame (AV1 §7.18.3.3-5, float).

    As the spec: an AR-filtered Gaussian template is generated per frame and the frame
    is covered by 32x32 blocks (``32 * scale`` after upscaling) copied from random
    offsets in it (§7.18.3.5 ``add_noise``, without the optional block-overlap blend),
    then scaled by the piecewise-linear function of luma.

    ===============  ====================================================
    ``model``        :class:`FilmGrainModel`
    ``luma``         float32 ``(H, W)`` luma Y' in [0, 1] of the frame the
                     grain goes on (drives the scaling function)
    ``frame_index``  frame number; with ``seed`` it fixes the random field
    ``seed``         base seed (AV1 ``grain_seed``), integer >= 0
    ``scale``        output resolution / resolution the model was measured
                     at (2.0 after a x2 upscale), 1-8
    output           float32 ``(H, W, 3)`` grain to add, frame units
    ===============  ====================================================

    >>> model = FilmGrainModel(1, (0.1, 0.2, 0.1, 0.3), ((0.0, 0.01, 0.01, 0.01),),
    ...                        ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)))
    >>> g = synthesize_film_grain_av1(model, np.full((64, 64), 0.5, np.float32), frame_index=3)
    >>> g.shape, round(float(g.std()), 2)
    ((64, 64, 3), 0.01)
    """
    luma = np.asarray(luma, dtype=np.float32)
    if luma.ndim != 2 or luma.size == 0 or not np.isfinite(luma).all():
        raise AlgorithmError("luma must be a finite, non-empty (H, W) array")
    if int(seed) < 0 or int(frame_index) < 0:
        raise AlgorithmError("seed and frame_index must be >= 0")
    if not 1.0 <= scale <= 8.0:
        raise AlgorithmError(f"scale must be in [1, 8], got {scale!r}")
    height, width = luma.shape
    rng = np.random.default_rng([int(seed), int(frame_index)])
    template = _ar_template(model, rng) @ np.asarray(model.channel_mix, dtype=np.float32).T
    block = _BLOCK
    if scale != 1.0:
        size = round(_TEMPLATE * scale)
        template = np.asarray(
            cv2.resize(template, (size, size), interpolation=cv2.INTER_CUBIC), dtype=np.float32
        )
        template -= template.mean(axis=(0, 1))
        template /= np.maximum(template.std(axis=(0, 1)), 1e-6)
        block = round(_BLOCK * scale)
    # Random block offsets inside the template (§7.18.3.5), one pair per block.
    span = template.shape[0] - block
    blocks_y, blocks_x = -(-height // block), -(-width // block)
    offset_y = rng.integers(0, span + 1, (blocks_y, blocks_x))
    offset_x = rng.integers(0, span + 1, (blocks_y, blocks_x))
    # Every block at once: pixel (y, x) of block (by, bx) reads the template at
    # (offset_y[by, bx] + y mod block, offset_x[by, bx] + x mod block), a nearest-neighbour
    # remap with integer coordinates (OpenCV's int16 (x, y) map), so the copy is exact.
    # The map's first row of each row of blocks, repeated down the block (whole-row copies),
    # then y mod block added.
    along_x = np.repeat(offset_x, block, axis=1)[:, :width] + np.arange(width) % block
    along_y = np.repeat(offset_y, block, axis=1)[:, :width]
    first_rows = np.stack([along_x, along_y], axis=-1).astype(np.int16)  # (blocks_y, W, 2)
    coords = np.repeat(first_rows[:, None], block, axis=1)
    coords[..., 1] += np.arange(block, dtype=np.int16)[None, :, None]
    coords = coords.reshape(blocks_y * block, width, 2)[:height]
    grain = np.asarray(cv2.remap(template, coords, None, cv2.INTER_NEAREST), dtype=np.float32)
    # Scaling function as a 256-entry table of 8-bit luma (AV1's ScalingLut, §7.18.3.4).
    points = np.asarray(model.scaling_points, dtype=np.float64)
    levels = np.arange(256) / 255.0
    table = np.stack(
        [np.interp(levels, points[:, 0], points[:, c + 1]) for c in range(3)], axis=-1
    ).astype(np.float32)
    codes = np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8)
    grain *= cv2.LUT(cv2.merge([codes, codes, codes]), table.reshape(256, 1, 3))
    return grain


def apply_film_grain_av1(
    frame: np.ndarray,
    model: FilmGrainModel,
    *,
    frame_index: int,
    seed: int = 0,
    scale: float = 1.0,
) -> np.ndarray:
    """Add synthesised grain to a (restored, possibly upscaled) frame.

    ===============  ====================================================
    input            ``frame``: float32 ``(H, W, 3)``, R'G'B' in [0, 1]
    other arguments  as :func:`synthesize_film_grain_av1`
    output           float32 ``(H, W, 3)``, clipped to [0, 1] (AV1 clips to
                     the legal range likewise)
    ===============  ====================================================

    >>> model = FilmGrainModel(0, (), ((0.5, 0.02, 0.02, 0.02),),
    ...                        ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)))
    >>> flat = np.full((32, 32, 3), 0.5, np.float32)
    >>> a = apply_film_grain_av1(flat, model, frame_index=7, seed=1)
    >>> bool(np.array_equal(a, apply_film_grain_av1(flat, model, frame_index=7, seed=1)))
    True
    """
    rgb = as_frame(frame)
    grain = synthesize_film_grain_av1(
        model, luma_bt709(rgb), frame_index=frame_index, seed=seed, scale=scale
    )
    grain += rgb
    return np.clip(grain, 0.0, 1.0, out=grain)
