"""Takes: which clips are takes of one setup, and which take is best, with reasons.

=================  ============================================  ==========================
measure            module                                        reference
=================  ============================================  ==========================
setup similarity   :mod:`.similarity_tiny_image_torralba2008`     Torralba et al. 2008
sharpness          :mod:`.sharpness_blur_effect_crete2007`       Crété-Roffet et al. 2007
exposure           :mod:`.exposure_middle_grey_bt709`            ITU-R BT.709, 18 % grey
camera shake       :mod:`.shake_phase_correlation_kuglin1975`    Kuglin & Hines 1975,
                                                                 Grundmann et al. 2011
face               :mod:`.face_lbp_cascade_liao2007`             Viola & Jones 2001,
                                                                 Liao et al. 2007
speech, QC         :mod:`reelgraph.algorithms.audio`,            (reused)
                   :mod:`reelgraph.algorithms.qc`
ranking            :mod:`.ranking`                               weighted, explained
=================  ============================================  ==========================
"""

from reelgraph.algorithms.takes.exposure_middle_grey_bt709 import Exposure, measure_exposure
from reelgraph.algorithms.takes.face_lbp_cascade_liao2007 import detect_faces
from reelgraph.algorithms.takes.ranking import (
    WEIGHTS,
    QCDefect,
    TakeMeasurements,
    TakeScore,
    rank_takes,
)
from reelgraph.algorithms.takes.shake_phase_correlation_kuglin1975 import (
    camera_jitter,
    frame_shift,
)
from reelgraph.algorithms.takes.sharpness_blur_effect_crete2007 import sharpness
from reelgraph.algorithms.takes.similarity_tiny_image_torralba2008 import (
    group_takes,
    signature_similarity,
    tiny_image,
)

__all__ = [
    "WEIGHTS",
    "Exposure",
    "QCDefect",
    "TakeMeasurements",
    "TakeScore",
    "camera_jitter",
    "detect_faces",
    "frame_shift",
    "group_takes",
    "measure_exposure",
    "rank_takes",
    "sharpness",
    "signature_similarity",
    "tiny_image",
]
