"""Temporal flicker not explained by motion: the motion-compensated (warping) difference.

References:

* W.-S. Lai, J.-B. Huang, O. Wang, E. Shechtman, E. Yumer, M.-H. Yang, "Learning Blind
  Video Temporal Consistency", ECCV 2018, §4 eq. (4)–(5): temporal consistency measured as
  the *warping error* between a frame and its predecessor warped onto it by optical flow,
  over non-occluded pixels.
* T. Kroeger, R. Timofte, D. Dai, L. Van Gool, "Fast Optical Flow using Dense Inverse
  Search", ECCV 2016 (OpenCV ``DISOpticalFlow``), for the flow.
* N. Sundaram, T. Brox, K. Keutzer, "Dense point trajectories by GPU-accelerated large
  displacement optical flow", ECCV 2010, eq. (5): the forward–backward consistency test
  ``|w_f + w_b|² ≤ α(|w_f|² + |w_b|²) + β`` that marks occluded pixels (used by Lai et al.
  via Ruder et al. 2016).

Per frame pair (:func:`flicker_pair`), on luma ``Y′`` downscaled to at most ``max_width``:

1. DIS flow current → previous and previous → current; the previous frame is warped onto
   the current one (``cv2.remap``, bilinear); pixels whose flow leaves the frame or fails the
   forward–backward test are invalid.
2. ``d = Y′_t − warp(Y′_{t−1})`` over valid pixels. A global gain/offset model
   ``d ≈ a + b·(warp − mean)`` is fitted by least squares; the **global** change is the
   median of ``d − b·(warp − mean)`` (robust mean-luma change, signed).
3. The residual ``d − a − b·(warp − mean)`` is averaged over ``block_size`` blocks (at
   least half valid); the **local** change is the signed mean of the blocks at or above the
   ``local_percentile`` of absolute block residuals (one flickering region dominates it).
4. A hard cut is declared when fewer than ``min_valid_fraction`` of pixels are valid or the
   correlation of the current frame with the warped previous one is below
   ``cut_correlation`` (gain and offset, i.e. flicker itself, do not lower a correlation).
   Cut frames get NaN changes and never count as flicker; so do pairs where either
   picture is flat (``Y′`` standard deviation under 0.01: black, a white flash frame), whose
   brightness steps the black and flash checks own.

Over the series (:func:`detect_flicker`): a frame flickers when its change reaches the
threshold and a change of the opposite sign reaching the threshold occurs within
``reversal_seconds`` — flicker goes up *and* down, while fades and exposure ramps change
monotonically. Flagged frames closer than the reversal window are merged and runs shorter
than ``min_frames`` dropped.

===========================  ======================  =====================================
quantity                     dtype, shape            domain / unit
===========================  ======================  =====================================
``luma``                     float32 ``(H, W)``      ``Y′`` normalised [0, 1]; finite
global / local change        float ``(n,)``          ``Y′`` units per frame, signed; NaN
                                                     at frame 0, at cuts, or unmeasurable
valid fraction, correlation  float ``(n,)``          [0, 1], [−1, 1]
===========================  ======================  =====================================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> base = rng.random((120, 160)).astype(np.float32)
>>> base = np.asarray(__import__("cv2").GaussianBlur(base, (0, 0), 3) * 2.5 - 0.75,
...                   dtype=np.float32).clip(0, 1)
>>> tracker = FlickerTracker()
>>> values = [tracker.push(np.clip(base + 0.04 * (k % 2), 0, 1)) for k in range(6)]
>>> [round(float(v.global_change), 2) for v in values[1:]]
[0.04, -0.04, 0.04, -0.04, 0.04]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import maximum_filter1d

from reelgraph.algorithms.qc._frames import round_fps, series_1d, validate_plane, working_frame
from reelgraph.algorithms.qc.findings import Finding, Severity, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = [
    "FlickerPair",
    "FlickerParameters",
    "FlickerTracker",
    "detect_flicker",
    "flicker_pair",
    "reversal_mask",
    "working_luma",
]

STANDARD = "motion-compensated warping difference (Lai et al. 2018; DIS flow)"

_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}

#: Smallest working size (pixels per side) on which the flow is meaningful.
MIN_SIZE = 32
#: Standard deviation of ``Y′`` below which a picture is flat and not measured.
_FLAT_STD = 0.01


@dataclass(frozen=True)
class FlickerParameters:
    """Parameters of the flicker check."""

    max_width: int = 480
    """Luma is downscaled (area average) to at most this width for the flow."""
    flow_preset: Literal["ultrafast", "fast", "medium"] = "ultrafast"
    """DIS preset (speed/quality trade-off)."""
    global_threshold: float = 0.01
    """Global mean-``Y′`` change per frame that counts as flicker (1 % of the range)."""
    local_threshold: float = 0.02
    """Local (block) residual change that counts as flicker."""
    block_size: int = 16
    """Block side, in working-resolution pixels, for the local statistic."""
    local_percentile: float = 98.0
    """Blocks at or above this percentile of ``|residual|`` form the local statistic."""
    min_block_valid: float = 0.5
    """A block is used when at least this fraction of its pixels is valid."""
    consistency_alpha: float = 0.01
    """α of the forward–backward consistency test (Sundaram et al. 2010)."""
    consistency_beta: float = 0.5
    """β of the same test, in working-resolution pixels²."""
    min_valid_fraction: float = 0.3
    """Fewer valid pixels than this means the frames are not related: a cut."""
    cut_correlation: float = 0.5
    """Correlation of the frame with the warped previous frame below this: a cut."""
    reversal_seconds: float = 0.25
    """An opposite change must follow or precede within this time (flicker reverses)."""
    min_frames: int = 3
    """Shortest flicker segment reported, in frames."""
    severity: Severity = "warning"

    def __post_init__(self) -> None:
        if self.flow_preset not in _PRESETS:
            raise AlgorithmError(
                f"unknown flow_preset {self.flow_preset!r}; valid: {', '.join(_PRESETS)}"
            )
        if self.max_width < MIN_SIZE or self.block_size < 2:
            raise AlgorithmError(f"max_width must be >= {MIN_SIZE} and block_size >= 2")
        if self.global_threshold <= 0 or self.local_threshold <= 0:
            raise AlgorithmError("flicker thresholds must be positive")
        if not 0 < self.local_percentile <= 100:
            raise AlgorithmError("local_percentile must lie in (0, 100]")
        if self.min_frames < 1:
            raise AlgorithmError("min_frames must be >= 1")


class FlickerPair(NamedTuple):
    """Flicker measurements of a frame against its predecessor."""

    global_change: float
    """Robust mean-``Y′`` change after motion compensation (signed), NaN at a cut."""
    local_change: float
    """Signed residual of the most-changed blocks after global compensation, NaN at a cut."""
    valid_fraction: float
    """Fraction of pixels with a consistent flow that stays inside the frame."""
    correlation: float
    """Correlation of the frame with the warped previous frame (NaN if either is flat)."""
    cut: bool


def working_luma(
    luma: NDArray[np.float32], max_width: int = FlickerParameters.max_width
) -> NDArray[np.float32]:
    """``Y′`` downscaled by area averaging to at most ``max_width`` pixels wide."""
    return working_frame(validate_plane(luma, "luma"), max_width)


def _nan_pair(valid: float = float("nan"), correlation: float = float("nan")) -> FlickerPair:
    return FlickerPair(float("nan"), float("nan"), valid, correlation, False)


def flicker_pair(
    previous: NDArray[np.float32],
    current: NDArray[np.float32],
    params: FlickerParameters | None = None,
    flow: cv2.DISOpticalFlow | None = None,
) -> FlickerPair:
    """Flicker measurements of ``current`` against ``previous`` (working-resolution luma).

    Frames smaller than :data:`MIN_SIZE` on a side cannot be compensated and give NaN.
    """
    params = params or FlickerParameters()
    validate_plane(previous, "previous")
    validate_plane(current, "current")
    if previous.shape != current.shape:
        raise AlgorithmError(f"frame size changed from {previous.shape} to {current.shape}")
    if flow is None:
        flow = cv2.DISOpticalFlow.create(_PRESETS[params.flow_preset])
    return _pair(previous, current, params, flow)


def _pair(
    previous: NDArray[np.float32],
    current: NDArray[np.float32],
    params: FlickerParameters,
    flow: cv2.DISOpticalFlow,
    grid: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None,
) -> FlickerPair:
    height, width = current.shape
    if height < MIN_SIZE or width < MIN_SIZE:
        return _nan_pair()
    # A flat picture (black, a white flash frame) has no structure to compensate motion
    # with: its brightness steps belong to the black and flash checks.
    if min(float(cv2.meanStdDev(previous)[1][0, 0]), float(cv2.meanStdDev(current)[1][0, 0])) < (
        _FLAT_STD
    ):
        return _nan_pair()
    previous8 = cv2.convertScaleAbs(previous, alpha=255.0)
    current8 = cv2.convertScaleAbs(current, alpha=255.0)
    # current(x) ≈ previous(x + backward(x)); forward is the reverse flow for the check.
    backward = _calc_flow(flow, current8, previous8)
    forward = _calc_flow(flow, previous8, current8)
    grid_x, grid_y = grid if grid is not None else _grid(height, width)
    back_x, back_y = cv2.split(backward)
    map_x = grid_x + back_x
    map_y = grid_y + back_y
    warped = np.asarray(
        cv2.remap(previous, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
        dtype=np.float32,
    )
    forward_at = cv2.remap(forward, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    fwd_x, fwd_y = cv2.split(forward_at)
    # Sundaram et al. (2010) eq. (5): |w_b + w_f(x + w_b)|² <= α(|w_b|² + |w_f|²) + β.
    error = (back_x + fwd_x) ** 2 + (back_y + fwd_y) ** 2
    magnitude = back_x * back_x + back_y * back_y + fwd_x * fwd_x + fwd_y * fwd_y
    valid = error <= params.consistency_alpha * magnitude + params.consistency_beta
    valid &= (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    valid_count = int(np.count_nonzero(valid))
    valid_fraction = valid_count / valid.size
    if valid_fraction < params.min_valid_fraction:
        return FlickerPair(float("nan"), float("nan"), valid_fraction, float("nan"), True)

    cur = current[valid]
    prev = warped[valid]
    cur_mean = float(cur.mean(dtype=np.float64))
    prev_mean = float(prev.mean(dtype=np.float64))
    prev_centered = prev - np.float32(prev_mean)
    cur_centered = cur - np.float32(cur_mean)
    prev_var = float(np.dot(prev_centered, prev_centered)) / valid_count
    cur_var = float(np.dot(cur_centered, cur_centered)) / valid_count
    correlation = float("nan")
    if cur_var > 1e-8 and prev_var > 1e-8:
        covariance = float(np.dot(cur_centered, prev_centered)) / valid_count
        correlation = covariance / float(np.sqrt(cur_var * prev_var))
        if correlation < params.cut_correlation:
            return FlickerPair(float("nan"), float("nan"), valid_fraction, correlation, True)

    difference = cur - prev
    gain = 0.0
    if prev_var > 1e-8:
        gain = float(np.dot(difference - np.float32(cur_mean - prev_mean), prev_centered))
        gain /= valid_count * prev_var
    gain_removed = difference - np.float32(gain) * prev_centered
    # The median of a regular subsample (~8k values): the same robust estimate, cheaper.
    global_change = float(np.median(gain_removed[:: max(1, valid_count // 8192)]))
    residual = np.zeros((height, width), dtype=np.float32)
    residual[valid] = gain_removed - np.float32(global_change)
    local_change = _local_statistic(residual, valid, params)
    return FlickerPair(global_change, local_change, valid_fraction, correlation, False)


def _calc_flow(
    flow: cv2.DISOpticalFlow, first: NDArray[Any], second: NDArray[Any]
) -> NDArray[np.float32]:
    """Dense flow with ``first(x) ≈ second(x + flow(x))``, ``(H, W, 2)`` float32."""
    # No output buffer: DIS may read one as its initial flow (an uninitialised buffer
    # crashes it), and OpenCV's stubs do not list ``None`` although it is the documented way.
    return np.asarray(flow.calc(first, second, None), dtype=np.float32)  # type: ignore[call-overload]


def _grid(height: int, width: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    return grid_x, grid_y


def _local_statistic(
    residual: NDArray[np.floating], valid: NDArray[np.bool_], params: FlickerParameters
) -> float:
    block = params.block_size
    rows, cols = residual.shape[0] // block, residual.shape[1] // block
    if rows * cols < 4:
        return float("nan")
    crop = (slice(0, rows * block), slice(0, cols * block))
    sums = residual[crop].reshape(rows, block, cols, block).sum(axis=(1, 3))
    counts = valid[crop].reshape(rows, block, cols, block).sum(axis=(1, 3))
    usable = counts >= params.min_block_valid * block * block
    if np.count_nonzero(usable) < 4:
        return float("nan")
    means = sums[usable].astype(np.float64) / counts[usable]
    cutoff = np.percentile(np.abs(means), params.local_percentile)
    top = means[np.abs(means) >= cutoff]
    return float(np.mean(top))


class FlickerTracker:
    """Streaming flicker measurement: keeps the previous working-resolution luma only."""

    def __init__(self, params: FlickerParameters | None = None) -> None:
        self.params = params or FlickerParameters()
        self._flow = cv2.DISOpticalFlow.create(_PRESETS[self.params.flow_preset])
        self._previous: NDArray[np.float32] | None = None
        self._grid: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None

    def push(self, luma: NDArray[np.float32]) -> FlickerPair:
        """Measure the next frame's full-resolution ``Y′`` against the previous one."""
        return self.push_working(working_luma(luma, self.params.max_width))

    def push_working(self, small: NDArray[np.float32]) -> FlickerPair:
        """Same as :meth:`push` for luma already at working resolution."""
        previous, self._previous = self._previous, small
        if previous is None or previous.shape != small.shape:
            return _nan_pair()
        if self._grid is None or self._grid[0].shape != small.shape:
            self._grid = _grid(*small.shape)
        return _pair(previous, small, self.params, self._flow, self._grid)


def reversal_mask(changes: ArrayLike, threshold: float, window: int) -> NDArray[np.bool_]:
    """Frames whose change reaches ``threshold`` with an opposite one within ``window``.

    NaN changes (first frame, cuts) never qualify and never serve as the reversal.
    """
    values = series_1d(changes, "changes")
    if values.size == 0:
        return np.zeros(0, dtype=bool)
    finite = np.where(np.isfinite(values), values, 0.0)
    up = finite >= threshold
    down = finite <= -threshold
    size = 2 * int(window) + 1
    up_near = maximum_filter1d(up.astype(np.uint8), size=size, mode="constant") > 0
    down_near = maximum_filter1d(down.astype(np.uint8), size=size, mode="constant") > 0
    return np.asarray((up & down_near) | (down & up_near), dtype=bool)


def detect_flicker(
    global_change: ArrayLike,
    local_change: ArrayLike,
    fps: float,
    params: FlickerParameters | None = None,
) -> list[Finding]:
    """Flicker findings from the per-frame global and local change series.

    ``value`` is the median absolute frame-to-frame change over the segment (for a
    brightness that alternates ±A that is 2A, the peak-to-peak flicker).
    """
    params = params or FlickerParameters()
    window = max(1, round(params.reversal_seconds * round_fps(fps)))
    findings: list[Finding] = []
    for kind, series, threshold in (
        ("global", global_change, params.global_threshold),
        ("local", local_change, params.local_threshold),
    ):
        values = np.asarray(series, dtype=np.float64)
        mask = reversal_mask(values, threshold, window)
        for start, end in mask_to_segments(mask, min_frames=params.min_frames, max_gap=window):
            segment = values[start : end + 1]
            flagged = segment[mask[start : end + 1]]
            value = float(np.median(np.abs(flagged)))
            where = "over the whole picture" if kind == "global" else "in part of the picture"
            findings.append(
                Finding(
                    check="flicker",
                    severity=params.severity,
                    start_frame=int(start),
                    end_frame=int(end),
                    value=value,
                    limit=float(threshold),
                    standard=STANDARD,
                    message=(
                        f"{kind} flicker {where}: luma changes by {value:.3f} per frame "
                        f"(up and down) after motion compensation, frames {start}–{end}"
                    ),
                )
            )
    findings.sort(key=lambda finding: (finding.start_frame, finding.end_frame))
    return findings
