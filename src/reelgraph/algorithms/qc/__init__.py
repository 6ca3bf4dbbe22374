"""Frame-level QC algorithms, one module per check, and the streaming :class:`VideoQC`.

==============  ===============================  ==========================================
check           module                           standard / practice
==============  ===============================  ==========================================
``black``       ``black_ffmpeg_blackdetect``     FFmpeg ``blackdetect``
``freeze``      ``freeze_ffmpeg_freezedetect``   FFmpeg ``freezedetect``
``flash``       ``flash_bt1702``                 ITU-R BT.1702 / WCAG 2.3.1, EA IRIS method
``red_flash``   ``flash_bt1702``                 same, saturated-red transitions
``flicker``     ``flicker_warping_lai2018``      motion-compensated warping difference
``legal_range`` ``legal_range_ebu_r103``         EBU R 103, ITU-R BT.709 / BT.2020 ranges
``banding``     ``banding_cambi_tandon2021``     CAMBI (Netflix), simplified
``letterbox``   ``letterbox_ffmpeg_cropdetect``  FFmpeg ``cropdetect``
==============  ===============================  ==========================================
"""

from reelgraph.algorithms.qc.banding_cambi_tandon2021 import BandingParameters, cambi
from reelgraph.algorithms.qc.black_ffmpeg_blackdetect import BlackParameters
from reelgraph.algorithms.qc.findings import (
    SEVERITIES,
    VIDEO_CHECKS,
    Finding,
    mask_to_segments,
)
from reelgraph.algorithms.qc.flash_bt1702 import FlashAnalyser, FlashParameters
from reelgraph.algorithms.qc.flicker_warping_lai2018 import FlickerParameters
from reelgraph.algorithms.qc.freeze_ffmpeg_freezedetect import FreezeParameters
from reelgraph.algorithms.qc.legal_range_ebu_r103 import LegalRangeParameters, YCbCrPlanes
from reelgraph.algorithms.qc.letterbox_ffmpeg_cropdetect import LetterboxParameters
from reelgraph.algorithms.qc.video_qc import (
    VideoQC,
    VideoQCConfig,
    VideoQCReport,
    analyse_frames,
)

__all__ = [
    "SEVERITIES",
    "VIDEO_CHECKS",
    "BandingParameters",
    "BlackParameters",
    "Finding",
    "FlashAnalyser",
    "FlashParameters",
    "FlickerParameters",
    "FreezeParameters",
    "LegalRangeParameters",
    "LetterboxParameters",
    "VideoQC",
    "VideoQCConfig",
    "VideoQCReport",
    "YCbCrPlanes",
    "analyse_frames",
    "cambi",
    "mask_to_segments",
]
