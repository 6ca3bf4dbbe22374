"""Colour pairs where two views overlap: SIFT matches, RANSAC homography, dense sampling.

References:
    D. G. Lowe, "Distinctive image features from scale-invariant keypoints", IJCV 60(2),
    2004 — keypoints and descriptors (§3–6) and the nearest/second-nearest distance ratio
    test (§7.1, ratio 0.8 there; 0.75 here, stricter, because a wrong pair costs more than
    a missing one when colours are sampled from it).
    M. A. Fischler, R. C. Bolles, "Random sample consensus", CACM 24(6), 1981 — robust
    estimation of the homography (OpenCV's ``findHomography`` with ``USAC_MAGSAC``) and of
    the fundamental matrix when no plane explains the matches.

SIFT runs on luma with a per-image contrast normalisation, so it sees the same structure
in two shots whose grades differ. With a verified homography every pixel of the overlap
region is a correspondence: the hero is warped onto the shot and colour pairs are sampled
densely inside the overlap, on flat pixels only (edges disagree by a fraction of a pixel of
registration and would pair different surfaces). When the matches fit no plane (parallax)
but satisfy an epipolar geometry, only the verified keypoints' neighbourhoods are paired.

=============  ===============================================  ============================
 argument       domain                                           range
=============  ===============================================  ============================
 ``image``      float32 (H, W, 3), encoded R'G'B' in [0, 1]
 ``reference``  float32 (H', W', 3), encoded R'G'B' in [0, 1]
 return         :class:`Overlap`: ``image_rgb``, ``reference_rgb``  float32 (N, 3) each, the
                                                                 input values at N pairs
=============  ===============================================  ============================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> import cv2
>>> base = cv2.GaussianBlur(rng.random((240, 320, 3)).astype(np.float32), (0, 0), 2.0)
>>> overlap = overlap_pairs(base[20:220, 0:260], base[0:200, 40:300])
>>> overlap.method, overlap.pairs > 1000
('homography', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour.standards import LUMA_BT709

#: Long side, in pixels, that both images are brought to before matching (speed; SIFT
#: at this size still finds hundreds of features in a typical shot).
MATCH_SIZE = 640
#: Lowe's ratio test threshold.
RATIO = 0.75
#: RANSAC reprojection threshold in pixels at MATCH_SIZE.
RANSAC_PX = 3.0
#: Fewest verified matches that count as an overlap (a homography: each match fixes two
#: of its eight degrees of freedom).
MIN_INLIERS = 12
#: Fewest matches that count as an overlap seen with parallax (a fundamental matrix). Each
#: match then only has to lie within RANSAC_PX of a line, so chance agreement is far
#: likelier: a rocket and an astronaut photograph (the demo's two launch shots) "agreed"
#: on 13 of 21 ratio-test matches. Views that share a scene give hundreds at MATCH_SIZE.
MIN_INLIERS_EPIPOLAR = 30
#: Pixels sampled densely at most per image pair (spread over the overlap).
MAX_PAIRS = 40_000

Array = npt.NDArray[np.float32]


@dataclass
class Overlap:
    """What two views share.

    Attributes:
        method: ``homography`` (dense pairs in the warped overlap), ``epipolar`` (pairs at
            verified keypoints only) or ``none``.
        image_rgb: colours of the pairs in the image, (N, 3).
        reference_rgb: colours of the same points in the reference, (N, 3).
        inliers: matches that passed geometric verification.
        coverage: fraction of the image that the reference covers (0 unless homography).
        homography: 3×3 matrix from image pixels to reference pixels (full resolution).
        mask: boolean (H, W) of the image's pixels seen by the reference (None unless
            homography), for reports.
    """

    method: str
    image_rgb: Array
    reference_rgb: Array
    inliers: int = 0
    coverage: float = 0.0
    homography: npt.NDArray[np.float64] | None = None
    mask: npt.NDArray[np.bool_] | None = field(default=None, repr=False)

    @property
    def pairs(self) -> int:
        return int(self.image_rgb.shape[0])


def _luma8(rgb: Array, scale: float) -> npt.NDArray[np.uint8]:
    clean = np.nan_to_num(rgb, nan=0.0, posinf=1.0, neginf=0.0)
    if scale != 1.0:
        clean = np.asarray(
            cv2.resize(clean, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.float32
        )
    luma = clean @ LUMA_BT709
    # Stretch each image to its own 1st–99th percentile: the grades differ, the structure
    # does not, and SIFT's contrast threshold would otherwise see a darker shot as flatter.
    low, high = (float(v) for v in np.percentile(luma, (1, 99)))
    stretched = (luma - low) / max(high - low, 1e-3)
    return np.clip(stretched * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _empty(method: str = "none", inliers: int = 0) -> Overlap:
    none = np.zeros((0, 3), np.float32)
    return Overlap(method, none, none.copy(), inliers)


def _flat(rgb: Array, size: int = 5) -> npt.NDArray[np.bool_]:
    """Pixels whose neighbourhood is smooth (local luma deviation ≤ 2 % of full scale)."""
    luma = rgb @ LUMA_BT709
    mean = cv2.blur(luma, (size, size))
    var = cv2.blur(luma * luma, (size, size)) - mean * mean
    return np.asarray(var < 0.02**2)


def overlap_pairs(image: Array, reference: Array, *, seed: int = 0) -> Overlap:
    """Colour pairs at the points the two views share (see the module docstring)."""
    if image.ndim != 3 or reference.ndim != 3 or image.shape[-1] != 3 != reference.shape[-1]:
        raise ValueError(f"need two (H, W, 3) images, got {image.shape} and {reference.shape}")
    if min(image.shape[:2]) < 16 or min(reference.shape[:2]) < 16:
        return _empty()
    s_img = min(1.0, MATCH_SIZE / max(image.shape[:2]))
    s_ref = min(1.0, MATCH_SIZE / max(reference.shape[:2]))
    sift = cv2.SIFT_create()  # type: ignore[attr-defined]
    kp_i, des_i = sift.detectAndCompute(_luma8(image, s_img), None)
    kp_r, des_r = sift.detectAndCompute(_luma8(reference, s_ref), None)
    if des_i is None or des_r is None or len(kp_i) < 2 or len(kp_r) < 2:
        return _empty()
    knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(des_i, des_r, k=2)
    good = [m[0] for m in knn if len(m) == 2 and m[0].distance < RATIO * m[1].distance]
    if len(good) < MIN_INLIERS:
        return _empty(inliers=len(good))
    pts_i = np.array([kp_i[m.queryIdx].pt for m in good], np.float32) / np.float32(s_img)
    pts_r = np.array([kp_r[m.trainIdx].pt for m in good], np.float32) / np.float32(s_ref)
    cv2.setRNGSeed(seed)
    homography, inl = cv2.findHomography(pts_i, pts_r, cv2.USAC_MAGSAC, RANSAC_PX / s_img)
    n_h = int(inl.sum()) if inl is not None else 0
    if homography is not None and n_h >= MIN_INLIERS and n_h >= 0.3 * len(good):
        return _dense(image, reference, np.asarray(homography, np.float64), n_h, seed)
    fundamental, inl_f = cv2.findFundamentalMat(pts_i, pts_r, cv2.USAC_MAGSAC, RANSAC_PX / s_img)
    n_f = int(inl_f.sum()) if inl_f is not None else 0
    if fundamental is None or n_f < MIN_INLIERS_EPIPOLAR:
        return _empty(inliers=max(n_h, n_f))
    keep = inl_f.ravel().astype(bool)
    return _keypoint_pairs(image, reference, pts_i[keep], pts_r[keep])


def _dense(
    image: Array, reference: Array, homography: npt.NDArray[np.float64], inliers: int, seed: int
) -> Overlap:
    h, w = image.shape[:2]
    # The reference resampled onto the image's pixel grid (image pixel → reference pixel).
    warped = cv2.warpPerspective(
        reference,
        homography,
        (w, h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(np.nan, np.nan, np.nan),
    )
    seen = np.all(np.isfinite(warped), axis=-1)
    coverage = float(seen.mean())
    # Stay two pixels clear of the overlap's border (interpolation with the NaN border).
    seen_inner = cv2.erode(seen.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    warped_filled = np.where(seen[..., None], warped, 0.0).astype(np.float32)
    usable = seen_inner & _flat(image) & _flat(warped_filled)
    usable &= np.all(np.isfinite(image), axis=-1)
    index = np.flatnonzero(usable)
    if index.size < MIN_INLIERS:
        return _empty("none", inliers)
    if index.size > MAX_PAIRS:
        index = np.sort(np.random.default_rng(seed).choice(index, MAX_PAIRS, replace=False))
    flat_img = image.reshape(-1, 3)[index]
    flat_ref = warped_filled.reshape(-1, 3)[index]
    return Overlap(
        "homography",
        flat_img.astype(np.float32),
        flat_ref.astype(np.float32),
        inliers,
        coverage,
        homography,
        seen,
    )


def _keypoint_pairs(image: Array, reference: Array, pts_i: Array, pts_r: Array) -> Overlap:
    """Mean colour of a 5×5 neighbourhood at each verified keypoint of both views."""
    blur_i = np.asarray(cv2.blur(image, (5, 5)), np.float32)
    blur_r = np.asarray(cv2.blur(reference, (5, 5)), np.float32)

    def sample(img: Array, pts: Array) -> Array:
        x = np.clip(np.rint(pts[:, 0]).astype(int), 0, img.shape[1] - 1)
        y = np.clip(np.rint(pts[:, 1]).astype(int), 0, img.shape[0] - 1)
        return np.asarray(img[y, x], np.float32)

    return Overlap("epipolar", sample(blur_i, pts_i), sample(blur_r, pts_r), len(pts_i))
