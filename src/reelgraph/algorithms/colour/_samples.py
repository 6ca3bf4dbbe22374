"""Colour samples as the transfer fits read them (private to the colour family)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def finite_colours(colours: npt.ArrayLike) -> F64:
    """``colours`` (any shape ending in 3) as float64 ``(N, 3)`` rows, the rows holding a
    NaN or an infinity dropped: one bad pixel must not move a fitted look's statistics.

    >>> finite_colours([[0.1, 0.2, 0.3], [np.nan, 0.5, 0.5], [0.4, 0.5, np.inf]]).tolist()
    [[0.1, 0.2, 0.3]]
    """
    rows = np.asarray(colours, np.float64).reshape(-1, 3)
    return rows[np.all(np.isfinite(rows), 1)]
