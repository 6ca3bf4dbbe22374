"""Inverse tone mapping (SDR -> HDR) dispatcher.

===========  ===========================================================================
method       module
===========  ===========================================================================
``bt2408``   :mod:`.itm_bt2408`: SDR white -> 203 cd/m², optional highlight expansion
``bt2446c``  :mod:`.itm_bt2446c`: inverse of Report BT.2446 Method C's tone curve
===========  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from reelgraph.algorithms.restore._dispatch import check_options, pick_method
from reelgraph.algorithms.restore.itm_bt2408 import itm_bt2408
from reelgraph.algorithms.restore.itm_bt2446c import itm_bt2446c

__all__ = ["ITM_METHODS", "inverse_tone_map"]

#: Method name -> function(frame, *, transfer, **options).
ITM_METHODS: Mapping[str, Callable[..., np.ndarray]] = {
    "bt2408": itm_bt2408,
    "bt2446c": itm_bt2446c,
}


def inverse_tone_map(
    frame: np.ndarray,
    *,
    transfer: str = "pq",
    method: str = "bt2408",
    options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Convert an SDR BT.709 frame to an HDR BT.2020 ``transfer`` ("pq"/"hlg") signal.

    >>> out = inverse_tone_map(np.ones((1, 1, 3), np.float32), transfer="hlg")
    >>> round(float(out[0, 0, 1]), 2)
    0.75
    """
    function = pick_method("inverse tone mapping", ITM_METHODS, method)
    extra = check_options(function, options, reserved=("transfer",))
    return function(frame, transfer=transfer, **extra)
