"""Temporal stability of a matte: carry the previous frame's alpha forward along the
optical flow and fuse it with the new frame's guess, trusting it where the motion is sure.

Reference
    X. Bai, J. Wang, D. Simons and G. Sapiro, "Video SnapCut: Robust Video Object Cutout
    Using Localized Classifiers", *ACM SIGGRAPH* 2009, Sec. 3-4: the previous frame's
    cut-out is warped to the new frame by the estimated motion and serves as a shape
    prior; each pixel's result is a confidence-weighted blend of that prior and a new,
    frame-local estimate (Eq. 2-3, ``p = f_s x_s + (1 − f_s) p_c``), and the frame-local
    estimates live in windows along the warped contour (Sec. 3.2): away from it the
    prior stands. Here the shape confidence ``f_s`` is the forward-backward consistency
    of the flow (N. Sundaram, T. Brox and K. Keutzer, *ECCV* 2010, Eq. 5; see
    :func:`reelgraph.algorithms.restore.flow_dis_kroeger2016.consistency_weight`) and
    the photometric check of the subject's motion, times a fixed memory; the frame-local
    estimate is the model's mask — limited to a reach around the moved shape
    (:func:`localise_guess`) and weighted by its own certainty ``|2 p_c − 1|``, as
    SnapCut weights its local classifiers by their colour confidence ``f_c`` — or nothing
    in a keyframe-only shot (then the warped prior is the whole estimate and the unsure
    pixels are re-solved from colour by the caller). The guess's weight is also scaled
    by its reliability at each pixel (:func:`guess_reliability`), learnt, as SnapCut
    rates each local classifier on the previous frame's known cut-out, where the motion
    is sure. Where the propagation found an occluder the prior (nothing there) stands: a
    segmenter takes an object passing in front of the subject for part of it. An
    occluder stays found while it passes: where frame t−1 showed it (and the pixel does
    not move with the subject), frame t is checked against the subject's remembered look
    only, not against frame t−1 — an occluder with little texture matches itself.

The flows may be estimated at a lower resolution than the matte; they are resized and
their vectors scaled.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reelgraph.algorithms.restore.flow_dis_kroeger2016 import consistency_weight, warp_by_flow
from reelgraph.algorithms.roto._checks import as_matte
from reelgraph.errors import AlgorithmError

__all__ = [
    "MISMATCH_CODES",
    "TOLERANCE_PX",
    "Propagated",
    "contour_confidence",
    "fuse_alpha",
    "guess_reliability",
    "localise_guess",
    "propagate_alpha",
    "subject_motion",
]

#: Forward-backward round-trip error (flow-grid pixels) at which the motion's confidence
#: falls to exp(−1/2).
TOLERANCE_PX = 1.0
#: Luma difference (8-bit codes, after a light blur) between frame t and frame t−1 moved
#: with the subject at which a pixel stops counting as the subject.
MISMATCH_CODES = 12.0
#: The remembered look of a part an occluder hid is older (and resampled each frame it
#: stayed hidden) than the previous frame: it is compared with this many times the
#: tolerance.
LOOK_SLACK = 2.0
#: Fewest interior flow vectors a similarity is fitted to.
_MIN_POINTS = 12
#: Flow vectors further than this from the fitted motion (flow-grid pixels) are refitted
#: without.
_INLIER_PX = 2.0
#: ECC iterations, and the largest change (flow-grid pixels) it may make to the flow's fit.
_ECC_ITERATIONS = 30
_ECC_MAX_PX = 4.0


def _similarity_fit(source: np.ndarray, target: np.ndarray) -> np.ndarray | None:
    """Least-squares similarity ``target ≈ M [source; 1]`` (2×3), refitted twice without
    the points it misfits by more than 2 px (the flow of an occluder, of the background
    near the edge). Deterministic, unlike RANSAC."""
    keep = np.ones(len(source), dtype=bool)
    matrix = None
    for _ in range(3):
        if np.count_nonzero(keep) < _MIN_POINTS:
            return matrix
        x, y = source[keep, 0], source[keep, 1]
        ones, zeros = np.ones_like(x), np.zeros_like(x)
        # x' = a x − b y + tx ; y' = b x + a y + ty
        design = np.concatenate(
            [np.stack([x, -y, ones, zeros], 1), np.stack([y, x, zeros, ones], 1)]
        )
        rhs = np.concatenate([target[keep, 0], target[keep, 1]])
        (a, b, tx, ty), *_ = np.linalg.lstsq(design, rhs, rcond=None)
        matrix = np.array([[a, -b, tx], [b, a, ty]], dtype=np.float64)
        predicted = source @ matrix[:, :2].T + matrix[:, 2]
        keep = np.hypot(*(predicted - target).T) <= _INLIER_PX
    return matrix


def subject_motion(
    alpha_prev: np.ndarray,
    flow_forward: np.ndarray,
    images: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    stride: int = 2,
) -> np.ndarray | None:
    """The subject's motion from frame t−1 to t as an affine map (2×3, in pixels of the
    flow grid) — Bai et al. 2009, Sec. 3.1: a global transform of the foreground first,
    local motion after. A similarity is fitted to the forward flow inside the previous
    matte; given the two frames' flow images (uint8, the flow grid's size), it is then
    refined by ECC image alignment on the matte's interior (G. D. Evangelidis and E. Z.
    Psarakis, "Parametric Image Alignment Using Enhanced Correlation Coefficient
    Maximization", *IEEE TPAMI* 30(10), 2008; ``cv2.findTransformECC``), which reads the
    subject's own pixels where the flow is smoothed across its edge. None when the matte
    has too few interior pixels (the subject is gone or tiny)."""
    height, width = flow_forward.shape[:2]
    small = cv2.resize(alpha_prev, (width, height), interpolation=cv2.INTER_AREA)
    interior = cv2.erode((small >= 0.5).astype(np.uint8), np.ones((5, 5), np.uint8))
    interior[1::stride, :] = 0  # a regular subsample keeps the fit cheap and deterministic
    interior[:, 1::stride] = 0
    ys, xs = np.nonzero(interior)
    if len(xs) < _MIN_POINTS:
        return None
    source = np.stack([xs, ys], 1).astype(np.float64)
    target = source + flow_forward[ys, xs].astype(np.float64)
    matrix = _similarity_fit(source, target)
    if matrix is None or images is None:
        return matrix
    margin = _ECC_MAX_PX + 2
    if (
        xs.min() < margin
        or ys.min() < margin
        or xs.max() >= width - margin
        or ys.max() >= height - margin
    ):
        # Part of the subject is leaving (or entering) the frame: ECC would compare it with
        # the replicated border; the flow's fit is kept.
        return matrix
    mask = cv2.erode((small >= 0.5).astype(np.uint8), np.ones((5, 5), np.uint8))
    # ECC reads only pixels whose flow follows the fitted motion: an occluder crossing the
    # subject, not yet cut out of the matte, would drag the alignment with it.
    grid_y, grid_x = np.mgrid[0:height, 0:width].astype(np.float32)
    fitted_x = matrix[0, 0] * grid_x + matrix[0, 1] * grid_y + matrix[0, 2] - grid_x
    fitted_y = matrix[1, 0] * grid_x + matrix[1, 1] * grid_y + matrix[1, 2] - grid_y
    off = np.hypot(flow_forward[..., 0] - fitted_x, flow_forward[..., 1] - fitted_y)
    mask[off > 2 * _INLIER_PX] = 0
    warp = matrix.astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, _ECC_ITERATIONS, 1e-4)
    try:
        _, refined = cv2.findTransformECC(
            images[0], images[1], warp, cv2.MOTION_AFFINE, criteria, mask, 3
        )
    except cv2.error:  # no convergence (flat subject, huge change): keep the flow's fit
        return matrix
    refined = np.asarray(refined, dtype=np.float64)
    # A refinement that moves the subject far from the flow's estimate has locked on
    # something else; the flow's fit is kept.
    corners = np.array([[xs.min(), ys.min()], [xs.max(), ys.max()]], dtype=np.float64)
    drift = (corners @ refined[:, :2].T + refined[:, 2]) - (
        corners @ matrix[:, :2].T + matrix[:, 2]
    )
    return refined if float(np.abs(drift).max()) <= _ECC_MAX_PX else matrix


def _moves_with(motion: np.ndarray, flow_back: np.ndarray, tolerance: float) -> np.ndarray:
    """Pixels of frame t whose backward flow lands within ``tolerance`` (flow-grid pixels)
    of where the subject's motion (2×3, frame t−1 → t) says they came from."""
    height, width = flow_back.shape[:2]
    grid_y, grid_x = np.mgrid[0:height, 0:width].astype(np.float32)
    inverse = cv2.invertAffineTransform(motion.astype(np.float64)).astype(np.float32)
    source_x = inverse[0, 0] * grid_x + inverse[0, 1] * grid_y + inverse[0, 2]
    source_y = inverse[1, 0] * grid_x + inverse[1, 1] * grid_y + inverse[1, 2]
    off = np.hypot(grid_x + flow_back[..., 0] - source_x, grid_y + flow_back[..., 1] - source_y)
    return np.asarray(off <= tolerance)


@dataclass(frozen=True)
class Propagated:
    """The previous frame's matte carried onto the current frame."""

    moved: np.ndarray
    """float32 ``(H, W)``: the subject's whole shape moved (what occluders hide included),
    the shape prior carried on to the next frame."""
    visible: np.ndarray
    """float32 ``(H, W)``: ``moved`` less what an occluder covers — this frame's prior."""
    confidence: np.ndarray
    """float32 ``(H, W)`` in [0, 1]: how sure the motion is at each pixel (0 where the
    pixel came from outside the previous frame)."""
    occluded: np.ndarray
    """bool ``(H, W)``: pixels of ``moved`` that something else covers."""
    look: np.ndarray | None
    """float32 ``(h, w)`` flow-grid luma: the subject's look at frame t — frame t where
    it is visible, its earlier look moved with it where it is covered (what the next
    frame is checked against); None without frames."""
    look_agreement: float
    """Share of the moved shape where frame t matches the subject's remembered look (1
    when there is no look yet): low when the matte has slid off the subject."""
    carried_map: np.ndarray | None = None
    """The ``carry`` map moved as the shape was (None when none was given)."""


def propagate_alpha(
    alpha_prev: np.ndarray,
    flow_back: np.ndarray,
    flow_forward: np.ndarray,
    images: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    shape_prev: np.ndarray | None = None,
    look_prev: np.ndarray | None = None,
    tolerance: float = TOLERANCE_PX,
    mismatch: float = MISMATCH_CODES,
    carry: np.ndarray | None = None,
    occluded_prev: np.ndarray | None = None,
) -> Propagated:
    """The previous matte carried onto the current frame, and how sure each pixel is.

    The subject's motion is fitted on its visible pixels (:func:`subject_motion`) and its
    whole shape is moved with it, so the flow's smoothing across the edge cannot erode
    the matte frame after frame. Given the frames, a pixel of the moved shape is sure
    when the subject's look (its last visible appearance, moved with it) matches frame
    t there; where it does not, something else covers the subject (an occluder passing
    in front) and the pixel leaves the visible matte — while staying in the shape, and
    with its look kept, so the subject comes back when the occluder has passed. Elsewhere
    a pixel is sure when its flow passes the
    forward-backward check. With no fit (nothing of the subject visible any more) the shape
    is warped by the per-pixel flow and stays hidden: a lost subject is not brought back
    by the background's motion.

    ================  ======================================================
    ``alpha_prev``    float32 ``(H, W)`` visible matte of frame t−1, [0, 1]
    ``flow_back``     float32 ``(h, w, 2)`` flow from frame t to frame t−1
    ``flow_forward``  float32 ``(h, w, 2)`` flow from frame t−1 to frame t
    ``images``        optional (frame t−1, frame t) flow images, uint8
                      ``(h, w)``: refine the subject's motion by ECC
    ``shape_prev``    optional float32 ``(H, W)``: the whole shape at t−1
                      (``Propagated.moved`` of the step before); default
                      ``alpha_prev``
    ``look_prev``     optional float32 ``(h, w)``: ``Propagated.look`` of the
                      step before; default frame t−1
    ``tolerance``     disagreement (pixels of the flow grid) at which the
                      confidence falls to ``exp(-1/2)``
    ``mismatch``      luma difference (8-bit codes, after a light blur)
                      between frame t and frame t−1 moved with the subject
                      at which a pixel stops counting as the subject
    ``carry``         optional float32 ``(H, W)`` map in [0, 1] that moves
                      with the subject (e.g. :func:`guess_reliability`);
                      pixels that enter the frame read 1
    ``occluded_prev`` optional bool ``(H, W)``: ``Propagated.occluded`` of the
                      step before. Where frame t−1 showed an occluder, frame
                      t is checked against the remembered look only (else
                      an occluder with little texture matches itself)
    output            :class:`Propagated`
    ================  ======================================================

    >>> alpha = np.zeros((32, 48), np.float32); alpha[8:24, 10:20] = 1
    >>> flow = np.zeros((32, 48, 2), np.float32); flow[..., 0] = -3  # content moved 3 px right
    >>> carried = propagate_alpha(alpha, flow, -flow)
    >>> [int(v) for v in carried.visible[16, 11:25]]
    [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    >>> float(carried.confidence[16, 20]), float(carried.confidence[16, 1])  # from outside
    (1.0, 0.0)
    """
    matte = as_matte(alpha_prev, "alpha_prev")
    shape = matte if shape_prev is None else as_matte(shape_prev, "shape_prev")
    if flow_back.shape != flow_forward.shape or flow_back.ndim != 3 or flow_back.shape[2] != 2:
        raise AlgorithmError(
            f"flows of shapes {flow_back.shape} and {flow_forward.shape}",
            hint="pass two (h, w, 2) flows of one size, t→t−1 and t−1→t",
        )
    if shape.shape != matte.shape:
        raise AlgorithmError(
            f"shape {shape.shape} and matte {matte.shape} differ",
            hint="pass the shape carried with this matte",
        )
    height, width = matte.shape
    grid_h, grid_w = flow_back.shape[:2]
    consistent = consistency_weight(flow_back, flow_forward, tolerance=tolerance)
    _, inside = warp_by_flow(consistent, flow_back, interpolation=cv2.INTER_NEAREST)
    motion = subject_motion(matte, flow_forward, images)
    occluded_grid = np.zeros((grid_h, grid_w), dtype=bool)
    look_agreement = 1.0
    look = None if images is None else images[1].astype(np.float32)
    carried_map = None
    if motion is None:  # nothing of the subject is visible: it stays as it was, hidden
        moved, _ = warp_by_flow(shape, flow_back, interpolation=cv2.INTER_LINEAR)
        if carry is not None:
            carried_map, kept = warp_by_flow(carry, flow_back, interpolation=cv2.INTER_LINEAR)
            carried_map = np.where(kept, carried_map, np.float32(1.0))
        shown, _ = warp_by_flow(matte, flow_back, interpolation=cv2.INTER_LINEAR)
        occluded_grid = cv2.resize(shown, (grid_w, grid_h), interpolation=cv2.INTER_AREA) < 0.5
        sure = consistent
    else:
        scale = np.diag([width / grid_w, height / grid_h])
        full = np.hstack([scale @ motion[:, :2] @ np.linalg.inv(scale), scale @ motion[:, 2:]])
        moved = cv2.warpAffine(shape, full, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)  # fmt: skip
        if carry is not None:
            carried_map = cv2.warpAffine(
                carry, full, (width, height), flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT, borderValue=1.0,
            )  # fmt: skip
        covered = cv2.resize(moved, (grid_w, grid_h), interpolation=cv2.INTER_AREA) > 0.01
        if images is None:
            sure = consistent
        else:
            # Photometric check of the subject's motion: frame t−1 moved with the subject
            # should look like frame t wherever the subject is visible; where it does not,
            # something else is in front (or the subject changed shape or look).
            current = images[1].astype(np.float32)
            match = np.zeros((grid_h, grid_w), dtype=np.float32)
            expected: np.ndarray = current
            look_agrees = match
            # Against frame t−1 (the subject as it just was) and against its remembered
            # look (as it was before an occluder covered it): either match means visible.
            references = [images[0]] if look_prev is None else [images[0], look_prev]
            was_hidden = None
            if occluded_prev is not None and look_prev is not None:
                hidden = cv2.resize(
                    occluded_prev.astype(np.uint8), (grid_w, grid_h),
                    interpolation=cv2.INTER_NEAREST,
                )  # fmt: skip
                was_hidden = cv2.warpAffine(
                    hidden, motion, (grid_w, grid_h), flags=cv2.INTER_NEAREST,
                    borderMode=cv2.BORDER_CONSTANT, borderValue=0,
                ) > 0  # fmt: skip
                # ... and only where the pixel does not move with the subject: a part of
                # the subject coming back from behind the occluder moves with it (and is
                # checked against frame t−1 again from the next frame on).
                was_hidden &= ~_moves_with(motion, flow_back, _INLIER_PX)
            for index, reference in enumerate(references):
                expected = cv2.warpAffine(
                    reference.astype(np.float32),
                    motion,
                    (grid_w, grid_h),
                    flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE,
                )
                residual = cv2.GaussianBlur(np.abs(current - expected), (0, 0), 1.5)
                agrees = np.exp(-0.5 * (residual / np.float32(mismatch)) ** 2)
                if index == 0 and was_hidden is not None:
                    agrees[was_hidden] = 0.0  # frame t−1 showed the occluder there
                elif was_hidden is not None and np.any(was_hidden):
                    loose = np.exp(-0.5 * (residual / np.float32(LOOK_SLACK * mismatch)) ** 2)
                    agrees = np.where(was_hidden, loose, agrees)
                match = np.maximum(match, agrees)
                look_agrees = agrees  # the last reference is the remembered look
                if index == 1 and np.any(covered):
                    look_agreement = float(np.mean(agrees[covered] >= 0.5))
            # The shape's rim mixes subject and background (and the background moves
            # differently): only its core is checked. Specks of mismatch are noise or
            # texture aliasing, not an occluder: an occluder is at least a few pixels wide.
            core = cv2.erode(covered.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
            other = (core & (match < 0.5)).astype(np.uint8)
            opened = cv2.morphologyEx(other, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
            # ... and it reaches the rim it crosses.
            occluded_grid = covered & (cv2.dilate(opened, np.ones((5, 5), np.uint8)) > 0)
            occluded_grid &= match < 0.5
            sure = np.where(covered, np.maximum(match, occluded_grid), consistent)
            # The look follows the subject only where frame t still looks like it: a matte
            # that slid onto the background keeps the subject's look, and keeps failing.
            look = np.where(occluded_grid | (look_agrees < 0.5), expected, current)
    sure = (sure * inside).astype(np.float32)
    occluded = occluded_grid
    if sure.shape != matte.shape:
        sure = cv2.resize(sure, (width, height), interpolation=cv2.INTER_LINEAR)
        occluded = cv2.resize(
            occluded_grid.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST
        ).astype(bool)
    moved = np.clip(moved, 0.0, 1.0).astype(np.float32)
    visible = np.where(occluded, np.float32(0.0), moved)
    return Propagated(
        moved, visible, np.clip(sure, 0.0, 1.0), occluded, look, look_agreement, carried_map
    )


def contour_confidence(moved: np.ndarray, sigma: float) -> np.ndarray:
    """Bai et al. 2009's shape confidence by distance to the moved contour (Sec. 3.3):
    ``f_s = 1 − exp(−d² / σ_s²)`` — 0 on the contour, where the warped shape is least
    sure, towards 1 a few ``σ`` from it.

    ==========  =====================================================
    ``moved``   float32 ``(H, W)``: ``Propagated.moved``
    ``sigma``   ``σ_s`` in pixels (> 0)
    output      float32 ``(H, W)`` in [0, 1]
    ==========  =====================================================

    >>> moved = np.zeros((1, 9), np.float32); moved[0, :4] = 1
    >>> [round(float(v), 2) for v in contour_confidence(moved, 2.0)[0]]
    [0.98, 0.89, 0.63, 0.22, 0.22, 0.63, 0.89, 0.98, 1.0]
    """
    if not sigma > 0:
        raise AlgorithmError(f"shape confidence σ {sigma} px", hint="use a σ above 0 pixels")
    inside = (as_matte(moved, "moved") >= 0.5).astype(np.uint8)
    to_edge = np.where(
        inside > 0,
        cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_5),
        cv2.distanceTransform(1 - inside, cv2.DIST_L2, cv2.DIST_MASK_5),
    )
    return (1.0 - np.exp(-(to_edge * to_edge) / np.float32(sigma * sigma))).astype(np.float32)


def localise_guess(guess: np.ndarray, moved: np.ndarray, reach: int) -> np.ndarray:
    """The new guess where it is a local estimate of the moved shape's edge: zero further
    than ``reach`` pixels outside the moved shape (Bai et al. 2009, Sec. 3.2: the local
    classifiers cover windows along the warped contour). A model's mask also holds other
    objects (a pole in front, a salient thing behind); within the subject's reach they
    are judged pixel by pixel, beyond it they are not the subject.

    ==========  =====================================================
    ``guess``   float32 ``(H, W)`` new estimate in [0, 1]
    ``moved``   float32 ``(H, W)``: ``Propagated.moved``
    ``reach``   pixels (>= 0) beyond the moved shape's 0.5 contour
    output      float32 ``(H, W)`` in [0, 1]
    ==========  =====================================================

    >>> moved = np.zeros((1, 12), np.float32); moved[0, :4] = 1
    >>> [int(v) for v in localise_guess(np.ones((1, 12), np.float32), moved, 3)[0]]
    [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    """
    if reach < 0:
        raise AlgorithmError(f"guess reach {reach} px", hint="use a reach of 0 pixels or more")
    new = as_matte(guess, "guess")
    shape = as_matte(moved, "moved")
    if new.shape != shape.shape:
        raise AlgorithmError(
            f"guess {new.shape} and moved shape {shape.shape} differ",
            hint="pass the guess and the propagated shape on one pixel grid",
        )
    outside = (shape < 0.5).astype(np.uint8)
    far = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_5) > reach
    return np.where(far, np.float32(0.0), new)


def fuse_alpha(
    warped: np.ndarray,
    confidence: np.ndarray,
    guess: np.ndarray | None,
    *,
    memory: float,
    occluded: np.ndarray | None = None,
    reliability: np.ndarray | None = None,
) -> np.ndarray:
    """Blend the propagated matte with a new guess (Bai et al. 2009, Eq. 3):
    ``alpha = f · warped + (1 − f) · guess`` with the guess's weight
    ``1 − f = (1 − memory · confidence) · |2 guess − 1|`` — the past where the motion is
    sure, the guess where it is sure of itself — and ``f = 1`` on ``occluded`` pixels.

    ==============  ====================================================
    ``warped``      float32 ``(H, W)`` from :func:`propagate_alpha`
    ``confidence``  float32 ``(H, W)`` in [0, 1] from the same
    ``guess``       float32 ``(H, W)`` new estimate in [0, 1], or None
                    (keyframe only: the warped matte is returned as is)
    ``memory``      weight of the past where the motion is sure, [0, 1]
    ``occluded``    optional bool ``(H, W)``: ``Propagated.occluded``
    output          float32 ``(H, W)`` in [0, 1]
    ==============  ====================================================

    >>> fused = fuse_alpha(np.ones((1, 2), np.float32), np.ones((1, 2), np.float32),
    ...                    np.array([[0.0, 0.5]], np.float32), memory=0.75)
    >>> [float(v) for v in fused[0]]  # a sure 0 counts 1 − 0.75; an unsure 0.5 not at all
    [0.75, 1.0]
    """
    if not 0.0 <= memory <= 1.0:
        raise AlgorithmError(f"temporal memory {memory}", hint="use a weight in [0, 1]")
    past = as_matte(warped, "warped")
    if guess is None:
        return past
    new = as_matte(guess, "guess")
    certainty = np.abs(np.float32(2.0) * new - np.float32(1.0))
    if reliability is not None:
        certainty = certainty * as_matte(reliability, "reliability")
    trust = np.float32(1.0) - np.float32(memory) * as_matte(confidence, "confidence")
    fused = new + (np.float32(1.0) - trust * certainty) * (past - new)
    if occluded is not None:
        fused[occluded] = past[occluded]
    return fused.astype(np.float32)


def guess_reliability(
    previous: np.ndarray,
    guess: np.ndarray,
    carried: np.ndarray,
    sure: np.ndarray,
    rate: float,
) -> np.ndarray:
    """How far the model's guess can be trusted at each pixel, learnt from the frames
    where the propagated matte is sure (Bai et al. 2009, Sec. 3.2: each local classifier's
    confidence is how well it separates the previous frame's known cut-out). A model that
    keeps leaving out (or adding) the same part of the subject while the motion carries it
    surely loses its say there, so it cannot erase that part when the motion becomes
    unsure (an occluder passing).

    ============  =====================================================
    ``previous``  float32 ``(H, W)`` reliability carried from frame t−1
    ``guess``     float32 ``(H, W)`` the model's (localised) guess
    ``carried``   float32 ``(H, W)`` the propagated matte of frame t
    ``sure``      float32 ``(H, W)`` in [0, 1]: how sure ``carried`` is
    ``rate``      weight of frame t's evidence, (0, 1]
    output        float32 ``(H, W)`` in [0, 1]
    ============  =====================================================

    >>> ones = np.ones((1, 3), np.float32)
    >>> guess = np.array([[1.0, 0.0, 1.0]], np.float32)  # misses the middle pixel
    >>> [round(float(v), 2) for v in guess_reliability(ones, guess, ones, ones, 0.5)[0]]
    [1.0, 0.5, 1.0]
    """
    if not 0.0 < rate <= 1.0:
        raise AlgorithmError(f"reliability rate {rate}", hint="use a rate in (0, 1]")
    agreement = np.float32(1.0) - np.abs(as_matte(guess, "guess") - as_matte(carried, "carried"))
    weight = np.float32(rate) * as_matte(sure, "sure")
    past = as_matte(previous, "previous")
    return (past + weight * (agreement - past)).astype(np.float32)
