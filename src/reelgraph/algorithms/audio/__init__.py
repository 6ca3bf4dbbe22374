"""Audio algorithms: loudness measurement, dialogue detection, noise reduction, dynamics.

One published method per module (see docs/agents/dialogue-loudness.md). The names below
are the entry points agents and the CLI build on:

=============================  ====================================================
``measure``                    I, M/S series, LRA, true peak (+ dialogue) in one pass
``R128Meter``                  the same, streamed chunk by chunk
``loudness_bs1770``            BS.1770-5 / EBU Mode loudness (``LoudnessMeter``)
``loudness_range``             EBU Tech 3342 LRA
``true_peak``                  BS.1770-5 Annex 2 true peak (``true_peak_series``)
``detect_speech``              per-10 ms speech mask (dialogue detection)
``detect_speech_silero``       per-32 ms speech probability and mask, Silero VAD (``[asr]``)
``dialogue_loudness``          speech-gated loudness with programme fallback
``reduce_noise``               Wiener / decision-directed dialogue noise reduction
``level``                      speech-aware leveler toward a target loudness
``limit_true_peak``            look-ahead true-peak limiter
``normalise``                  gain to a delivery target, limiting only when needed
``correct_loudness``           noise reduction → leveler → normalise, measured before/after
``lookup``                     delivery targets (``DELIVERY_TARGETS``)
=============================  ====================================================
"""

from reelgraph.algorithms.audio.dialogue_loudness_gated import DialogueLoudness, dialogue_loudness
from reelgraph.algorithms.audio.leveler_dialogue_bs1770 import (
    LevelerParameters,
    LevelerResult,
    level,
)
from reelgraph.algorithms.audio.loudness_bs1770 import (
    LAYOUTS,
    LoudnessMeter,
    LoudnessResult,
    integrated_loudness,
    loudness_bs1770,
)
from reelgraph.algorithms.audio.loudness_correction_r128 import (
    LoudnessCorrection,
    correct_loudness,
    measure_with_speech,
)
from reelgraph.algorithms.audio.loudness_normalisation_r128 import (
    NormalisationResult,
    normalise,
)
from reelgraph.algorithms.audio.loudness_range_tech3342 import (
    LoudnessRangeResult,
    loudness_range,
)
from reelgraph.algorithms.audio.measure_ebu_r128 import (
    LoudnessMeasurement,
    R128Meter,
    TargetCheck,
    measure,
)
from reelgraph.algorithms.audio.noise_reduction_wiener_scalart1996 import (
    NoiseProfile,
    NoiseReductionResult,
    estimate_noise_profile,
    reduce_noise,
)
from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import (
    TruePeakResult,
    TruePeakSeries,
    true_peak,
    true_peak_series,
)
from reelgraph.algorithms.audio.true_peak_limiter_bs1770 import LimiterResult, limit_true_peak
from reelgraph.algorithms.audio.vad_neural_silero2024 import (
    NeuralSpeechActivity,
    detect_speech_silero,
)
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import (
    SpeechActivity,
    VadParameters,
    detect_speech,
)
from reelgraph.specs.loudness_targets import DELIVERY_TARGETS, DeliveryTarget, lookup

__all__ = [
    "DELIVERY_TARGETS",
    "LAYOUTS",
    "DeliveryTarget",
    "DialogueLoudness",
    "LevelerParameters",
    "LevelerResult",
    "LimiterResult",
    "LoudnessCorrection",
    "LoudnessMeasurement",
    "LoudnessMeter",
    "LoudnessRangeResult",
    "LoudnessResult",
    "NeuralSpeechActivity",
    "NoiseProfile",
    "NoiseReductionResult",
    "NormalisationResult",
    "R128Meter",
    "SpeechActivity",
    "TargetCheck",
    "TruePeakResult",
    "TruePeakSeries",
    "VadParameters",
    "correct_loudness",
    "detect_speech",
    "detect_speech_silero",
    "dialogue_loudness",
    "estimate_noise_profile",
    "integrated_loudness",
    "level",
    "limit_true_peak",
    "lookup",
    "loudness_bs1770",
    "loudness_range",
    "measure",
    "measure_with_speech",
    "normalise",
    "reduce_noise",
    "true_peak",
    "true_peak_series",
]
