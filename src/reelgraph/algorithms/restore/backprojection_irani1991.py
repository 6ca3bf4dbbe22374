"""Iterative back-projection: make an upscaled frame consistent with its source frames.

Reference
    M. Irani and S. Peleg, "Improving resolution by image registration", *CVGIP:
    Graphical Models and Image Processing* 53(3), 1991, pp. 231-239 — §3, Eq. (4):
    ``f_{n+1} = f_n + (1/K) sum_k T_k^-1( h_BP * (g_k - down(T_k(f_n))) upsampled )``:
    simulate how each observed low-resolution frame ``g_k`` was imaged from the
    high-resolution estimate (motion ``T_k``, then area averaging over ``factor x
    factor`` pixels, the sensor/scaler model), compare, and spread the errors back
    through the inverse motion. Motion here is dense optical flow
    (:mod:`.flow_dis_kroeger2016`) rather than the paper's global 2-D motion, so each
    frame's contribution is weighted by the forward-backward consistency of its flow
    (occluded or mis-registered pixels get none).

Single frame (:func:`back_project_irani1991`, one observation): restores the part of
the detail that the interpolator's own low-pass removed. Several frames
(:func:`back_project_multiframe_irani1991`): sub-pixel camera motion makes every frame
sample the scene at different phases, so their aliasing holds detail above the
source's Nyquist frequency that one frame cannot give — super-resolution — and their
independent noise and coding errors average out. The simulated imaging model is the
box (area) average; when the real camera or scaler was softer the result is still
better than the interpolator alone but gains less (measured in
``docs/agents/restoration.md``). It must run after denoising and deblocking: it
re-imposes whatever is in the source, noise included.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from reelgraph.algorithms.colour.standards import LUMA_BT709
from reelgraph.algorithms.restore._checks import as_frame, as_window
from reelgraph.algorithms.restore.flow_dis_kroeger2016 import (
    DEFAULT_FLOW_PRESET,
    WindowFlows,
    consistency_weight,
    window_flows,
)
from reelgraph.errors import AlgorithmError

__all__ = ["back_project_irani1991", "back_project_multiframe_irani1991"]

#: The simulation warp is followed by area averaging; linear interpolation gives the same
#: result as cubic there (measured) at a third of the cost.
_SIM_INTERP = cv2.INTER_LINEAR
_BP_INTERP = cv2.INTER_CUBIC
#: Back-projection iterations after an upscale, single- or multi-frame: the one default
#: of the restoration chain, the upscale dispatcher and the restore agent.
BACK_PROJECTION_ITERATIONS = 3


def _check_scale(high: np.ndarray, low: np.ndarray, what: str, hint: str) -> None:
    """AlgorithmError, naming ``what``, unless ``high`` is ``low`` upscaled by an integer k >= 2."""
    (big_h, big_w), (small_h, small_w) = high.shape[:2], low.shape[:2]
    factor = big_h // small_h
    if factor < 2 or big_h != factor * small_h or big_w != factor * small_w:
        raise AlgorithmError(
            f"upscaled {high.shape[:2]} is not an integer multiple >= 2 of {what}", hint=hint
        )


def _check_steps(iterations: int, step: float) -> None:
    if int(iterations) < 0:
        raise AlgorithmError(f"iterations must be >= 0, got {iterations!r}")
    if not 0.0 < step <= 1.5:
        raise AlgorithmError(f"step must be in (0, 1.5], got {step!r}")


def back_project_irani1991(
    upscaled: np.ndarray,
    source: np.ndarray,
    *,
    iterations: int = BACK_PROJECTION_ITERATIONS,
    step: float = 1.0,
) -> np.ndarray:
    """Refine ``upscaled`` so that its area-average downscale matches ``source``.

    =============  ======================================================
    ``upscaled``   float32 ``(k H, k W, 3)`` R'G'B' in [0, 1], integer k >= 2
    ``source``     float32 ``(H, W, 3)`` R'G'B' in [0, 1]
    ``iterations`` number of back-projection steps (2 is near convergence)
    ``step``       gain of each correction, (0, 1.5]
    output         float32 ``(k H, k W, 3)`` clipped to [0, 1]
    =============  ======================================================

    >>> import cv2
    >>> rng = np.random.default_rng(0)
    >>> small = rng.random((8, 8, 3)).astype(np.float32)
    >>> big = cv2.resize(small, (16, 16), interpolation=cv2.INTER_LINEAR)
    >>> area = lambda f: cv2.resize(f, (8, 8), interpolation=cv2.INTER_AREA)
    >>> refined = back_project_irani1991(big, small, iterations=4)
    >>> bool(np.abs(area(refined) - small).mean() < np.abs(area(big) - small).mean())
    True
    """
    high = as_frame(upscaled, "upscaled")
    low = as_frame(source, "source")
    _check_scale(
        high,
        low,
        f"source {low.shape[:2]}",
        "pass the frame that was upscaled and its upscaled result",
    )
    _check_steps(iterations, step)
    (big_h, big_w), (small_h, small_w) = high.shape[:2], low.shape[:2]
    out = high.copy()
    for _ in range(int(iterations)):
        error = low - cv2.resize(out, (small_w, small_h), interpolation=cv2.INTER_AREA)
        correction = cv2.resize(error, (big_w, big_h), interpolation=cv2.INTER_CUBIC)
        out += np.float32(step) * correction
    return np.clip(out, 0.0, 1.0, out=out)


def _sampling_maps(
    flow: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """remap() maps that sample at ``x + flow(x)`` on the grid's size (flow resized and scaled)."""
    height, width = grid_x.shape
    flow_x, flow_y = cv2.split(cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR))
    map_x = cv2.scaleAdd(flow_x, width / flow.shape[1], grid_x)
    map_y = cv2.scaleAdd(flow_y, height / flow.shape[0], grid_y)
    return map_x, map_y


def back_project_multiframe_irani1991(
    upscaled: np.ndarray,
    window: Sequence[np.ndarray] | np.ndarray,
    centre: int,
    *,
    iterations: int = BACK_PROJECTION_ITERATIONS,
    step: float = 1.0,
    tolerance: float = 0.5,
    flow_preset: str = DEFAULT_FLOW_PRESET,
    flows: WindowFlows | None = None,
    luma_only: bool = True,
) -> np.ndarray:
    """Multi-frame back-projection of the centre frame of a window (super-resolution).

    ===============  ===================================================
    ``upscaled``     float32 ``(k H, k W, 3)``: initial estimate of the
                     centre frame at the output size (e.g. DCCI of the
                     denoised centre)
    ``window``       float32 ``(H, W, 3)`` source frames in time order
                     (deblocked, not denoised: their errors average out)
    ``centre``       index of the frame being upscaled
    ``iterations``   back-projection steps
    ``step``         gain of each step, (0, 1.5]
    ``tolerance``    forward-backward flow error (source pixels) at which a
                     neighbour's weight falls to exp(-1/2)
    ``flow_preset``  DIS preset when ``flows`` is not given
    ``flows``        :func:`.window_flows` of the window with
                     ``both_directions=True`` (shared with the denoiser)
    ``luma_only``    back-project BT.709 luma only and add its correction to
                     all channels (chroma differences stay those of
                     ``upscaled``): 3x cheaper; video sources carry chroma
                     at half resolution (4:2:0), so little is lost
    output           float32 ``(k H, k W, 3)`` in [0, 1]
    ===============  ===================================================

    A 1-frame window is the single-frame method. Frames whose flows fail contribute
    nothing where they fail, so the result never gets worse than single-frame there.

    >>> import cv2
    >>> rng = np.random.default_rng(0)
    >>> scene = cv2.GaussianBlur(rng.random((72, 96, 3)).astype(np.float32), (0, 0), 1.0)
    >>> crop = lambda t: scene[4:68, 4 + t : 84 + t]
    >>> lows = [cv2.resize(crop(t), (40, 32), interpolation=cv2.INTER_AREA) for t in range(3)]
    >>> start = cv2.resize(lows[1], (80, 64), interpolation=cv2.INTER_CUBIC)
    >>> out = back_project_multiframe_irani1991(start, lows, 1)
    >>> bool(np.abs(out - crop(1)).mean() < np.abs(start - crop(1)).mean())
    True
    """
    high = as_frame(upscaled, "upscaled")
    frames = as_window(window, centre)
    centre %= len(frames)
    _check_scale(
        high,
        frames[0],
        f"the window's {frames[0].shape[:2]}",
        "pass the upscaled centre frame and its source window",
    )
    _check_steps(iterations, step)
    (big_h, big_w), (small_h, small_w) = high.shape[:2], frames[0].shape[:2]
    if not tolerance > 0:
        raise AlgorithmError(f"tolerance must be > 0, got {tolerance!r}")
    if flows is None and len(frames) > 1:
        flows = window_flows(frames, centre, preset=flow_preset, both_directions=True)
    if flows is not None and (flows.from_frame is None or len(flows.to_frame) != len(frames)):
        raise AlgorithmError(
            "flows must cover this window in both directions",
            hint="compute them with window_flows(window, centre, both_directions=True)",
        )

    # Per frame: maps to simulate it from the estimate, maps to bring its error back,
    # and its weight on the centre's grid.
    simulate: list[tuple[np.ndarray, np.ndarray] | None] = []
    gather: list[tuple[np.ndarray, np.ndarray] | None] = []
    weights: list[np.ndarray] = []
    grid_x, grid_y = np.meshgrid(
        np.arange(big_w, dtype=np.float32), np.arange(big_h, dtype=np.float32)
    )
    for k in range(len(frames)):
        if k == centre or flows is None or flows.from_frame is None:
            simulate.append(None)
            gather.append(None)
            weights.append(np.ones((big_h, big_w), dtype=np.float32))
            continue
        simulate.append(_sampling_maps(flows.from_frame[k], grid_x, grid_y))
        gather.append(_sampling_maps(flows.to_frame[k], grid_x, grid_y))
        weight = consistency_weight(flows.to_frame[k], flows.from_frame[k], tolerance=tolerance)
        weights.append(
            np.asarray(cv2.resize(weight, (big_w, big_h), interpolation=cv2.INTER_LINEAR))
        )
    total = weights[0].copy()
    for weight in weights[1:]:
        total += weight
    total = total[..., None]

    if luma_only:
        weights_709 = LUMA_BT709
        estimate = high @ weights_709
        observed = [low @ weights_709 for low in frames]
    else:
        estimate = high.copy()
        observed = frames
    start = estimate.copy()
    for _ in range(int(iterations)):
        correction = np.zeros_like(estimate)
        for k, low in enumerate(observed):
            maps = simulate[k]
            seen = (
                estimate
                if maps is None
                else cv2.remap(
                    estimate, maps[0], maps[1], _SIM_INTERP, borderMode=cv2.BORDER_REPLICATE
                )
            )
            error = low - cv2.resize(seen, (small_w, small_h), interpolation=cv2.INTER_AREA)
            spread = cv2.resize(error, (big_w, big_h), interpolation=_BP_INTERP)
            back = gather[k]
            if back is not None:
                spread = cv2.remap(
                    spread, back[0], back[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
                )
            correction += spread * (weights[k] if luma_only else weights[k][..., None])
        estimate += np.float32(step) * correction / (total[..., 0] if luma_only else total)
    out = high + (estimate - start)[..., None] if luma_only else estimate
    return np.clip(out, 0.0, 1.0, out=out)
