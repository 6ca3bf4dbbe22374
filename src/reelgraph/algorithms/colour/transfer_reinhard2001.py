"""Colour transfer by matching per-channel mean and deviation in lαβ (the baseline).

Reference: E. Reinhard, M. Ashikhmin, B. Gooch, P. Shirley, "Color transfer between
images", IEEE CG&A 21(5), 2001: RGB → LMS (eq. 1–2, the Ruderman et al. cone space), log10,
the decorrelated lαβ axes (eq. 3); then per axis (eq. 4–6)

    l' = σ_t / σ_s · (l − ⟨l⟩_s) + ⟨l⟩_t     (and the same for α, β)

and back by the inverse matrices (eq. 7–8). Global statistics follow content as much as
grade — a baseline to compare against, not the product's matcher.

=============  ==================================================  ==========================
 argument       domain                                              range
=============  ==================================================  ==========================
 ``source``     float (N, 3), linear RGB (BT.709 primaries), > 0    float64 (N, 3), linear RGB
 ``target``     float (M, 3), linear RGB, the look to reach
=============  ==================================================  ==========================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> target = rng.uniform(0.1, 0.9, (1000, 3))
>>> transfer = fit_reinhard(target * [0.5, 0.6, 0.7], target)
>>> moved = rgb_to_lalphabeta(transfer.apply(target * [0.5, 0.6, 0.7]))
>>> bool(np.allclose(moved.mean(0), rgb_to_lalphabeta(target).mean(0)))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour._samples import F64, finite_colours

# Eq. 1–2 of the paper combined (the XYZ → LMS of the paper times its RGB → XYZ), as
# printed in eq. 4 of Reinhard et al.
RGB_TO_LMS = np.array(
    [[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]]
)
LMS_TO_LAB = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array(
    [[1, 1, 1], [1, 1, -2], [1, -1, 0]]
)
#: Floor on linear values before the logarithm (1e-4 ≈ 13 stops under white).
FLOOR = 1e-4


def rgb_to_lalphabeta(rgb: npt.ArrayLike) -> F64:
    lms = np.maximum(np.asarray(rgb, np.float64) @ RGB_TO_LMS.T, FLOOR)
    return np.asarray(np.log10(lms) @ LMS_TO_LAB.T, np.float64)


def lalphabeta_to_rgb(lab: npt.ArrayLike) -> F64:
    lms = 10.0 ** (np.asarray(lab, np.float64) @ np.linalg.inv(LMS_TO_LAB).T)
    return np.asarray(lms @ np.linalg.inv(RGB_TO_LMS).T, np.float64)


@dataclass(frozen=True)
class ReinhardTransfer:
    mean_source: F64
    mean_target: F64
    scale: F64

    def apply(self, rgb: npt.ArrayLike) -> F64:
        lab = rgb_to_lalphabeta(rgb)
        return lalphabeta_to_rgb((lab - self.mean_source) * self.scale + self.mean_target)


def fit_reinhard(source: npt.ArrayLike, target: npt.ArrayLike) -> ReinhardTransfer:
    # Bad rows are dropped before lαβ: an infinity there would turn into NaN (∞ − ∞).
    s, t = rgb_to_lalphabeta(finite_colours(source)), rgb_to_lalphabeta(finite_colours(target))
    if len(s) < 2 or len(t) < 2:
        zero = np.zeros(3)
        return ReinhardTransfer(zero, zero, np.ones(3))
    scale = t.std(axis=0) / np.maximum(s.std(axis=0), 1e-9)
    return ReinhardTransfer(s.mean(axis=0), t.mean(axis=0), scale)
