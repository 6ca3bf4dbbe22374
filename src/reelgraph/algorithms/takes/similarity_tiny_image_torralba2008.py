"""Which clips are takes of one setup: correlation of tiny, normalised images.

Reference: A. Torralba, R. Fergus and W. T. Freeman, "80 million tiny images: a large data
set for nonparametric object and scene recognition", *IEEE TPAMI* 30(11), 2008, §3: a
32×32 thumbnail, each normalised to zero mean and unit norm, keeps a scene's layout; the
correlation of two such thumbnails separates same-scene from different-scene pairs. Here
each clip's signature is the mean of its sampled frames' normalised thumbnails (at the
clip's aspect, ``size`` pixels wide), so actors' movement averages out and the setup —
framing, set, light layout — remains. Normalisation makes the measure blind to exposure and
contrast, and the tiny size to focus and a few pixels of shake, which is what tells takes of
one setup apart rather than setups.

Clips are grouped by single linkage: two clips whose signatures correlate at least
``threshold`` are takes of one setup, and so are the takes of their takes.

=============  ==========================  =====================================
input          dtype, shape                domain
=============  ==========================  =====================================
``luma``       float32 ``(H, W)``          ``Y′`` in [0, 1]
signatures     float32 ``(h, w)`` each     from :func:`tiny_image`
returns        list of groups              clip indices, each group ascending
=============  ==========================  =====================================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.random((90, 160), dtype=np.float32); b = rng.random((90, 160), dtype=np.float32)
>>> group_takes([tiny_image(a), tiny_image(np.clip(a * 1.5, 0, 1)), tiny_image(b)])
[[0, 1], [2]]
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from reelgraph.errors import AlgorithmError

__all__ = ["group_takes", "signature_similarity", "tiny_image"]

TINY_WIDTH = 32


def tiny_image(luma: NDArray[np.float32], size: int = TINY_WIDTH) -> NDArray[np.float32]:
    """The frame as a ``size``-wide thumbnail with zero mean and unit norm."""
    if not isinstance(luma, np.ndarray) or luma.ndim != 2 or luma.size == 0:
        raise AlgorithmError("luma must be a non-empty (H, W) array")
    height = max(2, round(luma.shape[0] * size / luma.shape[1]))
    tiny = cv2.resize(luma.astype(np.float32), (size, height), interpolation=cv2.INTER_AREA)
    tiny = tiny - np.float32(tiny.mean())
    norm = float(np.linalg.norm(tiny))
    return (tiny / norm if norm > 1e-6 else tiny).astype(np.float32)


def signature_similarity(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Correlation of two signatures (−1 … 1); 0 when either is flat."""
    if a.shape != b.shape:
        b = np.asarray(
            cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA), np.float32
        )
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < 1e-6 or nb < 1e-6:
        return 0.0
    return float(np.sum(a * b) / (na * nb))


def group_takes(
    signatures: Sequence[NDArray[np.float32]], threshold: float = 0.6
) -> list[list[int]]:
    """Groups of clips that are takes of one setup, in order of their first clip."""
    n = len(signatures)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if signature_similarity(signatures[i], signatures[j]) >= threshold:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])
