"""Word error rate: the word-level edit distance of a hypothesis to a reference.

Reference
---------
V. I. Levenshtein, "Binary codes capable of correcting deletions, insertions, and
reversals", Soviet Physics Doklady 10(8), 1966 (the edit distance); word error rate
WER = (S + D + I) / N, the substitutions, deletions and insertions of the best alignment
over the N reference words, as scored by NIST's sclite. Words are compared after
:func:`reelgraph.algorithms.speech.phrase_search.normalise` (case and punctuation do not
count).

Domain and range
----------------
======================  ===============================================================
``reference``           text (at least one word)
``hypothesis``          text (may be empty: WER 1.0)
returns                 float >= 0 (can exceed 1 with many insertions)
======================  ===============================================================

>>> word_error_rate("It was the best of times.", "it was the best of time")
0.16666666666666666
"""

from __future__ import annotations

import numpy as np

from reelgraph.algorithms.speech.phrase_search import normalise
from reelgraph.errors import AlgorithmError

__all__ = ["word_error_rate"]


def _words(text: str) -> list[str]:
    return [w for w in (normalise(part) for part in text.split()) if w]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(S + D + I) / N over the words of ``reference`` (see the module docstring)."""
    ref, hyp = _words(reference), _words(hypothesis)
    if not ref:
        raise AlgorithmError("the reference has no words", hint="pass the text that was said")
    # One row of the dynamic programme at a time, the inner minimum over insertions taken
    # by a running scan (vectorised per row).
    previous = np.arange(len(hyp) + 1, dtype=np.int64)
    hyp_array = np.array(hyp, dtype=object)
    for i, word in enumerate(ref, start=1):
        substitution = previous[:-1] + (hyp_array != word).astype(np.int64)
        deletion = previous[1:] + 1
        row = np.empty_like(previous)
        row[0] = i
        row[1:] = np.minimum(substitution, deletion)
        # insertion: row[j] = min(row[j], row[j-1] + 1), a running minimum of row[j] - j.
        offsets = np.arange(row.size)
        row = np.minimum.accumulate(row - offsets) + offsets
        previous = row
    return float(previous[-1]) / len(ref)
