"""The QC result type and the per-frame mask → segment helper every check shares.

A check measures one number (or a few) per frame, turns the series into a boolean mask of
offending frames, and the mask into inclusive frame segments with :func:`mask_to_segments`.
Each segment becomes a :class:`Finding`. Frame numbers are 0-based indices into the
analysed clip; timecodes are added by the caller, which knows the frame rate and the start
timecode.

Domain and range of :func:`mask_to_segments`:

=============  ===============================  =========================================
argument       dtype / shape                    meaning
=============  ===============================  =========================================
``mask``       bool-like, ``(n,)``              ``True`` where a frame offends
``min_frames`` int ≥ 1                          shortest segment kept (after bridging)
``max_gap``    int ≥ 0                          clean runs this short are bridged
return         int64, ``(k, 2)``                inclusive ``[start, end]`` frame pairs
=============  ===============================  =========================================

>>> mask_to_segments([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], min_frames=2)
array([[1, 2],
       [7, 9]])
>>> mask_to_segments([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], max_gap=1)
array([[1, 2],
       [5, 9]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.errors import AlgorithmError

__all__ = [
    "SEVERITIES",
    "VIDEO_CHECKS",
    "Finding",
    "Severity",
    "mask_to_segments",
    "worst_severity",
]

Severity = Literal["fail", "warning", "info"]

#: Allowed severities, worst first.
SEVERITIES: tuple[Severity, ...] = ("fail", "warning", "info")

#: Stable identifiers of the frame-level video checks (audio and spec checks live elsewhere).
VIDEO_CHECKS: tuple[str, ...] = (
    "black",
    "freeze",
    "flash",
    "red_flash",
    "flicker",
    "legal_range",
    "banding",
    "letterbox",
)


@dataclass(frozen=True)
class Finding:
    """One QC result: which check, how bad, where, what was measured against which limit."""

    check: str
    """Stable check identifier, one of :data:`VIDEO_CHECKS` for the video checks."""
    severity: Severity
    """``"fail"``, ``"warning"`` or ``"info"``."""
    start_frame: int
    """First offending frame, 0-based, inclusive."""
    end_frame: int
    """Last offending frame, 0-based, inclusive."""
    value: float
    """The measured value that breaks (or, for ``info``, describes) the limit."""
    limit: float
    """The limit ``value`` is compared with, in the same unit."""
    standard: str
    """The standard or practice the limit comes from."""
    message: str
    """One human-readable sentence: what was found and what the numbers mean."""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise AlgorithmError(
                f"unknown severity {self.severity!r}; valid: {', '.join(SEVERITIES)}"
            )
        if self.start_frame < 0 or self.end_frame < self.start_frame:
            raise AlgorithmError(
                f"invalid frame range {self.start_frame}..{self.end_frame} for {self.check!r}",
                hint="start_frame must be >= 0 and <= end_frame (both inclusive)",
            )

    @property
    def frames(self) -> int:
        """Number of frames the finding covers."""
        return self.end_frame - self.start_frame + 1

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (the field names are the schema)."""
        return asdict(self)


def mask_to_segments(mask: ArrayLike, min_frames: int = 1, max_gap: int = 0) -> NDArray[np.int64]:
    """Inclusive ``[start, end]`` frame pairs of the ``True`` runs of a per-frame mask.

    Runs separated by at most ``max_gap`` clean frames are merged first, then runs shorter
    than ``min_frames`` are dropped. Vectorised with :func:`numpy.diff`; an empty mask gives
    an empty ``(0, 2)`` array.
    """
    if min_frames < 1 or max_gap < 0:
        raise AlgorithmError(
            f"min_frames must be >= 1 and max_gap >= 0 (got {min_frames}, {max_gap})"
        )
    flags = np.asarray(mask)
    if flags.ndim != 1:
        raise AlgorithmError(f"mask must be 1-D, got shape {flags.shape}")
    flags = flags.astype(bool, copy=False)
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    if starts.size and max_gap > 0:
        gaps = starts[1:] - ends[:-1] - 1
        keep = np.concatenate(([True], gaps > max_gap))
        starts = starts[keep]
        ends = np.concatenate((ends[:-1][keep[1:]], ends[-1:]))
    lengths = ends - starts + 1
    keep_long = lengths >= min_frames
    return np.stack((starts[keep_long], ends[keep_long]), axis=1).astype(np.int64)


def worst_severity(severities: Sequence[Severity]) -> Severity | None:
    """The worst of a sequence of severities, or ``None`` for an empty one."""
    for severity in SEVERITIES:
        if severity in severities:
            return severity
    return None
