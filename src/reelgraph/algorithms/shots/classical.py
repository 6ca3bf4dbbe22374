"""The classical shot-boundary detector: content distances, adaptive hard cuts with a flash
check, and model-checked gradual transitions, on one stream of small frames.

Per frame it keeps only scalars (the content distance to the previous frame, the distances
to the frames up to ``flash_frames + 1`` back, the luma spread) and a ring of the last
``max_frames + flash_frames + 3`` small frames, from which a gradual candidate is classified
when it closes. Memory is bounded by that ring, whatever
the clip length.

==============  ==========================  ==============================================
input           dtype, shape                domain
==============  ==========================  ==============================================
``frame``       uint8 ``(H, W, 3)``         8-bit ``R′G′B′``; area-averaged to
                                            ``analysis_width`` when wider
returns         :class:`ShotBoundaries`     cuts, transitions, shot ranges (0-based)
==============  ==========================  ==============================================

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> a, b = (rng.integers(0, 256, (36, 64, 3), dtype=np.uint8) for _ in range(2))
>>> detector = ClassicalShotDetector()
>>> for k in range(40):
...     detector.push(a if k < 20 else b)
>>> detector.finish().cuts
[20]
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from reelgraph.algorithms.shots.base import ShotBoundaries, ShotDetector, Transition
from reelgraph.algorithms.shots.content_hsv_pyscenedetect import content_distance, hsv_frame
from reelgraph.algorithms.shots.fade_spread_lienhart1999 import (
    FadeParameters,
    fades,
    luma_spread,
)
from reelgraph.algorithms.shots.gradual_twin_zhang1993 import GradualParameters, classify_gradual
from reelgraph.algorithms.shots.hardcut_adaptive_pyscenedetect import (
    HardCutParameters,
    adaptive_cuts,
)
from reelgraph.errors import AlgorithmError

__all__ = ["ANALYSIS_WIDTH", "ClassicalParameters", "ClassicalShotDetector"]

#: Width (pixels) frames are analysed at; readers may decode straight to it.
ANALYSIS_WIDTH = 128

_BASELINE_FRAMES = 25  # distances of the recent past whose median is "typical" for the shot
_WARM_UP_FRAMES = 5  # quiet frames needed before their median is trusted


@dataclass(frozen=True)
class ClassicalParameters:
    """Parameters of the classical detector (each default defined in its own family)."""

    analysis_width: int = ANALYSIS_WIDTH
    """Frames wider than this are area-averaged to it before analysis."""
    hard: HardCutParameters = field(default_factory=HardCutParameters)
    gradual: GradualParameters = field(default_factory=GradualParameters)
    fade: FadeParameters = field(default_factory=FadeParameters)

    def __post_init__(self) -> None:
        if self.analysis_width < 16:
            raise AlgorithmError("analysis_width must be >= 16 pixels")


@dataclass
class _Run:
    start: int  # first frame whose distance is above the low threshold
    last: int  # last such frame
    gap: int = 0
    distances: list[float] = field(default_factory=list)


def _overlap(a: Transition, b: Transition) -> bool:
    return a.start_frame <= b.end_frame and b.start_frame <= a.end_frame


class ClassicalShotDetector(ShotDetector):
    """Streaming classical detector (see the module docstring)."""

    name = "classical"

    def __init__(self, params: ClassicalParameters | None = None) -> None:
        self.params = params or ClassicalParameters()
        hard, gradual = self.params.hard, self.params.gradual
        self._gaps = hard.flash_frames
        self._ring: deque[tuple[int, NDArray[np.uint8], NDArray[np.uint8]]]
        self._ring = deque(maxlen=gradual.max_frames + hard.flash_frames + 3)
        self._distances: list[float] = []
        self._pairs: list[list[float]] = []
        self._spread: list[float] = []
        self._quiet: deque[float] = deque(maxlen=_BASELINE_FRAMES)
        self._run: _Run | None = None
        self._gradual: list[Transition] = []
        self._shape: tuple[int, ...] | None = None

    def _small(self, frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
            raise AlgorithmError(
                f"frame must be a uint8 array, got {getattr(frame, 'dtype', type(frame))}",
                hint="pass 8-bit R'G'B' frames (H, W, 3)",
            )
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.size == 0:
            raise AlgorithmError(f"frame must have shape (H, W, 3), got {frame.shape}")
        height, width = frame.shape[:2]
        target = self.params.analysis_width
        if width > target:
            size = (target, max(1, round(height * target / width)))
            frame = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
        return np.ascontiguousarray(frame)

    def push(self, frame: NDArray[np.uint8]) -> None:
        small = self._small(frame)
        if self._shape is None:
            self._shape = small.shape
        elif small.shape != self._shape:
            raise AlgorithmError(
                f"frame {len(self._distances)} has size {small.shape[:2]}, earlier frames "
                f"{self._shape[:2]}",
                hint="a clip's frames must all have one size",
            )
        index = len(self._distances)
        hsv = hsv_frame(small)
        pairs = [np.nan] * self._gaps
        distance = np.nan
        if self._ring:
            previous = self._ring[-1]
            distance = content_distance(previous[2], hsv)
            for g in range(2, self._gaps + 2):
                if len(self._ring) >= g:
                    pairs[g - 2] = content_distance(self._ring[-g][2], hsv)
        self._distances.append(distance)
        self._pairs.append(pairs)
        self._spread.append(luma_spread(small))
        self._ring.append((index, small, hsv))
        self._track_gradual(index, distance)

    def _track_gradual(self, index: int, distance: float) -> None:
        params = self.params.gradual
        if len(self._quiet) >= _WARM_UP_FRAMES:
            typical = float(np.median(self._quiet))
        else:  # too few quiet frames yet: the latest distances, this one included
            recent = self._distances[-_BASELINE_FRAMES:]
            typical = float(np.nanmedian(recent)) if index else 0.0
        low = max(params.low_floor, params.low_factor * typical)
        run = self._run
        if run is not None and run.distances:
            # The next shot may move more than the last: the run ends where the change
            # drops well below the transition's own pace, not only below the old shot's.
            low = max(low, params.run_drop * float(np.median(run.distances)))
        above = np.isfinite(distance) and distance > low
        if above:
            if run is None:
                self._run = _Run(index, index, distances=[distance])
            else:
                run.last, run.gap = index, 0
                run.distances.append(distance)
            if self._run is not None and index - self._run.start >= params.max_frames:
                self._run = None  # continuous change: motion, not a transition
            return
        if np.isfinite(distance):
            self._quiet.append(distance)
        if run is None:
            return
        run.gap += 1
        if run.gap > 2:  # a quiet frame or two may sit inside a transition (encoder noise)
            self._close(run)
            self._run = None

    def _close(self, run: _Run) -> None:
        params = self.params.gradual
        changing = run.last - run.start + 1
        if changing < params.min_frames:
            return
        frames = {entry[0]: entry for entry in self._ring}
        first_before, first_after = run.start - 1, run.last
        if first_before not in frames or first_after not in frames:
            return
        before, after = frames[first_before], frames[first_after]
        if content_distance(before[2], after[2]) < self.params.hard.min_content:
            return  # the picture ends where it began: not a change of shot
        middle = np.stack([frames[k][1] for k in range(run.start, run.last)])
        verdict = classify_gradual(before[1], middle, after[1], params)
        if verdict is not None:
            kind, confidence = verdict
            self._gradual.append(Transition(kind, run.start, run.last - 1, confidence))  # type: ignore[arg-type]

    def finish(self) -> ShotBoundaries:
        if self._run is not None:
            self._close(self._run)
            self._run = None
        n = len(self._distances)
        distances = np.asarray(self._distances, dtype=np.float64)
        pairs = np.asarray(self._pairs, dtype=np.float64).reshape(n, self._gaps)
        cuts = adaptive_cuts(distances, pairs, self.params.hard) if n else []
        transitions = [Transition("cut", frame, frame, conf) for frame, conf in cuts]
        cut_frames = [frame for frame, _ in cuts]
        spread = np.asarray(self._spread, dtype=np.float64)
        found = [Transition(k, a, b, c) for k, a, b, c in fades(spread, self.params.fade)]  # type: ignore[arg-type]
        # Fades measured on the whole picture's spread win over a twin-comparison candidate
        # they overlap (which may have caught only the fade's steeper part).
        for gradual in self._gradual:
            if not any(_overlap(gradual, fade) for fade in found):
                found.append(gradual)
        for gradual in found:
            # A hard cut inside a candidate's span is what changed the shot.
            if not any(gradual.start_frame <= c <= gradual.end_frame + 1 for c in cut_frames):
                transitions.append(gradual)
        transitions.sort(key=lambda t: t.start_frame)
        return ShotBoundaries(n, self.name, transitions)
