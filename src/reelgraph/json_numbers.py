"""Numbers as reelgraph's JSON documents and metrics hold them.

JSON has no NaN or infinity: a level of digital silence (−∞ LUFS) or a score that could not
be measured is written as ``null`` in a document, and left out of a node's metrics (the
ledger and the objectives read only what was measured), never faked as a number.

>>> finite_or_none(float("-inf")), finite_or_none(-23.04567, 2)
(None, -23.05)
>>> finite_metrics({"lufs": -23.04567, "gate": float("nan")})
{'lufs': -23.0457}
"""

from __future__ import annotations

import math
from collections.abc import Mapping

#: Decimal places a node's metrics keep (a hundredth of a hundredth of a dB or LU).
METRIC_DIGITS = 4


def finite_or_none(value: float | None, digits: int | None = None) -> float | None:
    """``value`` as a JSON number (rounded to ``digits`` when given), or ``None`` for
    NaN, an infinity or ``None``."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def finite_metrics(values: Mapping[str, float]) -> dict[str, float]:
    """A node's metrics: the finite values, rounded to :data:`METRIC_DIGITS`; the others
    are left out."""
    return {k: round(float(v), METRIC_DIGITS) for k, v in values.items() if math.isfinite(v)}
