"""Shot boundaries: hard cuts and gradual transitions (dissolve, fade in/out, wipe).

=================  ==========================================  ================================
method             module                                      reference
=================  ==========================================  ================================
``classical``      :mod:`.classical` (default), built from:    see each module
                   :mod:`.content_hsv_pyscenedetect`           PySceneDetect ContentDetector
                   :mod:`.hardcut_adaptive_pyscenedetect`      PySceneDetect AdaptiveDetector,
                                                               Heng & Ngan 1999 (flash),
                                                               Kuglin & Hines 1975 (motion)
                   :mod:`.gradual_twin_zhang1993`              Zhang et al. 1993, Lienhart 1999
``transnetv2``     :mod:`.transnetv2_soucek2020`               Souček & Lokoč 2020 (extra [ml])
=================  ==========================================  ================================

The method is chosen explicitly and recorded in every result; a method that cannot run says
what to install and never falls back to another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from reelgraph.algorithms.shots.base import (
    TRANSITION_KINDS,
    ShotBoundaries,
    ShotDetector,
    Transition,
)
from reelgraph.algorithms.shots.classical import (
    ANALYSIS_WIDTH,
    ClassicalParameters,
    ClassicalShotDetector,
)
from reelgraph.algorithms.shots.transnetv2_soucek2020 import TransNetV2Detector
from reelgraph.errors import AlgorithmError

__all__ = [
    "ANALYSIS_WIDTH",
    "DEFAULT_SHOT_METHOD",
    "SHOT_METHODS",
    "TRANSITION_KINDS",
    "ClassicalParameters",
    "ClassicalShotDetector",
    "ShotBoundaries",
    "ShotDetector",
    "Transition",
    "make_detector",
]

#: The detector used unless one is named.
DEFAULT_SHOT_METHOD = "classical"

#: Method name -> detector factory.
SHOT_METHODS: Mapping[str, Callable[[], ShotDetector]] = {
    "classical": ClassicalShotDetector,
    "transnetv2": TransNetV2Detector,
}


def make_detector(method: str = DEFAULT_SHOT_METHOD) -> ShotDetector:
    """A fresh detector of ``method``; an unknown one raises listing the valid names."""
    factory = SHOT_METHODS.get(method)
    if factory is None:
        raise AlgorithmError(
            f"unknown shot detection method {method!r}",
            hint=f"valid methods: {', '.join(SHOT_METHODS)}",
        )
    return factory()
