"""The rotoscoping chain, one frame at a time: first guess → trimap → soft alpha →
temporal fusion, with the frames that need a new keyframe reported.

Per frame t (each step one published method, see the family's table):

1. **Guess.** A model's mask of frame t (upscaled to the frame), a user's keyframe mask,
   or nothing (keyframe-only shots between keyframes).
2. **Propagate and fuse** (:mod:`.temporal_fusion_bai2009`). The matte of frame t−1 is
   warped onto frame t by DIS optical flow (:mod:`reelgraph.algorithms.restore.
   flow_dis_kroeger2016`, estimated on frames scaled to ``flow_height`` lines) and blended
   with the guess where the forward and backward flows agree and the guess is sure of
   itself. The guess counts only within ``radius`` of the moved shape, and not where the
   propagation found an occluder (a segmenter takes a thing in front for the subject).
3. **Trimap** (:mod:`.trimap_morphology_xu2017`) of the fused matte; pixels near the
   subject whose motion is unsure join the unknown band.
4. **Soft alpha** (:mod:`.guided_filter_he2013`): guided feathering of the fused matte in
   the band, with the frame as guide. The linear colour models are fitted on the pixels
   whose motion is sure (weighted by the flow confidence), so unsure pixels are re-solved
   from their colour. An unsure pixel with too few sure neighbours in its window cannot be
   re-solved; when such pixels exceed ``keyframe_after`` of the subject's area the frame
   is reported as needing a new keyframe.

A keyframe is reproduced exactly on its own frame. Memory is one previous frame (its
small flow image) and one previous matte, whatever the length of the shot.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reelgraph.algorithms.restore.flow_dis_kroeger2016 import FLOW_PRESETS, flow_image
from reelgraph.algorithms.roto._checks import as_guide, as_matte
from reelgraph.algorithms.roto.guided_filter_he2013 import guided_feathering
from reelgraph.algorithms.roto.temporal_fusion_bai2009 import (
    MISMATCH_CODES,
    TOLERANCE_PX,
    contour_confidence,
    fuse_alpha,
    guess_reliability,
    localise_guess,
    propagate_alpha,
)
from reelgraph.algorithms.roto.trimap_morphology_xu2017 import TRIMAP_UNKNOWN, trimap_morphology
from reelgraph.errors import AlgorithmError

__all__ = ["MIN_BAND_PX", "MIN_RADIUS_PX", "RotoFrame", "RotoParams", "RotoTracker"]

#: Smallest unknown band and guided-filter radius, pixels: below these, small frames get
#: too few pixels in the band (and in a window on each side of it) to fit a colour model.
MIN_BAND_PX = 3
MIN_RADIUS_PX = 8


@dataclass(frozen=True)
class RotoParams:
    """How the chain refines and steadies a matte. Sizes scale with the frame height."""

    band: float = 0.01
    """Half-width of the trimap's unknown band, as a fraction of the frame height
    (0.01: 11 px at 1080p, 5 px at 540p; at least :data:`MIN_BAND_PX`)."""
    radius: float = 0.03
    """Guided-filter window radius, as a fraction of the frame height (0.03: 32 px at
    1080p; at least :data:`MIN_RADIUS_PX`, so a window always reaches across the band)."""
    eps: float = 1e-4
    """Guided-filter regularisation ε, R'G'B' units squared: edges with a colour contrast
    well above √ε (0.01, about 3 8-bit codes) steer the matte; weaker ones leave it smooth."""
    work_height: int = 360
    """The guided filter's coefficients are estimated at about this many lines (Fast
    Guided Filter sub-sampling); frames at or below it are filtered at full size."""
    proxy_height: int = 540
    """Propagation, fusion and the trimap run on the frame scaled to about this many
    lines; the soft alpha is then solved in the band on the full frame."""
    flow_height: int = 360
    """Optical flow is estimated on the frames scaled to this many lines."""
    flow_preset: str = "fast"
    """DIS preset (a name in ``FLOW_PRESETS`` of the flow module)."""
    memory: float = 1.0
    """Weight of the propagated matte where the motion is sure (model shots); 1 is Bai et
    al.'s Eq. 3 as published (the shape confidence alone decides: the model counts where
    the motion is unsure), 0 follows the model wherever it is sure of itself."""
    tolerance: float = TOLERANCE_PX
    """Forward-backward round-trip error, in pixels of the flow grid, at which the
    motion's confidence falls to exp(−1/2)."""
    mismatch: float = MISMATCH_CODES
    """Luma difference (8-bit codes) between a frame and the previous one moved with the
    subject at which a pixel stops counting as the subject (an occluder, a change)."""
    unsure_below: float = 0.5
    """Flow confidence under which a pixel near the subject is re-solved from colour."""
    min_support: float = 0.25
    """Share of sure pixels a window needs for an unsure pixel in it to be re-solved."""
    keyframe_after: float = 0.02
    """Unresolved pixels, as a share of the subject's area, above which the frame is
    reported as needing a new keyframe."""
    reliability_rate: float = 0.5
    """Weight of each frame's evidence in the model guess's per-pixel reliability (0: the
    guess is trusted alike everywhere, as Bai et al.'s Eq. 3 alone)."""
    look_floor: float = 0.5
    """Share of the moved matte that must still look like the subject (as last seen
    unoccluded); below it the frame needs a new keyframe."""
    lost_below: float = 1e-4
    """Subject area, as a share of the frame, under which the subject counts as lost."""
    lost_share: float = 0.05
    """... or as a share of its area on the last keyframe: what is left of a matte whose
    subject has gone is a few stray pixels, not the subject."""


@dataclass(frozen=True)
class RotoFrame:
    """One frame's matte and what the chain knows about it."""

    alpha: np.ndarray
    """float32 ``(H, W)`` in [0, 1]."""
    area: float
    """Share of the frame where alpha >= 0.5."""
    unresolved: float
    """Unsure pixels that could not be re-solved, as a share of the subject's area — or,
    when the matte no longer looks like the subject, the share that does not."""
    needs_keyframe: bool
    """True when ``unresolved`` exceeds ``keyframe_after``."""
    lost: bool
    """True when the subject's area is under ``lost_below`` of the frame or ``lost_share``
    of its area on the last keyframe (it left the frame, or is hidden)."""
    source: str
    """``keyframe``, ``model`` (no history yet), ``fused`` (history and model),
    ``propagated`` (history only) or ``none`` (nothing known yet)."""


def _pixels(fraction: float, height: int, least: int) -> int:
    return max(least, round(fraction * height))


class RotoTracker:
    """Feed frames in order with :meth:`step`; each returns that frame's :class:`RotoFrame`.

    >>> rng = np.random.default_rng(0)
    >>> scene = 0.4 * cv2.GaussianBlur(rng.random((72, 160, 3)).astype(np.float32), (0, 0), 1.5)
    >>> disc = cv2.circle(np.zeros((72, 160), np.float32), (60, 36), 16, 1.0, -1)
    >>> frames = [scene.copy() for _ in range(3)]
    >>> for f, x in zip(frames, (60, 63, 66)):  # a flat pale disc moving 3 px per frame
    ...     _ = cv2.circle(f, (x, 36), 16, (0.8, 0.7, 0.6), -1)
    >>> tracker = RotoTracker(RotoParams())
    >>> first = tracker.step(frames[0], keyframe=disc)
    >>> bool(np.array_equal(first.alpha, disc)), first.source
    (True, 'keyframe')
    >>> last = [tracker.step(f) for f in frames[1:]][-1]
    >>> truth = cv2.circle(np.zeros_like(disc), (66, 36), 16, 1.0, -1)
    >>> iou = ((last.alpha >= 0.5) & (truth > 0)).sum() / ((last.alpha >= 0.5) | (truth > 0)).sum()
    >>> bool(iou > 0.9), last.source
    (True, 'propagated')
    """

    def __init__(self, params: RotoParams | None = None) -> None:
        self.params = params or RotoParams()
        if self.params.flow_preset not in FLOW_PRESETS:
            raise AlgorithmError(
                f"unknown flow preset {self.params.flow_preset!r}",
                hint=f"use one of: {', '.join(FLOW_PRESETS)}",
            )
        code, finest = FLOW_PRESETS[self.params.flow_preset]
        self._engine = cv2.DISOpticalFlow.create(code)
        if finest is not None:
            self._engine.setFinestScale(finest)
        self._prev_image: np.ndarray | None = None
        self._prev_alpha: np.ndarray | None = None
        self._prev_shape: np.ndarray | None = None
        self._prev_look: np.ndarray | None = None
        self._reliability: np.ndarray | None = None
        self._occluded: np.ndarray | None = None
        self._key_area = 0.0

    def _flow_image(self, frame: np.ndarray) -> np.ndarray:
        height, width = frame.shape[:2]
        if height > self.params.flow_height:
            size = (
                max(8, round(width * self.params.flow_height / height)),
                self.params.flow_height,
            )
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        return flow_image(frame)

    def _flow(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        if min(first.shape) < 8:  # DIS needs a few patches; tiny frames get no motion
            return np.zeros((*first.shape, 2), dtype=np.float32)
        flow = self._engine.calc(first, second, None)  # type: ignore[call-overload]
        return np.asarray(flow, dtype=np.float32)

    def step(
        self,
        frame: np.ndarray,
        *,
        guess: np.ndarray | None = None,
        keyframe: np.ndarray | None = None,
    ) -> RotoFrame:
        """The matte of the next frame.

        ============  ====================================================
        ``frame``     float32 ``(H, W, 3)`` R'G'B' in [0, 1]
        ``guess``     optional float32 model mask in [0, 1], any size (a
                      model's own; it is resized to the working grid)
        ``keyframe``  optional float32 ``(H, W)`` user matte in [0, 1]:
                      returned exactly, and the chain restarts from it
        output        :class:`RotoFrame`
        ============  ====================================================
        """
        p = self.params
        height, width = frame.shape[:2]
        image = as_guide(frame, (height, width))
        proxy_size = self._proxy_size(height, width)
        proxy = (
            image
            if proxy_size == (width, height)
            else cv2.resize(image, proxy_size, interpolation=cv2.INTER_AREA)
        )
        small = self._flow_image(proxy)
        if keyframe is not None:
            alpha = as_matte(keyframe, "keyframe")
            if alpha.shape != (height, width):
                raise AlgorithmError(
                    f"keyframe matte is {alpha.shape[1]}×{alpha.shape[0]}, the frame "
                    f"{width}×{height}",
                    hint="draw the keyframe mask at the shot's resolution",
                )
            return self._keep(small, alpha, proxy_size, 0.0, "keyframe")
        new = None if guess is None else as_matte(guess, "guess")
        if new is not None and new.shape[::-1] != proxy_size:
            # A model's mask comes at the model's size: straight to the proxy grid.
            new = cv2.resize(new, proxy_size, interpolation=cv2.INTER_LINEAR)
        p_width, p_height = proxy_size
        band = _pixels(p.band, p_height, MIN_BAND_PX)
        radius = _pixels(p.radius, p_height, MIN_RADIUS_PX)
        if self._prev_alpha is None or self._prev_image is None:
            if new is None:
                empty = np.zeros((height, width), np.float32)
                return self._keep(small, empty, proxy_size, 0.0, "none")
            fused, confidence, source = new, None, "model"
            look = None
            look_agreement = 1.0
            shape = new
        else:
            backward = self._flow(small, self._prev_image)
            forward = self._flow(self._prev_image, small)
            carried = propagate_alpha(
                self._prev_alpha,
                backward,
                forward,
                (self._prev_image, small),
                shape_prev=self._prev_shape,
                look_prev=self._prev_look,
                tolerance=p.tolerance,
                mismatch=p.mismatch,
                carry=self._reliability,
                occluded_prev=self._occluded,
            )
            self._occluded = carried.occluded
            confidence = carried.confidence
            reliability = carried.carried_map
            if new is not None:
                new = localise_guess(new, carried.moved, radius)
            # Near the moved contour the shape is least sure (Bai 2009, Sec. 3.3): the
            # model's guess counts there most.
            sure_shape = (
                None if new is None else confidence * contour_confidence(carried.moved, band)
            )
            fused = fuse_alpha(
                carried.visible,
                confidence if sure_shape is None else sure_shape,
                new,
                memory=p.memory,
                occluded=carried.occluded,
                reliability=reliability,
            )
            if new is not None and p.reliability_rate > 0:
                judged = sure_shape if sure_shape is not None else confidence
                self._reliability = guess_reliability(
                    np.ones_like(new) if reliability is None else reliability,
                    new,
                    carried.visible,
                    np.where(carried.occluded, np.float32(0.0), judged),
                    p.reliability_rate,
                )
            else:
                self._reliability = reliability
            # What an occluder hides stays in the shape carried on (the subject comes back).
            shape = (
                carried.moved if new is None else np.where(carried.occluded, carried.moved, fused)
            )
            look = carried.look
            look_agreement = carried.look_agreement
            source = "propagated" if new is None else "fused"
        unresolved_px = 0
        unsure = None
        if confidence is not None:
            outside = (fused < 0.5).astype(np.uint8)
            reach = 3 * band + radius
            # Within ``reach`` of the subject: a distance transform, as a dilation by a disc
            # this large is slow.
            near = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_3) <= reach
            unsure = near & (confidence < p.unsure_below)
            size = 2 * radius + 1
            support = cv2.boxFilter(
                confidence, -1, (size, size), normalize=True, borderType=cv2.BORDER_REFLECT
            )
            unresolved_px = int(np.count_nonzero(unsure & (support < p.min_support)))
        trimap = trimap_morphology(fused, band, unsure=unsure)
        # The band's own values are the guess being corrected: only sure pixels (and, of
        # those, the ones whose motion is sure) fit the local colour models.
        known = (trimap != TRIMAP_UNKNOWN).astype(np.float32)
        weight = known if confidence is None else known * confidence
        if proxy_size != (width, height):
            # The soft alpha is solved on the full frame, in the band only: the band and
            # the sure regions come up from the proxy grid by nearest neighbour (labels),
            # the matte being corrected and the weights bilinearly.
            full = (width, height)
            trimap = cv2.resize(trimap, full, interpolation=cv2.INTER_NEAREST)
            fused = cv2.resize(fused, full, interpolation=cv2.INTER_LINEAR)
            weight = cv2.resize(weight, full, interpolation=cv2.INTER_LINEAR)
        alpha = guided_feathering(
            image,
            fused,
            trimap,
            _pixels(p.radius, height, MIN_RADIUS_PX),
            p.eps,
            weight=weight,
            subsample=max(1, height // p.work_height),
        )
        subject_px = max(1, int(np.count_nonzero(alpha >= 0.5)))
        unresolved = unresolved_px * (height * width) / (p_height * p_width) / subject_px
        if look_agreement < p.look_floor:  # slid off the subject: as bad as unresolved
            unresolved = max(unresolved, 1.0 - look_agreement)
        return self._keep(small, alpha, proxy_size, unresolved, source, shape, look)

    def _proxy_size(self, height: int, width: int) -> tuple[int, int]:
        """(width, height) of the grid the propagation, fusion and trimap run on."""
        if height <= self.params.proxy_height:
            return width, height
        return max(8, round(width * self.params.proxy_height / height)), self.params.proxy_height

    def _keep(
        self,
        small: np.ndarray,
        alpha: np.ndarray,
        proxy_size: tuple[int, int],
        unresolved: float,
        source: str,
        shape: np.ndarray | None = None,
        look: np.ndarray | None = None,
    ) -> RotoFrame:
        p = self.params
        carried = (
            alpha
            if alpha.shape[::-1] == proxy_size
            else cv2.resize(alpha, proxy_size, interpolation=cv2.INTER_AREA)
        )
        self._prev_image, self._prev_alpha = small, carried
        self._prev_shape = carried if shape is None else shape
        self._prev_look = look
        if source not in ("fused", "propagated"):  # a fresh start: nothing was hidden
            self._occluded = None
        area = float(np.count_nonzero(alpha >= 0.5)) / alpha.size
        if source == "keyframe":
            self._key_area = area
        lost = area < max(p.lost_below, p.lost_share * self._key_area)
        return RotoFrame(
            alpha=alpha,
            area=area,
            unresolved=0.0 if lost else unresolved,
            needs_keyframe=not lost and unresolved > p.keyframe_after,
            lost=lost,
            source=source,
        )
