"""Speech: word-timed transcripts of dialogue, and finding where a line is said.

=================  ===============================================  ========================
measure            module                                           reference
=================  ===============================================  ========================
recognition        :mod:`.recognise_pocketsphinx_huggins2006`       Huggins-Daines et al.
                                                                    2006 (extra ``[asr]``)
phrase search      :mod:`.phrase_search`                            normalised matching
word error rate    :mod:`.wer_levenshtein1966`                      Levenshtein 1966, NIST
=================  ===============================================  ========================

Speech *activity* (is anyone speaking) lives in :mod:`reelgraph.algorithms.audio`
(spectral and Silero detectors).
"""

from __future__ import annotations

from reelgraph.algorithms.speech.phrase_search import PhraseHit, find_phrase, normalise
from reelgraph.algorithms.speech.recognise_pocketsphinx_huggins2006 import (
    INSTALL_HINT,
    RATE_HZ,
    PocketSphinxRecogniser,
    Transcript,
    Word,
    model_name,
    pocketsphinx_available,
)
from reelgraph.algorithms.speech.wer_levenshtein1966 import word_error_rate
from reelgraph.errors import AlgorithmError

__all__ = [
    "INSTALL_HINT",
    "RATE_HZ",
    "RECOGNISERS",
    "PhraseHit",
    "PocketSphinxRecogniser",
    "Transcript",
    "Word",
    "find_phrase",
    "model_name",
    "normalise",
    "pocketsphinx_available",
    "recogniser",
    "word_error_rate",
]

#: Recognisers by name; the first is the default.
RECOGNISERS: dict[str, type[PocketSphinxRecogniser]] = {"pocketsphinx": PocketSphinxRecogniser}


def recogniser(name: str = "pocketsphinx") -> PocketSphinxRecogniser:
    """A new streaming recogniser; an unknown name lists the valid ones."""
    if name not in RECOGNISERS:
        raise AlgorithmError(
            f"unknown speech recogniser {name!r}", hint=f"valid: {', '.join(RECOGNISERS)}"
        )
    return RECOGNISERS[name]()
