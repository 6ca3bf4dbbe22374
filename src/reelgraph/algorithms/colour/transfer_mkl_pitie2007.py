"""Linear colour transfer by the Monge–Kantorovitch (MKL) solution between Gaussians.

Reference: F. Pitié, A. Kokaram, "The linear Monge-Kantorovitch linear colour mapping for
example-based colour transfer", IET CVMP 2007, eq. 9: with Σ_u, Σ_v the covariances of the
source and target colours,

    T = Σ_u^{-1/2} (Σ_u^{1/2} Σ_v Σ_u^{1/2})^{1/2} Σ_u^{-1/2},
    t(u) = T (u − μ_u) + μ_v

— the linear map that matches the means and covariances while moving colours the least
(so hues are not swapped as a Cholesky or PCA match can). Applied in CIELAB here, so the
distance moved is perceptual.

=============  ====================================================  =======================
 argument       domain                                                range
=============  ====================================================  =======================
 ``source``     float (N, 3), any 3-D colour space (CIELAB here)      float64 (N, 3), same
 ``target``     float (M, 3), same space                               space
=============  ====================================================  =======================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> u = rng.normal(size=(4000, 3)) @ [[2, 0.5, 0], [0, 1, 0.2], [0, 0, 0.5]]
>>> v = u @ [[1.1, 0, 0], [0.2, 0.9, 0], [0, 0, 1.3]] + [5, 1, -2]
>>> transfer = fit_mkl(u, v)
>>> bool(np.allclose(np.cov(transfer.apply(u).T), np.cov(v.T), atol=1e-6))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour._samples import F64, finite_colours

#: Added to covariance eigenvalues so a flat (single-colour) image stays invertible.
EPSILON = 1e-6


def _sqrtm(matrix: F64) -> tuple[F64, F64]:
    """(A^{1/2}, A^{-1/2}) of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    values = np.maximum(values, 0.0) + EPSILON
    return (vectors * np.sqrt(values)) @ vectors.T, (vectors / np.sqrt(values)) @ vectors.T


@dataclass(frozen=True)
class MklTransfer:
    matrix: F64
    mean_source: F64
    mean_target: F64

    def apply(self, colours: npt.ArrayLike) -> F64:
        u = np.asarray(colours, np.float64)
        return np.asarray((u - self.mean_source) @ self.matrix.T + self.mean_target, np.float64)


def fit_mkl(source: npt.ArrayLike, target: npt.ArrayLike) -> MklTransfer:
    u, v = finite_colours(source), finite_colours(target)
    if len(u) < 4 or len(v) < 4:
        zero = np.zeros(3)
        return MklTransfer(np.eye(3), zero, zero)
    cov_u, cov_v = np.cov(u.T), np.cov(v.T)
    root_u, inv_root_u = _sqrtm(cov_u)
    middle, _ = _sqrtm(root_u @ cov_v @ root_u)
    return MklTransfer(inv_root_u @ middle @ inv_root_u, u.mean(axis=0), v.mean(axis=0))
