"""Temporal denoising by motion-compensated averaging along dense optical flow.

Reference
    A. Buades, J.-L. Lisani and M. Miladinović, "Patch-based video denoising with optical
    flow estimation", *IEEE Trans. Image Processing* 25(6), 2016, pp. 2573-2586 — §III-A:
    estimate dense flow from the frame being denoised to each neighbour in a small
    temporal window, warp the neighbours onto it, and aggregate only samples whose
    surrounding patch still matches (occlusions and flow failures fail that test).
    Optical flow: DIS (Kroeger et al. 2016), :mod:`.flow_dis_kroeger2016`.

Where this departs from the paper: the paper's second stage (patch groups denoised by
PCA thresholding) is replaced by the non-local-means weight of each warped sample,
``w = exp(-max(d^2 - 2 sigma^2, 0) / (k sigma)^2)`` with ``d^2`` the mean squared
difference over a 5x5 patch (Buades, Coll & Morel 2005, Eq. 2 with the IPOL 2011
``-2 sigma^2`` offset), i.e. classic motion-compensated temporal filtering (MCTF). The
residual noise of the average, where above 2.5/255, is then removed by a light spatial
non-local-means pass scaled to it. Occluded or mis-registered samples get weight ~0, so
the result falls back to the spatial pass there instead of ghosting.

Temporal window: the frame to restore and up to ``radius`` neighbours on each side
(default radius 2, five frames). Shorter windows (clip ends, a 1-frame window) work: the
average uses what is given. Each output depends only on its own window, so chunked
processing with ``radius`` frames of overlap reproduces a whole-clip run exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from reelgraph.algorithms.restore._checks import as_window, check_non_negative
from reelgraph.algorithms.restore.flow_dis_kroeger2016 import (
    DEFAULT_FLOW_PRESET,
    WindowFlows,
    warp_by_flow,
    window_flows,
)
from reelgraph.algorithms.restore.nlmeans_buades2005 import denoise_nlmeans_buades2005
from reelgraph.errors import AlgorithmError

__all__ = ["MCTF_DEFAULT_RADIUS", "denoise_mctf_buades2016"]

#: Neighbours on each side of the centre frame that the default chain passes.
MCTF_DEFAULT_RADIUS = 2

#: Frame height from which neighbours are warped bilinearly instead of bicubically.
#: Measured on a panned photograph with white noise (σ 3 and 6 codes, 5-frame window):
#: at 720 and 1080 lines bilinear warps give 0.5–1.1 dB *higher* PSNR (their slight
#: smoothing of the warped neighbours averages noise) at a quarter of the cost; at 64
#: lines they lose 0.7–1 dB, so small pictures keep bicubic.
BILINEAR_WARP_FROM_LINES = 720

#: Rows of the frame the averaging works on at a time (1080p: 64 rows of every plane fit in
#: a core's cache; 32–64 measured equally fast, 16 and 128 slower).
STRIP_ROWS = 64

#: Residual noise (frame units) left to the temporal average without a spatial pass.
_SPATIAL_FLOOR = 2.5 / 255.0
_THIRDS = np.full(3, 1.0 / 3.0, dtype=np.float32)


def denoise_mctf_buades2016(
    window: Sequence[np.ndarray] | np.ndarray,
    centre: int,
    *,
    sigma: float,
    weight_scale: float = 1.0,
    patch_size: int = 5,
    spatial_strength: float = 1.0,
    flow_preset: str = DEFAULT_FLOW_PRESET,
    flows: WindowFlows | None = None,
) -> np.ndarray:
    """Denoise ``window[centre]`` by flow-compensated averaging over the window.

    ==================  ====================================================
    input               ``window``: sequence (or ``(T, H, W, 3)`` array) of
                        float32 ``(H, W, 3)`` R'G'B' frames in [0, 1], in time
                        order; ``centre``: index of the frame to denoise
    ``sigma``           noise sigma in frame units; 0 returns the centre frame
    ``weight_scale``    k in the weight's ``(k sigma)^2``; larger averages
                        more (and risks ghosting)
    ``patch_size``      odd side of the patch compared for the weights
    ``spatial_strength``  multiplier of the residual spatial NLM pass (0 = none)
    ``flow_preset``     DIS preset: ``ultrafast``, ``fast`` or ``medium``
    ``flows``           precomputed :func:`.window_flows` of this window
                        (saves recomputing them when the chain shares them)
    output              float32 ``(H, W, 3)`` in [0, 1]
    ==================  ====================================================

    >>> rng = np.random.default_rng(0)
    >>> y, x = np.mgrid[0:64, 0:80].astype(np.float32)
    >>> scene = lambda t: 0.5 + 0.3 * np.sin((x - t) / 5.0) * np.cos(y / 7.0)
    >>> clean = [np.repeat(scene(t)[..., None], 3, axis=2) for t in range(5)]
    >>> noisy = [np.clip(c + rng.normal(0, 0.04, c.shape), 0, 1).astype(np.float32)
    ...          for c in clean]
    >>> out = denoise_mctf_buades2016(noisy, 2, sigma=0.04)
    >>> bool(np.abs(out - clean[2]).mean() < 0.4 * np.abs(noisy[2] - clean[2]).mean())
    True
    """
    frames = as_window(window, centre)
    centre = centre % len(frames)
    sigma = check_non_negative(sigma, "sigma")
    check_non_negative(weight_scale, "weight_scale")
    if int(patch_size) < 1 or int(patch_size) % 2 == 0:
        raise AlgorithmError(f"patch_size must be an odd integer >= 1, got {patch_size!r}")
    reference = frames[centre]
    if sigma == 0.0:
        return reference.copy()
    height, width = reference.shape[:2]

    average = reference.copy()
    weight_sum = np.ones((height, width), dtype=np.float32)
    if len(frames) > 1 and weight_scale > 0.0:
        if flows is None:
            flows = window_flows(frames, centre, preset=flow_preset)
        if len(flows.to_frame) != len(frames):
            raise AlgorithmError("flows were computed for a different window")
        bilinear = height >= BILINEAR_WARP_FROM_LINES
        weigh = _Weights(
            offset=2.0 * sigma**2,
            inv_h2=1.0 / (weight_scale * sigma) ** 2,
            patch_size=int(patch_size),
            interpolation=cv2.INTER_LINEAR if bilinear else cv2.INTER_CUBIC,
        )
        neighbours = [(f, flows.to_frame[k]) for k, f in enumerate(frames) if k != centre]
        # Strip by strip, so a strip's intermediate planes stay in the CPU's cache instead
        # of making a dozen passes over whole frames (memory-bound, and shared by the
        # workers): a fifth less time at 1080p, the same values.
        for first in range(0, height, STRIP_ROWS):
            stop = min(height, first + STRIP_ROWS)
            weigh.strip(reference, neighbours, first, stop, average, weight_sum)
    np.clip(average, 0.0, 1.0, out=average)
    if spatial_strength <= 0.0:
        return average
    # Residual noise of a weighted mean of n_eff samples is sigma / sqrt(n_eff); the
    # median keeps occluded areas (n_eff ~ 1) from setting the strength everywhere.
    # (Every 4th pixel each way: the median of 1/16 of a frame is the same statistic.)
    residual = sigma / float(np.sqrt(np.median(weight_sum[::4, ::4])))
    # Below ~2.5 codes the spatial pass costs more detail than it removes noise
    # (measured on astronaut/coffee clips, sigma 3-15): only the excess is treated.
    spatial_sigma = float(np.sqrt(max(residual**2 - _SPATIAL_FLOOR**2, 0.0)))
    if spatial_sigma == 0.0:
        return average
    return denoise_nlmeans_buades2005(average, sigma=spatial_sigma, strength=spatial_strength)


class _Weights:
    """The weighted average of one strip of rows over the warped neighbours."""

    def __init__(self, *, offset: float, inv_h2: float, patch_size: int, interpolation: int):
        self.offset, self.inv_h2 = np.float32(offset), np.float32(-inv_h2)
        self.kernel = (patch_size, patch_size)
        self.halo = patch_size // 2  # rows the patch distance reads beyond the strip
        self.interpolation = interpolation

    def strip(
        self,
        reference: np.ndarray,
        neighbours: list[tuple[np.ndarray, np.ndarray]],
        first: int,
        stop: int,
        average: np.ndarray,
        weight_sum: np.ndarray,
    ) -> None:
        """Rows ``first``–``stop`` of ``average`` (holding the reference) and of
        ``weight_sum`` (holding 1) become the weighted mean and the weights' sum."""
        lo, hi = max(0, first - self.halo), min(reference.shape[0], stop + self.halo)
        inner = slice(first - lo, first - lo + stop - first)
        own = reference[lo:hi]
        accumulator = average[first:stop]
        total = weight_sum[first:stop]
        for neighbour, flow in neighbours:
            warped, inside = warp_by_flow(
                neighbour, flow, interpolation=self.interpolation, rows=(lo, hi)
            )
            # The patch distance's channel mean and box filter fused into one OpenCV pass
            # each: mean of squares over R, G, B (transform), then its 5×5 mean.
            difference = cv2.subtract(warped, own)
            cv2.multiply(difference, difference, dst=difference)
            distance = cv2.boxFilter(cv2.transform(difference, _THIRDS[None, :]), -1, self.kernel)
            distance = distance[inner]
            # w = exp(−max(d² − 2σ², 0) / (kσ)²), zero where the flow left the frame.
            np.subtract(distance, self.offset, out=distance)
            np.maximum(distance, 0.0, out=distance)
            np.multiply(distance, self.inv_h2, out=distance)
            weight = cv2.exp(distance)
            weight[~inside[inner]] = 0.0
            # GRAY2BGR repeats the weight over R, G, B in one SIMD pass (a 3-way merge of
            # one plane takes ~6× as long).
            cv2.accumulateProduct(
                warped[inner], cv2.cvtColor(weight, cv2.COLOR_GRAY2BGR), accumulator
            )
            total += weight
        cv2.divide(accumulator, cv2.cvtColor(total, cv2.COLOR_GRAY2BGR), dst=accumulator)
