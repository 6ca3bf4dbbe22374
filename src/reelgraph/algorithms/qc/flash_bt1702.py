"""Photosensitive flashes: general (luminance) and red flashes per ITU-R BT.1702, as EA IRIS.

References:

* ITU-R BT.1702-2 (2023), *Guidance for the reduction of photosensitive epileptic seizures
  caused by television*: a flash is a pair of opposing changes in luminance of at least
  20 cd/m² (10 % of a 200 cd/m² display) where the darker image is below 160 cd/m² (0.8),
  counted only when the flashing area exceeds 25 % of the screen; more than three flashes
  in any one-second period is harmful; transitions to or from saturated red likewise.
  Ofcom's *Guidance Note on Flashing Images and Regular Patterns* and W3C WCAG 2.x
  success criterion 2.3.1 (general and red flash thresholds) say the same.
* Electronic Arts IRIS (github.com/electronicarts/IRIS, BSD-3-Clause), the open
  Harding-style implementation this module reproduces frame for frame: ``Flash.cpp``
  (accumulation of same-direction changes over at most one second, transition rule),
  ``RelativeLuminance.h``, ``RedSaturation.h``, ``TransitionTracker.cpp`` (1-s counts,
  4-s/5-s extended-failure rule) and ``appsettings.json`` (thresholds).

Per frame (pure, vectorised, :func:`flash_frame_values`):

1. ``R′G′B′`` is quantised to 8-bit codes and linearised with a 256-entry table of the
   sRGB EOTF (IEC 61966-2-1; IRIS's ``sRGBValues``) or of BT.1886 (γ 2.4, zero black).
2. Relative luminance ``Y = 0.2126 R + 0.7152 G + 0.0722 B`` (BT.709/sRGB primaries;
   BT.2020 weights on request), and red saturation ``(R − G − B)·320`` where
   ``R / (R + G + B) ≥ 0.8``, else 0 (IRIS's scale: 0–320).

Per frame pair (:func:`flash_pair_values`): the flashing area is the fraction of pixels
that changed — exactly (any change, ``area_method="iris"``) or by at least
``threshold · max_transitions / fps`` (``"delta"``, the default; the smallest per-frame
change of a pixel that takes part in a sequence that could fail, so compression noise and
small moving objects do not count). When the area reaches ``area_proportion`` (25 %) the
frame's change is the change of the frame means, else 0.

Over the series (pure, :func:`evaluate_flash_series`): same-direction changes accumulate
(over at most one second, zero counting as either direction); a *transition* is counted
when the accumulated change reaches the threshold (0.1 luminance, 20 red) for the first
time in that direction and, for luminance, the darker of the two frame means is below 0.8.
Transitions are counted over a sliding window of ``round(fps)`` frames: more than 6
(3 flashes) fails (result 3); at least 4 warns (result 1); a frame whose window holds 4–6
transitions counts towards extended failure, and when at least 4 s of such frames fall
within the last 5 s the frame is an extended failure (result 2).

=====================  ==========================  ===================================
quantity               dtype, shape                domain / unit
=====================  ==========================  ===================================
``frame``              float32 ``(H, W, 3)``       display-referred ``R′G′B′`` in [0, 1]
                       or uint8 ``(H, W, 3)``      8-bit codes (IRIS's input)
luminance map          float32 ``(H, W)``          relative luminance, linear, [0, 1]
red map                float32 ``(H, W)``          IRIS red saturation, [0, 320]
transitions            int ``(n,)``                count in the last second (≥ 0)
result                 int8 ``(n,)``               0 pass, 1 warning, 2 extended fail,
                                                   3 flash fail
=====================  ==========================  ===================================

>>> import numpy as np
>>> fps = 25.0
>>> frames = [np.full((8, 8, 3), float(k % 4 < 2), np.float32) for k in range(50)]
>>> analyser = FlashAnalyser(fps)
>>> for frame in frames:
...     analyser.push(frame)
>>> series = analyser.series()
>>> int(series.luminance.transitions.max()), int(series.luminance.result.max())
(13, 3)
>>> [(f.check, f.severity, f.start_frame) for f in analyser.findings()]
[('flash', 'fail', 2)]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, NamedTuple

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc._frames import (
    LUMA_WEIGHTS,
    compare_scalar,
    equal_series,
    round_fps,
    to_codes8,
    validate_rgb,
    working_frame,
)
from reelgraph.algorithms.qc.findings import Finding, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = [
    "FlashAnalyser",
    "FlashChannel",
    "FlashFrame",
    "FlashPair",
    "FlashParameters",
    "FlashSeries",
    "evaluate_flash_series",
    "flash_findings",
    "flash_frame_values",
    "flash_pair_values",
    "linearisation_table",
]

STANDARD = "ITU-R BT.1702 / WCAG 2.3.1 (EA IRIS method)"

FLASH_RESULTS = ("pass", "warning", "extended fail", "flash fail")

#: Relative luminance Y of linear R, G, B per primaries: the luma weights of the matrix
#: standardised with those primaries are derived from the same Y row (BT.709 §3.2, BT.2020
#: Table 4), so one set of numbers serves both.
_PRIMARY_WEIGHTS = {name: LUMA_WEIGHTS[name] for name in ("bt709", "bt2020")}


@dataclass(frozen=True)
class FlashParameters:
    """Thresholds of the flash checks; defaults are BT.1702's, as in IRIS's settings."""

    luminance_flash_threshold: float = 0.1
    """Relative-luminance change that makes a transition (10 % = 20 cd/m² at 200 cd/m²)."""
    dark_luminance_threshold: float = 0.8
    """A luminance transition counts only if the darker frame mean is below this."""
    red_flash_threshold: float = 20.0
    """Red-saturation change that makes a red transition (IRIS scale, 0–320)."""
    red_dark_threshold: float = 321.0
    """Darker-frame limit for red transitions; above 320 means no limit (IRIS)."""
    red_saturation_ratio: float = 0.8
    """A pixel is saturated red when ``R / (R + G + B)`` (linear) reaches this."""
    area_proportion: float = 0.25
    """Smallest fraction of the screen that must change for a transition (25 %)."""
    area_method: Literal["delta", "iris"] = "delta"
    """How changed pixels are counted: ``"iris"`` any change (bit-exact IRIS), ``"delta"``
    changes of at least ``threshold · max_transitions / fps`` (robust to noise)."""
    max_transitions: int = 6
    """More transitions than this in one second fail (more than 3 flashes)."""
    min_transitions: int = 4
    """Frames with at least this many (and at most ``max_transitions``) transitions count
    towards extended failure."""
    warning_transitions: int = 4
    """At least this many transitions in one second give a warning."""
    extended_fail_seconds: int = 4
    """Seconds of 4–6-transition frames, within the extended window, that fail."""
    extended_fail_window: int = 5
    """Length of the extended-failure window in seconds."""
    transfer: Literal["srgb", "bt1886"] = "srgb"
    """EOTF used to linearise ``R′G′B′``: sRGB piecewise (IRIS) or BT.1886 γ = 2.4."""
    primaries: Literal["bt709", "bt2020"] = "bt709"
    """Primaries, for the luminance weights."""
    analysis_width: int | None = 480
    """Wider frames are area-averaged on their 8-bit codes to this width first (as IRIS's
    ``FrameResizeEnabled``, whose usual proportion 0.2 gives 384 px at 1080p); a flash
    must cover 25 % of the screen, so 480 px is ample.
    ``None`` analyses every pixel."""

    def __post_init__(self) -> None:
        if self.area_method not in ("delta", "iris"):
            raise AlgorithmError(f"unknown area_method {self.area_method!r}; valid: delta, iris")
        if self.transfer not in ("srgb", "bt1886"):
            raise AlgorithmError(
                f"unsupported transfer {self.transfer!r}; valid: srgb, bt1886",
                hint="PQ/HLG (HDR) flash assessment needs absolute luminance; not provided",
            )
        if self.primaries not in _PRIMARY_WEIGHTS:
            raise AlgorithmError(
                f"unknown primaries {self.primaries!r}; valid: {', '.join(_PRIMARY_WEIGHTS)}"
            )
        if not 0.0 < self.area_proportion <= 1.0:
            raise AlgorithmError("area_proportion must lie in (0, 1]")
        if not (self.warning_transitions > 0 and 0 < self.min_transitions <= self.max_transitions):
            raise AlgorithmError("transition counts must be positive, min <= max")
        if not 0 < self.extended_fail_seconds <= self.extended_fail_window:
            raise AlgorithmError("need 0 < extended_fail_seconds <= extended_fail_window")
        if self.analysis_width is not None and self.analysis_width < 16:
            raise AlgorithmError("analysis_width must be >= 16 pixels or None")

    @classmethod
    def from_iris_settings(cls, settings: Mapping[str, Any], **overrides: Any) -> FlashParameters:
        """Parameters from an IRIS ``appsettings.json`` mapping (comments already removed).

        ``area_method`` defaults to ``"iris"`` here, since the settings come from IRIS, and
        frames are analysed at full resolution unless ``VideoAnalyser.FrameResizeEnabled``
        (then at ``ResizeFrameProportion`` of the width given as ``analysis_width``).
        """
        luminance = settings["Luminance"]
        red = settings["RedSaturation"]
        tracker = settings["TransitionTracker"]
        values: dict[str, Any] = {
            "luminance_flash_threshold": float(luminance["RelativeLuminanceFlashThreshold"]),
            "dark_luminance_threshold": float(luminance["RelativeDarkLuminanceThreshold"]),
            "red_flash_threshold": float(red["FlashThreshold"]),
            "red_dark_threshold": float(red["RedDarkThreshold"]),
            "area_proportion": float(settings["FlashDetection"]["AreaProportion"]),
            "max_transitions": int(tracker["MaxTransitions"]),
            "min_transitions": int(tracker["MinTransitions"]),
            "warning_transitions": int(tracker.get("WarningTransitions", 4)),
            "extended_fail_seconds": int(tracker["ExtendedFailSeconds"]),
            "extended_fail_window": int(tracker["ExtendedFailWindow"]),
            "area_method": "iris",
            "analysis_width": None,
        }
        known = {field.name for field in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise AlgorithmError(f"unknown FlashParameters fields: {', '.join(sorted(unknown))}")
        values.update(overrides)
        return cls(**values)


def linearisation_table(transfer: str = "srgb") -> NDArray[np.float32]:
    """Linear light of each 8-bit code (256 float32): sRGB EOTF or BT.1886 (γ 2.4)."""
    codes = np.arange(256, dtype=np.float64) / 255.0
    if transfer == "srgb":
        # IEC 61966-2-1, eq. (5): the same values as IRIS's "sRGBValues" table.
        linear = np.where(codes <= 0.04045, codes / 12.92, ((codes + 0.055) / 1.055) ** 2.4)
    elif transfer == "bt1886":
        # ITU-R BT.1886 Annex 1 with L_B = 0, L_W = 1: L = V^2.4.
        linear = codes**2.4
    else:
        raise AlgorithmError(f"unsupported transfer {transfer!r}; valid: srgb, bt1886")
    return linear.astype(np.float32)


class FlashFrame(NamedTuple):
    """Per-frame flash values: maps for the pair comparison and their means."""

    luminance: NDArray[np.float32]
    """Relative luminance, linear, ``(H, W)``."""
    red: NDArray[np.float32] | None
    """Red saturation ``(H, W)``, or ``None`` when no pixel is saturated red (all zero)."""
    luminance_mean: float
    red_mean: float


class FlashPair(NamedTuple):
    """Values of a frame against the previous one (IRIS's ``CheckSafeArea``)."""

    luminance_area: float
    """Fraction of pixels whose luminance changed (see ``area_method``)."""
    red_area: float
    luminance_diff: float
    """Change of mean luminance, or 0 when ``luminance_area < area_proportion``."""
    red_diff: float


class _Tables:
    """Look-up tables derived from the parameters (built once per analyser)."""

    def __init__(self, params: FlashParameters) -> None:
        self.linear = linearisation_table(params.transfer)
        k_r, k_g, k_b = _PRIMARY_WEIGHTS[params.primaries]
        self.weights = np.array([[k_r, k_g, k_b]], dtype=np.float32)
        # A pixel can be saturated red only if G and B are both at most R/4 in linear
        # light (R ≥ 0.8 (R + G + B)). ``red_bound[r]`` is the number of codes whose linear
        # value is at most lin(r)·(1 − ratio)/ratio (with a margin for float rounding), so
        # "G < red_bound[R] and B < red_bound[R]" keeps every candidate and few others.
        ratio = params.red_saturation_ratio
        bound = self.linear.astype(np.float64) * (1.0 - ratio) / ratio * (1.0 + 1e-3)
        counts = np.searchsorted(self.linear.astype(np.float64), bound, side="right")
        counts[0] = 0  # R = 0 is never saturated red
        self.red_bound = np.clip(counts, 0, 255).astype(np.uint8)
        self.ratio = np.float32(ratio)


def flash_frame_values(
    frame: NDArray[np.float32] | NDArray[np.uint8],
    params: FlashParameters | None = None,
) -> FlashFrame:
    """Relative-luminance and red-saturation maps of one ``R′G′B′`` frame, with means.

    The maps are at ``params.analysis_width`` when the frame is wider.
    """
    params = params or FlashParameters()
    codes = working_frame(to_codes8(validate_rgb(frame)), params.analysis_width)
    return _frame_values(codes, _Tables(params))


def _frame_values(codes: NDArray[np.uint8], tables: _Tables) -> FlashFrame:
    linear = np.asarray(cv2.LUT(codes, tables.linear), dtype=np.float32)
    height, width = codes.shape[:2]
    luminance = np.asarray(cv2.transform(linear, tables.weights), dtype=np.float32)
    luminance = luminance.reshape(height, width)
    red = _red_saturation(codes, linear, tables)
    luminance_mean = float(np.float32(cv2.mean(luminance)[0]))
    red_mean = 0.0 if red is None else float(np.float32(cv2.mean(red)[0]))
    return FlashFrame(luminance, red, luminance_mean, red_mean)


def _red_saturation(
    codes: NDArray[np.uint8], linear: NDArray[np.float32], tables: _Tables
) -> NDArray[np.float32] | None:
    red_code, green_code, blue_code = cv2.split(codes)
    bound = cv2.LUT(red_code, tables.red_bound)
    candidates = cv2.bitwise_and(
        cv2.compare(green_code, bound, cv2.CMP_LT), cv2.compare(blue_code, bound, cv2.CMP_LT)
    )
    if cv2.countNonZero(candidates) == 0:
        return None
    # Exact IRIS arithmetic in float32 on the rows that hold candidates: R / ((R + G) + B)
    # compared with 0.8f, value ((R − G) − B)·320 where positive.
    rows = np.flatnonzero(np.asarray(candidates).any(axis=1))
    first, last = int(rows[0]), int(rows[-1]) + 1
    r, g, b = cv2.split(np.ascontiguousarray(linear[first:last]))
    total = cv2.add(cv2.add(r, g), b)
    saturated = compare_scalar(cv2.divide(r, total), float(tables.ratio), cv2.CMP_GE)
    value = cv2.subtract(cv2.subtract(r, g), b)
    np.multiply(value, np.float32(320.0), out=value)
    keep = cv2.bitwise_and(saturated, compare_scalar(value, 0.0, cv2.CMP_GT))
    red = np.zeros(codes.shape[:2], dtype=np.float32)
    red[first:last] = cv2.bitwise_and(value, value, mask=keep)
    return red


def _area_delta(params: FlashParameters, fps: float) -> tuple[float, float]:
    """Per-pixel change thresholds (luminance, red) for ``area_method="delta"``."""
    if params.area_method == "iris":
        return 0.0, 0.0
    share = min(1.0, params.max_transitions / float(round_fps(fps)))
    return params.luminance_flash_threshold * share, params.red_flash_threshold * share


def flash_pair_values(
    previous: FlashFrame,
    current: FlashFrame,
    fps: float,
    params: FlashParameters | None = None,
) -> FlashPair:
    """Flash area and gated mean change of ``current`` against ``previous``."""
    params = params or FlashParameters()
    if previous.luminance.shape != current.luminance.shape:
        raise AlgorithmError(
            f"frame size changed from {previous.luminance.shape} to {current.luminance.shape}",
            hint="analyse each rendition separately; a clip must keep one frame size",
        )
    delta_luminance, delta_red = _area_delta(params, fps)
    pixels = current.luminance.size
    safe_pixels = int(pixels * params.area_proportion)
    luminance_changed = _changed(previous.luminance, current.luminance, delta_luminance)
    red_changed = _changed_optional(previous.red, current.red, delta_red)
    luminance_diff = (
        _f32_diff(current.luminance_mean, previous.luminance_mean)
        if luminance_changed >= safe_pixels
        else 0.0
    )
    red_diff = _f32_diff(current.red_mean, previous.red_mean) if red_changed >= safe_pixels else 0.0
    return FlashPair(luminance_changed / pixels, red_changed / pixels, luminance_diff, red_diff)


def _f32_diff(a: float, b: float) -> float:
    return float(np.float32(a) - np.float32(b))


def _changed(previous: NDArray[np.float32], current: NDArray[np.float32], delta: float) -> int:
    difference = cv2.absdiff(current, previous)
    if delta <= 0.0:
        return int(cv2.countNonZero(difference))
    return int(cv2.countNonZero(compare_scalar(difference, float(delta), cv2.CMP_GE)))


def _changed_optional(
    previous: NDArray[np.float32] | None, current: NDArray[np.float32] | None, delta: float
) -> int:
    if previous is None and current is None:
        return 0
    if previous is None or current is None:
        present = current if previous is None else previous
        assert present is not None
        if delta <= 0.0:
            return int(cv2.countNonZero(present))
        return int(cv2.countNonZero(compare_scalar(present, float(delta), cv2.CMP_GE)))
    return _changed(previous, current, delta)


@dataclass(frozen=True)
class FlashChannel:
    """One kind of flash (general or red) per frame: IRIS's frame log columns for it.

    All arrays have length ``n``.
    """

    mean: NDArray[np.float64]
    """Frame mean: relative luminance, or red saturation (0–320)."""
    area: NDArray[np.float64]
    """Fraction of pixels that changed against the previous frame (see ``area_method``)."""
    diff: NDArray[np.float64]
    """Change of the mean against the previous frame, or 0 below ``area_proportion``."""
    accumulated: NDArray[np.float64]
    """Same-direction changes accumulated over at most one second."""
    transitions: NDArray[np.int64]
    """Transitions in the one-second window ending at the frame."""
    extended_count: NDArray[np.int64]
    """Frames with 4–6 transitions in the extended-failure window ending at the frame."""
    result: NDArray[np.int8]
    """0 pass, 1 warning, 2 extended fail, 3 flash fail."""
    is_transition: NDArray[np.bool_]
    """The frame completes a transition."""

    @property
    def flash_frequency(self) -> NDArray[np.float64]:
        """Flashes per second (transitions / 2) in the window ending at each frame."""
        return self.transitions / 2.0


@dataclass(frozen=True)
class FlashSeries:
    """Per-frame flash series: general (luminance) flashes and red flashes."""

    luminance: FlashChannel
    red: FlashChannel


def _same_sign(a: np.float32, b: np.float32) -> bool:
    # IRIS treats 0 as both signs: a flat frame continues either trend.
    return bool((a <= 0 and b <= 0) or (a >= 0 and b >= 0))


def _detect_transitions(
    diffs: NDArray[np.float64],
    means: NDArray[np.float64],
    window: int,
    threshold: float,
    dark_threshold: float,
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """IRIS's accumulation (``Flash::CheckTransition``), float32 like the reference.

    Sequential by nature (the state resets whenever the direction changes), so this is a
    loop over per-frame scalars, not pixels.
    """
    count = diffs.size
    transitions = np.zeros(count, dtype=bool)
    accumulated = np.zeros(count, dtype=np.float64)
    thr = np.float32(threshold)
    dark = np.float32(dark_threshold)
    acc = np.float32(0.0)
    history: deque[np.float32] = deque([np.float32(0.0)])
    for i in range(1, count):
        diff = np.float32(diffs[i])
        last = acc
        if _same_sign(last, diff):
            if len(history) >= window:
                acc = np.float32(acc - history.popleft())
            history.append(diff)
            new = np.float32(diff + acc)
        else:
            history.clear()
            history.append(diff)
            new = diff
        darker = np.float32(min(means[i - 1], means[i]))
        if _same_sign(last, new) and abs(last) >= thr:
            transitions[i] = False  # this direction already made its transition
        else:
            transitions[i] = bool(abs(new) >= thr and darker < dark)
        acc = new
        accumulated[i] = float(new)
    return transitions, accumulated


def _window_sum(flags: NDArray[np.bool_], window: int) -> NDArray[np.int64]:
    cumulative = np.cumsum(flags, dtype=np.int64)
    shifted = np.zeros_like(cumulative)
    if window < cumulative.size:
        shifted[window:] = cumulative[:-window]
    return cumulative - shifted


def _results(
    transitions: NDArray[np.bool_], window: int, params: FlashParameters
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
    counts = _window_sum(transitions, window)
    extended_flags = (counts >= params.min_transitions) & (counts <= params.max_transitions)
    extended = _window_sum(extended_flags, params.extended_fail_window * window)
    result = np.zeros(counts.size, dtype=np.int8)
    result[counts >= params.warning_transitions] = 1
    extended_fail = (extended >= params.extended_fail_seconds * window) & (
        counts >= params.min_transitions
    )
    result[extended_fail] = 2
    result[counts > params.max_transitions] = 3
    if result.size:
        result[0] = 0  # IRIS evaluates from the second frame on
    return counts, extended, result


def evaluate_flash_series(
    luminance_mean: ArrayLike,
    luminance_diff: ArrayLike,
    red_mean: ArrayLike,
    red_diff: ArrayLike,
    fps: float,
    params: FlashParameters | None = None,
    *,
    luminance_area: ArrayLike | None = None,
    red_area: ArrayLike | None = None,
) -> FlashSeries:
    """Transitions, one-second counts and frame results from the per-frame scalars.

    ``*_diff[i]`` is the gated change of frame ``i`` against frame ``i − 1`` (element 0 is
    ignored). An empty series gives empty arrays.
    """
    params = params or FlashParameters()
    window = round_fps(fps)
    arrays = equal_series("flash", luminance_mean, luminance_diff, red_mean, red_diff)
    if any(not np.all(np.isfinite(a[1:] if k % 2 else a)) for k, a in enumerate(arrays)):
        raise AlgorithmError("flash series contain NaN or infinite values")
    lum_mean, lum_diff, r_mean, r_diff = arrays
    luminance = _channel(
        lum_mean, lum_diff, luminance_area, window, params.luminance_flash_threshold,
        params.dark_luminance_threshold, params,
    )  # fmt: skip
    red = _channel(
        r_mean, r_diff, red_area, window, params.red_flash_threshold,
        params.red_dark_threshold, params,
    )  # fmt: skip
    return FlashSeries(luminance=luminance, red=red)


def _channel(
    mean: NDArray[np.float64],
    diff: NDArray[np.float64],
    area: ArrayLike | None,
    window: int,
    threshold: float,
    dark_threshold: float,
    params: FlashParameters,
) -> FlashChannel:
    """Transitions, counts and results of one kind of flash (IRIS runs both alike)."""
    is_transition, accumulated = _detect_transitions(diff, mean, window, threshold, dark_threshold)
    transitions, extended_count, result = _results(is_transition, window, params)
    return FlashChannel(
        mean=mean,
        area=np.zeros(mean.size) if area is None else np.asarray(area, dtype=np.float64),
        diff=diff,
        accumulated=accumulated,
        transitions=transitions,
        extended_count=extended_count,
        result=result,
        is_transition=is_transition,
    )


def _violation_span(
    result: NDArray[np.int8], start: int, end: int, window: int, transitions: NDArray[np.intp]
) -> tuple[int, int]:
    """First and last transition of the windows that give a run its worst result.

    Flash failures (3) span the one-second windows of the failing frames; extended
    failures (2) the sustained sequence from the run's first warning; warnings (1) the whole
    run. Unrelated later transitions (e.g. a cut while the window still warns) stay out.
    """
    run = result[start : end + 1]
    low, high = start - window + 1, end
    flash_fail = np.flatnonzero(run == 3)
    extended = np.flatnonzero(run == 2)
    if flash_fail.size or extended.size:
        lows, highs = [], []
        if flash_fail.size:
            lows.append(start + int(flash_fail[0]) - window + 1)
            highs.append(start + int(flash_fail[-1]))
        if extended.size:
            lows.append(start - window + 1)
            highs.append(start + int(extended[-1]))
        low, high = min(lows), max(highs)
    inside = transitions[(transitions >= low) & (transitions <= high)]
    if inside.size == 0:
        return start, end
    return int(inside[0]), int(inside[-1])


def flash_findings(
    series: FlashSeries, fps: float, params: FlashParameters | None = None
) -> list[Finding]:
    """One finding per run of non-pass frames, for luminance (``flash``) and ``red_flash``.

    The finding spans the transitions of the windows that give the run its worst result
    (see :func:`_violation_span`) — the flashing frames themselves. Its severity is
    ``fail`` when any frame in the run is a flash or extended failure, else ``warning``;
    ``value`` is the highest flash frequency (flashes per second) in the run and ``limit``
    the largest allowed (``max_transitions / 2``).
    """
    params = params or FlashParameters()
    window = round_fps(fps)
    findings: list[Finding] = []
    kinds = (("flash", "luminance", series.luminance), ("red_flash", "red", series.red))
    limit = params.max_transitions / 2.0
    for check, label, channel in kinds:
        result, counts = channel.result, channel.transitions
        transition_frames = np.flatnonzero(channel.is_transition)
        for start, end in mask_to_segments(result > 0):
            first, last = _violation_span(result, int(start), int(end), window, transition_frames)
            run = result[start : end + 1]
            worst = int(run.max())
            peak = int(counts[start : end + 1].max())
            parts = [f"up to {peak} {label} transitions ({peak / 2:g} flashes) within 1 s"]
            for code, text in ((3, "flash failure"), (2, "extended failure")):
                hits = np.flatnonzero(run == code)
                if hits.size:
                    parts.append(
                        f"{text} on {hits.size} frames ({start + hits[0]}–{start + hits[-1]})"
                    )
            findings.append(
                Finding(
                    check=check,
                    severity="fail" if worst >= 2 else "warning",
                    start_frame=first,
                    end_frame=last,
                    value=peak / 2.0,
                    limit=limit,
                    standard=STANDARD,
                    message="; ".join(parts),
                )
            )
    return findings


class FlashAnalyser:
    """Streaming flash analysis: push frames, keep two frames of maps and per-frame scalars.

    Memory is bounded by two luminance (and red) maps whatever the clip length; the
    per-frame scalars are evaluated by :meth:`series` and :meth:`findings`.
    """

    def __init__(self, fps: float, params: FlashParameters | None = None) -> None:
        self.fps = float(fps)
        round_fps(self.fps)
        self.params = params or FlashParameters()
        self._tables = _Tables(self.params)
        self._previous: FlashFrame | None = None
        self._means: list[tuple[float, float]] = []
        self._pairs: list[FlashPair] = []

    @property
    def frames(self) -> int:
        return len(self._means)

    def push(self, frame: NDArray[np.float32] | NDArray[np.uint8]) -> None:
        """Analyse the next frame (float32 ``R′G′B′`` in [0, 1] or 8-bit codes)."""
        self.push_codes(to_codes8(validate_rgb(frame)))

    def push_codes(self, codes: NDArray[np.uint8]) -> None:
        """Analyse the next frame given as validated 8-bit ``R′G′B′`` codes."""
        current = _frame_values(working_frame(codes, self.params.analysis_width), self._tables)
        if self._previous is None:
            pair = FlashPair(0.0, 0.0, 0.0, 0.0)
        else:
            pair = flash_pair_values(self._previous, current, self.fps, self.params)
        self._previous = current
        self._means.append((current.luminance_mean, current.red_mean))
        self._pairs.append(pair)

    def series(self) -> FlashSeries:
        luminance_mean, red_mean = np.asarray(self._means, dtype=np.float64).reshape(-1, 2).T
        pairs = np.asarray(self._pairs, dtype=np.float64).reshape(-1, len(FlashPair._fields))
        luminance_area, red_area, luminance_diff, red_diff = pairs.T
        return evaluate_flash_series(
            luminance_mean, luminance_diff, red_mean, red_diff, self.fps, self.params,
            luminance_area=luminance_area, red_area=red_area,
        )  # fmt: skip

    def findings(self) -> list[Finding]:
        return flash_findings(self.series(), self.fps, self.params)
