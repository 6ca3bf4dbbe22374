"""Dialogue-gated loudness: BS.1770 gated loudness over the blocks that contain speech.

Reference
---------
The measurement of the "anchor element" (dialogue) loudness of ATSC A/85:2013, which
streaming delivery specifications ask for as "dialogue-gated" loudness: the BS.1770-5
integrated loudness of eqs. (3)–(7), averaged only over the gating blocks in which speech
is present. Commercial meters find those blocks with the proprietary Dolby Dialogue
Intelligence speech classifier. **This function approximates that gate and is not Dolby
Dialogue Intelligence**: speech comes from the open detector of
:mod:`~reelgraph.algorithms.audio.vad_spectral_moattar2009`, and results can differ from a
Dolby meter by a few tenths of an LU on clean dialogue and by more on music-heavy mixes.

Method
------
1. BS.1770 gating blocks (400 ms, 100 ms step) with their weighted mean squares (all
   channels, usual G_i) — :func:`~reelgraph.algorithms.audio.loudness_bs1770.loudness_bs1770`.
2. Per-10 ms speech mask (dialogue channel: centre of a surround mix, else the downmix).
3. A block is a speech block when at least ``block_speech_fraction`` of its 40 frames are
   speech.
4. ``speech_ratio`` = speech blocks / blocks above the −70 LKFS absolute gate (the share of
   the audible programme that is dialogue).
5. If ``speech_ratio >= min_speech_ratio`` the result is the two-stage gated loudness of the
   speech blocks (eqs. (5)–(7) over them); otherwise there is too little dialogue to anchor
   on and the programme's integrated loudness is returned, with ``gated_on="programme"``
   and the reason — never silently.

Domain and range
----------------
======================  ==============================================================
``samples``, ``rate``   as :func:`~reelgraph.algorithms.audio.loudness_bs1770.loudness_bs1770`
``min_speech_ratio``    float in [0, 1], default 0.15 (fallback below 15 % dialogue)
returns                 :class:`DialogueLoudness`: loudness in LUFS (``-inf`` for silence),
                        ratio in [0, 1], which gate was used and why
======================  ==============================================================

Example
-------
>>> import numpy as np
>>> t = np.arange(48000 * 10) / 48000
>>> tone = 0.1 * np.sin(2 * np.pi * 1000 * t)  # a steady tone is not dialogue
>>> d = dialogue_loudness(np.stack([tone, tone], axis=1), 48000)
>>> d.gated_on, d.speech_ratio, round(d.loudness_lufs, 1)
('programme', 0.0, -20.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike

from reelgraph.algorithms.audio._common import as_audio
from reelgraph.algorithms.audio.loudness_bs1770 import (
    ABSOLUTE_GATE_LKFS,
    GATING_STEP_S,
    LOUDNESS_OFFSET_DB,
    MOMENTARY_WINDOW_S,
    GatedLoudness,
    LoudnessResult,
    gated_loudness,
    loudness_bs1770,
)
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import (
    SpeechActivity,
    VadParameters,
    detect_speech,
)
from reelgraph.errors import AlgorithmError

__all__ = ["DEFAULT_MIN_SPEECH_RATIO", "DialogueLoudness", "dialogue_loudness"]

#: Below this share of dialogue the programme loudness is used instead (the usual rule of
#: dialogue-gated delivery specifications).
DEFAULT_MIN_SPEECH_RATIO: Final = 0.15


@dataclass(frozen=True)
class DialogueLoudness:
    """Dialogue-gated loudness and how it was obtained."""

    loudness_lufs: float
    """The loudness to compare with a dialogue-gated target, LUFS (``-inf`` for silence)."""
    gated_on: Literal["speech", "programme"]
    """``"speech"``: gated over speech blocks; ``"programme"``: fallback to programme
    loudness (too little speech)."""
    reason: str
    """One sentence saying which gate was used and why."""
    speech_ratio: float
    """Speech blocks / blocks above the absolute gate, in [0, 1]."""
    min_speech_ratio: float
    """The fallback threshold that was applied."""
    speech_gate: GatedLoudness
    """Gate details over the speech blocks alone (``-inf`` when there were none)."""
    programme_lufs: float
    """Programme integrated loudness, LUFS."""
    speech_blocks: int
    """Number of 400 ms blocks counted as speech."""
    method: str = "reelgraph VAD (Moattar & Homayounpour 2009 features); approximates Dolby DI"
    """Which speech gate was used — recorded so a report never passes it off as Dolby's."""


def dialogue_loudness(
    samples: ArrayLike,
    rate: float,
    *,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
    min_speech_ratio: float = DEFAULT_MIN_SPEECH_RATIO,
    block_speech_fraction: float = 0.5,
    speech: SpeechActivity | None = None,
    loudness: LoudnessResult | None = None,
    vad_parameters: VadParameters | None = None,
) -> DialogueLoudness:
    """Dialogue-gated loudness with the programme-loudness fallback (see module docstring).

    ``speech`` and ``loudness`` may be passed when already computed for the same samples.
    """
    if not (0.0 <= min_speech_ratio <= 1.0):
        raise AlgorithmError(f"min_speech_ratio must be in [0, 1], got {min_speech_ratio!r}")
    if not (0.0 < block_speech_fraction <= 1.0):
        raise AlgorithmError(
            f"block_speech_fraction must be in (0, 1], got {block_speech_fraction!r}"
        )
    audio = as_audio(samples)
    if loudness is None:
        loudness = loudness_bs1770(audio, rate, layout=layout, channel_weights=channel_weights)
    if speech is None:
        speech = detect_speech(audio, rate, layout=layout, parameters=vad_parameters)

    block_power = loudness.block_power
    start_s = np.arange(block_power.size) * GATING_STEP_S
    speech_fraction = speech.fraction_in(start_s, start_s + MOMENTARY_WINDOW_S)
    is_speech = speech_fraction >= block_speech_fraction
    audible = block_power > 10.0 ** ((ABSOLUTE_GATE_LKFS - LOUDNESS_OFFSET_DB) / 10.0)
    n_audible = int(np.count_nonzero(audible))
    speech_blocks = int(np.count_nonzero(is_speech & audible))
    ratio = speech_blocks / n_audible if n_audible else 0.0
    speech_gate = gated_loudness(block_power[is_speech & audible])
    programme = loudness.integrated_lufs

    if n_audible == 0:
        return DialogueLoudness(
            -math.inf,
            "programme",
            "no block above the −70 LKFS absolute gate: the programme is silent",
            0.0,
            min_speech_ratio,
            speech_gate,
            programme,
            0,
        )
    if ratio >= min_speech_ratio and speech_blocks > 0:
        return DialogueLoudness(
            speech_gate.loudness_lufs,
            "speech",
            f"gated on speech: dialogue in {ratio:.0%} of the audible programme "
            f"(>= {min_speech_ratio:.0%})",
            ratio,
            min_speech_ratio,
            speech_gate,
            programme,
            speech_blocks,
        )
    return DialogueLoudness(
        programme,
        "programme",
        f"fell back to programme loudness: dialogue in {ratio:.0%} of the audible programme "
        f"(< {min_speech_ratio:.0%})",
        ratio,
        min_speech_ratio,
        speech_gate,
        programme,
        speech_blocks,
    )
