"""Faces: a multi-block LBP cascade (Viola–Jones) and whether the face is in focus.

References: P. Viola and M. Jones, "Rapid object detection using a boosted cascade of simple
features", *CVPR* 2001 (the cascade and the sliding, multi-scale window); S. Liao, X. Zhu,
Z. Lei, L. Zhang and S. Z. Li, "Learning multi-scale block local binary patterns for face
recognition", *ICB* 2007 (the MB-LBP features of the trained frontal-face cascade). The
cascade is OpenCV's ``lbpcascade_frontalface`` as shipped inside the scikit-image wheel
(``skimage.data.lbp_frontal_face_cascade_filename()``), run by ``skimage.feature.Cascade``;
nothing is downloaded.

A face is *in focus* when the Laplacian variance inside its box is at least that of the
whole frame (a soft face in a sharp frame is the classic missed-focus take). Frontal faces
only: profiles, small faces (< ``min_size`` pixels) and heavily occluded ones are not found.

=============  ======================  ==========================================
input          dtype, shape            domain
=============  ======================  ==========================================
``luma``       float32 ``(H, W)``      ``Y′`` in [0, 1]
returns        list of boxes           (x, y, width, height), pixels
=============  ======================  ==========================================

>>> import numpy as np
>>> detect_faces(np.zeros((64, 64), np.float32))
[]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from skimage import data
from skimage.feature import Cascade

from reelgraph.errors import AlgorithmError

__all__ = ["CASCADE_FILE", "detect_faces"]

#: The trained cascade (package data of scikit-image).
CASCADE_FILE = data.lbp_frontal_face_cascade_filename()


@lru_cache(maxsize=1)
def _cascade() -> Cascade:
    return Cascade(CASCADE_FILE)


def detect_faces(
    luma: NDArray[np.float32], min_size: int = 24, min_neighbours: int = 3
) -> list[tuple[int, int, int, int]]:
    """Frontal faces in a frame, largest first."""
    if not isinstance(luma, np.ndarray) or luma.ndim != 2:
        raise AlgorithmError("luma must be an (H, W) array")
    height, width = luma.shape
    if min(height, width) < min_size:
        return []
    found = _cascade().detect_multi_scale(
        img=np.ascontiguousarray(luma, dtype=np.float32),
        scale_factor=1.2,
        step_ratio=1,
        min_size=(min_size, min_size),
        max_size=(height, width),
        min_neighbor_number=min_neighbours,
    )
    boxes = [(int(f["c"]), int(f["r"]), int(f["width"]), int(f["height"])) for f in found]
    return sorted(boxes, key=lambda b: -b[2] * b[3])
