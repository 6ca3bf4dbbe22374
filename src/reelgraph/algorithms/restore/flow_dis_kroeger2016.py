"""Dense optical flow between the frames of a temporal window (DIS), and warping by it.

Reference
    T. Kroeger, R. Timofte, D. Dai and L. Van Gool, "Fast optical flow using dense
    inverse search", *ECCV* 2016 — computed by ``cv2.DISOpticalFlow`` (presets
    ``ultrafast``/``fast``/``medium``). Occlusions are found with the forward-backward
    consistency test (e.g. N. Sundaram, T. Brox and K. Keutzer, "Dense point
    trajectories by GPU-accelerated large displacement optical flow", *ECCV* 2010, Eq. 5):
    a pixel whose flow to a neighbour and back does not return within a tolerance has no
    reliable match there.

The flow is estimated on lightly smoothed 8-bit BT.709 luma, so noise does not steer it.
A flow ``f`` from frame A to frame B means: pixel ``x`` of A shows what pixel
``x + f(x)`` of B shows, so ``warp(B, f)`` brings B onto A's pixel grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from reelgraph.algorithms.restore._checks import luma_bt709, to_u8
from reelgraph.errors import AlgorithmError

__all__ = [
    "DEFAULT_FLOW_PRESET",
    "FLOW_PRESETS",
    "FlowCache",
    "WindowFlows",
    "consistency_weight",
    "flow_image",
    "warp_by_flow",
    "window_flows",
]

#: name -> (OpenCV preset, finest pyramid scale or None for the preset's own). "balanced"
#: is OpenCV's "fast" searched down to half resolution (as "medium" is): on sources of
#: 100-250 lines it gets within 0.01 dB of "medium" in the restoration chain at three
#: quarters of its cost ("fast" loses 0.1 dB).
FLOW_PRESETS: dict[str, tuple[int, int | None]] = {
    "ultrafast": (cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, None),
    "fast": (cv2.DISOPTICAL_FLOW_PRESET_FAST, None),
    "balanced": (cv2.DISOPTICAL_FLOW_PRESET_FAST, 1),
    "medium": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, None),
}


#: The preset every flow user defaults to.
DEFAULT_FLOW_PRESET = "balanced"

#: Lines of the finest pyramid level a preset with its own finest scale searches at most:
#: the sizes "balanced" was measured on. Larger frames start the search one octave coarser
#: per doubling (1080p at a quarter, as OpenCV's "fast" does), which costs a quarter as
#: much per octave and loses nothing the 8-pixel patches of the finest level could resolve.
FINEST_LEVEL_LINES = 270


def finest_scale(preset: str, height: int) -> int | None:
    """The pyramid level DIS stops at for frames ``height`` lines tall (None: the preset's).

    >>> finest_scale("balanced", 360), finest_scale("balanced", 1080), finest_scale("fast", 1080)
    (1, 2, None)
    """
    if preset not in FLOW_PRESETS:
        raise AlgorithmError(
            f"unknown flow preset {preset!r}", hint=f"use one of: {', '.join(FLOW_PRESETS)}"
        )
    finest = FLOW_PRESETS[preset][1]
    if finest is None:
        return None
    octaves = int(np.floor(np.log2(max(height, 1) / FINEST_LEVEL_LINES)))
    return max(finest, octaves)


def _engine(preset: str, height: int = 0, *, refine: bool = True) -> cv2.DISOpticalFlow:
    finest = finest_scale(preset, height)
    engine = cv2.DISOpticalFlow.create(FLOW_PRESETS[preset][0])
    if finest is not None:
        engine.setFinestScale(finest)
    if not refine:
        engine.setVariationalRefinementIterations(0)
    return engine


def _calc(engine: cv2.DISOpticalFlow, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Flow from ``first`` to ``second`` (uint8 images), float32 (H, W, 2)."""
    flow = engine.calc(first, second, None)  # type: ignore[call-overload]  # None: no initial flow
    return np.asarray(flow, dtype=np.float32)


@dataclass(frozen=True)
class WindowFlows:
    """Flows between the centre of a window and every frame of it (zeros for the centre)."""

    to_frame: tuple[np.ndarray, ...]
    """``to_frame[k]``: flow from the centre frame to frame k, float32 (H, W, 2)."""
    from_frame: tuple[np.ndarray, ...] | None
    """``from_frame[k]``: flow from frame k to the centre frame, or None if not computed."""


def flow_image(frame: np.ndarray) -> np.ndarray:
    """The 8-bit, lightly smoothed luma the flow estimator sees, (H, W) uint8."""
    grey = to_u8(luma_bt709(frame)[..., None])[..., 0]
    return cv2.GaussianBlur(grey, (0, 0), 1.0)


def window_flows(
    frames: Sequence[np.ndarray],
    centre: int,
    *,
    preset: str = DEFAULT_FLOW_PRESET,
    both_directions: bool = False,
) -> WindowFlows:
    """DIS flows from the centre frame to each frame (and back, if asked).

    ===================  ===============================================
    ``frames``           float32 ``(H, W, 3)`` frames of one window
    ``centre``           index of the reference frame
    ``preset``           a name in :data:`FLOW_PRESETS`
    ``both_directions``  also compute each frame -> centre flow
    output               :class:`WindowFlows`
    ===================  ===============================================

    >>> texture = cv2.GaussianBlur(np.random.default_rng(0).random((64, 96)), (0, 0), 2)
    >>> scene = lambda t: np.repeat(texture[:, 8 - t : 88 - t, None], 3, 2).astype(np.float32)
    >>> flows = window_flows([scene(0), scene(2)], 0)  # content moves 2 px right
    >>> round(float(np.median(flows.to_frame[1][..., 0])), 1)
    2.0
    """
    height, width = frames[centre].shape[:2]
    engine = _engine(preset, height)
    zero = np.zeros((height, width, 2), dtype=np.float32)
    if min(height, width) < 8:  # DIS needs a few patches; tiny frames get no motion
        zeros = tuple(zero for _ in frames)
        return WindowFlows(zeros, zeros if both_directions else None)
    images = [flow_image(f) for f in frames]
    reference = images[centre]
    to_frame = tuple(
        zero if k == centre else _calc(engine, reference, image) for k, image in enumerate(images)
    )
    from_frame = None
    if both_directions:
        from_frame = tuple(
            zero if k == centre else _calc(engine, image, reference)
            for k, image in enumerate(images)
        )
    return WindowFlows(to_frame, from_frame)


@lru_cache(maxsize=4)
def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (x, y) of a frame size; read-only, shared by every warp of it."""
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    grid_x.flags.writeable = grid_y.flags.writeable = False
    return grid_x, grid_y


def warp_by_flow(
    image: np.ndarray,
    flow: np.ndarray,
    *,
    interpolation: int = cv2.INTER_CUBIC,
    rows: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``image`` at ``x + flow(x)``; returns (warped, inside-the-frame mask).

    ``flow`` may be at a lower resolution than ``image``: it is resized and its vectors
    scaled by the size ratio (flows estimated at source resolution drive warps of the
    upscaled frames). ``rows`` = (first, stop): only those rows of the output, from the
    same rows of a full-size ``flow`` (the same values as the whole warp's rows).
    """
    height, width = image.shape[:2]
    if flow.shape[:2] != (height, width):
        sy, sx = height / flow.shape[0], width / flow.shape[1]
        flow = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
        flow = flow * np.array([sx, sy], dtype=np.float32)
    grid_x, grid_y = _grid(height, width)
    if rows is not None:
        grid_x, grid_y, flow = (
            grid_x[rows[0] : rows[1]],
            grid_y[rows[0] : rows[1]],
            flow[rows[0] : rows[1]],
        )
    map_x = grid_x + flow[..., 0]
    map_y = grid_y + flow[..., 1]
    # One vectorised range test per axis (OpenCV's inRange), then one AND.
    inside = (
        cv2.bitwise_and(
            cv2.inRange(map_x, 0.0, float(width - 1)), cv2.inRange(map_y, 0.0, float(height - 1))
        )
        != 0
    )
    warped = cv2.remap(
        image, map_x, map_y, interpolation=interpolation, borderMode=cv2.BORDER_REPLICATE
    )
    return warped, inside


def consistency_weight(
    forward: np.ndarray, backward: np.ndarray, *, tolerance: float = 0.5
) -> np.ndarray:
    """Forward-backward consistency weight in [0, 1] of a pair of flows, (H, W) float32.

    ``forward`` goes A -> B, ``backward`` B -> A (same resolution). The weight is
    ``exp(-|f(x) + b(x + f(x))|^2 / (2 tolerance^2))``: 1 where the round trip closes,
    ~0 at occlusions and flow failures.
    """
    back_at, inside = warp_by_flow(backward, forward, interpolation=cv2.INTER_LINEAR)
    loop = forward + back_at
    error = loop[..., 0] * loop[..., 0] + loop[..., 1] * loop[..., 1]
    weight = np.exp(-error / np.float32(2.0 * tolerance**2))
    return (weight * inside).astype(np.float32)


class FlowCache:
    """Flows between frames of a stream, computed once per ordered pair and reused.

    A sliding temporal window of radius r needs every ordered pair of frames up to r
    apart twice (once from each end); a streaming agent keeps one cache per stream and
    calls :meth:`evict_before` as the window moves, so memory stays bounded by the
    window. Positions are the caller's frame numbers.

    >>> frames = [np.full((16, 16, 3), v, np.float32) for v in (0.2, 0.3, 0.4)]
    >>> cache = FlowCache("fast")
    >>> flows = cache.window({0: frames[0], 1: frames[1], 2: frames[2]}, 1, both_directions=True)
    >>> len(flows.to_frame), cache.computed
    (3, 4)
    """

    def __init__(
        self, preset: str = DEFAULT_FLOW_PRESET, *, concatenate: bool = True, refine: bool = True
    ) -> None:
        """``refine``: DIS's variational refinement of each pyramid level (Kroeger et al.
        §2.3); off, the patch search's densified flow is used as it is (40 % less per
        search at 1080p)."""
        self._preset = preset
        self._concatenate = concatenate
        self._refine = refine
        self._engines: dict[int, cv2.DISOpticalFlow] = {0: _engine(preset, refine=refine)}
        self._images: dict[int, np.ndarray] = {}
        self._flows: dict[tuple[int, int], np.ndarray] = {}
        self.computed = 0
        """Number of flows estimated so far (for tests and cost accounting)."""

    def _image(self, position: int, frame: np.ndarray) -> np.ndarray:
        if position not in self._images:
            self._images[position] = flow_image(frame)
        return self._images[position]

    def flow(self, a: int, b: int, frames: dict[int, np.ndarray]) -> np.ndarray:
        """Flow from frame ``a`` to frame ``b`` (zeros when a == b or frames are tiny).

        With ``concatenate`` (the default), frames more than one apart are reached by
        concatenating the adjacent flows along the way, ``f(a→c)(x) = f(a→b)(x) +
        f(b→c)(x + f(a→b)(x))``: one bilinear warp of a flow field instead of a DIS
        search, so a window of radius r estimates 2 flows a frame, not 2r. Measured with
        the chain's temporal denoiser at 1080p (5 frames, σ 2–6 codes): within 0.02 dB of
        searching each pair, at about three quarters of the restore's cost; where the
        concatenation drifts (occlusions, long windows), the denoiser's patch test gives
        the sample no weight. Super-resolution needs every neighbour registered to a
        fraction of a pixel, and there the drift cost 0.03 dB (``benchmarks/restore.py``):
        the chain searches each pair when it upscales.
        """
        key = (a, b)
        if key not in self._flows:
            height, width = frames[a].shape[:2]
            step = 1 if b > a else -1
            if a == b or min(height, width) < 8:
                self._flows[key] = np.zeros((height, width, 2), dtype=np.float32)
            elif self._concatenate and abs(b - a) > 1 and a + step in frames:
                first = self.flow(a, a + step, frames)
                rest = self.flow(a + step, b, frames)
                self._flows[key] = (
                    first + warp_by_flow(rest, first, interpolation=cv2.INTER_LINEAR)[0]
                )
            else:
                image_a, image_b = self._image(a, frames[a]), self._image(b, frames[b])
                if height not in self._engines:
                    self._engines[height] = _engine(self._preset, height, refine=self._refine)
                self._flows[key] = _calc(self._engines[height], image_a, image_b)
                self.computed += 1
        return self._flows[key]

    def window(
        self, frames: dict[int, np.ndarray], centre: int, *, both_directions: bool = False
    ) -> WindowFlows:
        """:class:`WindowFlows` of the frames (position -> frame) around ``centre``."""
        positions = sorted(frames)
        to_frame = tuple(self.flow(centre, k, frames) for k in positions)
        from_frame = None
        if both_directions:
            from_frame = tuple(self.flow(k, centre, frames) for k in positions)
        return WindowFlows(to_frame, from_frame)

    def evict_before(self, position: int) -> None:
        """Forget images and flows that involve frames before ``position``."""
        self._images = {k: v for k, v in self._images.items() if k >= position}
        self._flows = {k: v for k, v in self._flows.items() if min(k) >= position}
