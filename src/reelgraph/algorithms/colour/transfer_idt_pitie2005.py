"""Iterative distribution transfer (IDT): the full 3-D colour distribution of a reference.

Reference: F. Pitié, A. Kokaram, R. Dahyot, "N-dimensional probability density function
transfer and its application to colour transfer", ICCV 2005, §3 (Algorithm 1); and
"Automated colour grading using colour distribution transfer", CVIU 107(1–2), 2007, §3:
repeat — rotate both colour sets by a random orthonormal basis, match each rotated axis's
1-D marginal of the source to the target's (histogram specification), rotate back. The
source distribution converges to the target's; matching on L* matches the tone curve.

Each iteration is kept (rotation and 1-D mapping as quantile tables), so the fitted
transfer applies to any colour — which is how a look is baked into a 3D LUT. The
rotations are seeded: the same inputs always give the same look.

=============  ====================================================  =======================
 argument       domain                                                range
=============  ====================================================  =======================
 ``source``     float (N, 3), any 3-D colour space (CIELAB here)      float64 (N, 3), same
 ``target``     float (M, 3), same space                               space
=============  ====================================================  =======================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> u = rng.normal(size=(5000, 3))
>>> v = np.column_stack([rng.exponential(2, 5000), rng.uniform(-1, 1, 5000), u[:, 2] + 3])
>>> moved = fit_idt(u, v).apply(u)
>>> levels = [10, 50, 90]
>>> gap = np.percentile(moved[:, 0], levels) - np.percentile(v[:, 0], levels)
>>> bool(np.all(np.abs(gap) < 0.05))
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.stats import special_ortho_group

from reelgraph.algorithms.colour._samples import F64, finite_colours

#: Iterations (Pitié et al. report convergence in 10–20 for colour).
ITERATIONS = 20
#: Quantiles that describe each 1-D mapping.
QUANTILES = 256


@dataclass
class IdtTransfer:
    rotations: list[F64] = field(default_factory=list)
    source_quantiles: list[F64] = field(default_factory=list)
    target_quantiles: list[F64] = field(default_factory=list)

    def apply(self, colours: npt.ArrayLike) -> F64:
        shape = np.shape(colours)
        x = np.asarray(colours, np.float64).reshape(-1, 3).copy()
        for rotation, sq, tq in zip(
            self.rotations, self.source_quantiles, self.target_quantiles, strict=True
        ):
            rotated = x @ rotation.T
            for axis in range(3):
                # np.interp holds the end values beyond the table: no colour is extrapolated.
                rotated[:, axis] = np.interp(rotated[:, axis], sq[axis], tq[axis])
            x = rotated @ rotation
        return x.reshape(shape)


def fit_idt(
    source: npt.ArrayLike, target: npt.ArrayLike, *, iterations: int = ITERATIONS, seed: int = 0
) -> IdtTransfer:
    u, v = finite_colours(source), finite_colours(target)
    transfer = IdtTransfer()
    if len(u) < 4 or len(v) < 4:
        return transfer
    levels = np.linspace(0.0, 100.0, QUANTILES)
    rng = np.random.default_rng(seed)
    x = u.copy()
    for i in range(iterations):
        # The first rotation is the identity, so the colour space's own axes (L* first:
        # the tone curve) are matched exactly before the random ones refine the rest.
        rotation = np.eye(3) if i == 0 else special_ortho_group.rvs(3, random_state=rng)
        xr, vr = x @ rotation.T, v @ rotation.T
        sq = np.percentile(xr, levels, axis=0).T
        tq = np.percentile(vr, levels, axis=0).T
        # Strictly increasing source quantiles for interpolation (flat runs in the data).
        sq = np.maximum.accumulate(sq + np.arange(QUANTILES) * 1e-9, axis=1)
        for axis in range(3):
            xr[:, axis] = np.interp(xr[:, axis], sq[axis], tq[axis])
        x = xr @ rotation
        transfer.rotations.append(rotation)
        transfer.source_quantiles.append(sq)
        transfer.target_quantiles.append(tq)
    return transfer
