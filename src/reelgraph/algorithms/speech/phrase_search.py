"""Where a phrase is said in a word-timed transcript: case-, punctuation- and
word-boundary-tolerant matching.

A recogniser splits and joins words its own way ("someone" or "some one", "it's" or
"its", "Hello, world!"), so phrase and transcript are compared as letters and digits only:
both are lower-cased, apostrophes, hyphens and every other non-alphanumeric character
dropped, and the words joined without spaces. A hit must begin at the start of a word and
end at the end of one (so "art" does not match inside "start"), but may span any number
of words. Each hit reports the words it covers, with the first word's start and the last
word's end. This is plain string matching, written here because the boundary rule over a
joined character stream is not what a regular-expression or fuzzy-search library does.

Domain and range
----------------
======================  ===============================================================
``words``               sequence of ``(text, start_s, end_s)`` in time order
``phrase``              text; must hold at least one letter or digit
returns                 list of :class:`PhraseHit`, in time order, not overlapping
======================  ===============================================================

>>> words = [("some", 0.0, 0.3), ("one", 0.3, 0.6), ("said", 0.6, 0.9), ("hello", 1.0, 1.4)]
>>> [(h.text, h.start_s, h.end_s) for h in find_phrase(words, "Someone said")]
[('some one said', 0.0, 0.9)]
>>> find_phrase(words, "ell")
[]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reelgraph.errors import AlgorithmError

__all__ = ["PhraseHit", "find_phrase", "normalise"]

_KEEP = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, letters and digits only, no spaces (``"It's, a"`` → ``"itsa"``)."""
    return _KEEP.sub("", text.casefold())


@dataclass(frozen=True)
class PhraseHit:
    first_word: int
    """Index of the first word of the hit."""
    last_word: int
    """Index of the last word (inclusive)."""
    text: str
    """The transcript's words that say the phrase."""
    start_s: float
    end_s: float


def find_phrase(words: Sequence[tuple[str, float, float]], phrase: str) -> list[PhraseHit]:
    """Every place ``phrase`` is said (see the module docstring)."""
    wanted = normalise(phrase)
    if not wanted:
        raise AlgorithmError(
            f"the phrase {phrase!r} has no letter or digit to search for",
            hint='search for words, e.g. "best of times"',
        )
    pieces = [normalise(text) for text, _, _ in words]
    joined = "".join(pieces)
    lengths = np.array([len(p) for p in pieces], dtype=np.int64)
    ends = np.cumsum(lengths)  # character offset after each word
    starts = ends - lengths
    word_at = {int(s): k for k, s in enumerate(starts) if lengths[k]}
    word_ending = {int(e): k for k, e in enumerate(ends) if lengths[k]}
    hits: list[PhraseHit] = []
    position = joined.find(wanted)
    while position >= 0:
        stop = position + len(wanted)
        if position in word_at and stop in word_ending:
            first, last = word_at[position], word_ending[stop]
            hits.append(
                PhraseHit(
                    first,
                    last,
                    " ".join(words[k][0] for k in range(first, last + 1)),
                    float(words[first][1]),
                    float(words[last][2]),
                )
            )
            position = joined.find(wanted, stop)
        else:
            position = joined.find(wanted, position + 1)
    return hits
