"""The QC finding — the one type every check, the QC report, the agent and the store's
``findings`` rows share — and the per-frame mask → segment helper every check uses.

A check measures one number (or a few) per frame, turns the series into a boolean mask of
offending frames, and the mask into inclusive frame segments with :func:`mask_to_segments`.
Each segment becomes a :class:`Finding`. Frame numbers are 0-based indices into the
analysed clip; timecodes are added (:meth:`Finding.timed`) by the caller, which knows the
frame rate. :meth:`Finding.to_dict` is the JSON form (``findings[]`` of
``reelgraph.QC.1`` and ``reelgraph.Status.1``), :meth:`Finding.from_dict` reads it back.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc._frames import series_1d
from reelgraph.errors import AlgorithmError
from reelgraph.json_numbers import finite_or_none
from reelgraph.timecode import frames_to_timecode

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
    """One QC result: which check, how bad, where, what was measured against which limit.

    >>> finding = Finding.at("black", "warning", 0, 59, Fraction(25), 1.0, 0.98,
    ...                      "FFmpeg blackdetect", "black for 60 frames")
    >>> finding.start_tc, finding.end_tc, finding.frames
    ('00:00:00:00', '00:00:02:09', 60)
    >>> Finding.from_dict(finding.to_dict()) == finding
    True
    """

    check: str
    """Stable check identifier, one of :data:`VIDEO_CHECKS` for the video checks."""
    severity: Severity
    """``"fail"``, ``"warning"`` or ``"info"``."""
    start_frame: int
    """First offending frame, 0-based, inclusive."""
    end_frame: int
    """Last offending frame, 0-based, inclusive."""
    value: float | None
    """The measured value that breaks (or, for ``info``, describes) the limit; None when
    nothing could be measured (a file that does not decode)."""
    limit: float | None
    """The limit ``value`` is compared with, in the same unit; None when there is none."""
    standard: str
    """The standard or practice the limit comes from."""
    message: str
    """One human-readable sentence: what was found and what the numbers mean."""
    start_tc: str | None = None
    """SMPTE timecode of ``start_frame`` from the file's first frame (drop-frame at 29.97
    and 59.94 fps), once the frame rate is known; None from the checks themselves."""
    end_tc: str | None = None
    """SMPTE timecode of ``end_frame``."""

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

    @classmethod
    def at(
        cls,
        check: str,
        severity: Severity,
        start_frame: int,
        end_frame: int,
        rate: Fraction,
        value: float | None,
        limit: float | None,
        standard: str,
        message: str,
    ) -> Finding:
        """A finding with timecodes at ``rate``; the frame range is clamped to a valid one
        (frames before the first become 0; an end before the start becomes the start)."""
        start = max(0, int(start_frame))
        end = max(start, int(end_frame))
        finding = cls(check, severity, start, end, value, limit, standard, message)
        return finding.timed(rate)

    def timed(self, rate: Fraction) -> Finding:
        """This finding with the timecodes of its frames at ``rate``."""
        return replace(
            self,
            start_tc=frames_to_timecode(self.start_frame, rate),
            end_tc=frames_to_timecode(self.end_frame, rate),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``findings[]`` in ``reelgraph.QC.1``): non-finite values → null."""
        return {
            "check": self.check,
            "severity": self.severity,
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "start_tc": self.start_tc,
            "end_tc": self.end_tc,
            "value": finite_or_none(self.value, 6),
            "limit": finite_or_none(self.limit, 6),
            "standard": self.standard,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Read :meth:`to_dict`'s form back (validated as on construction)."""
        try:
            return cls(
                check=str(data["check"]),
                severity=cast(Severity, data["severity"]),
                start_frame=int(data["start_frame"]),
                end_frame=int(data["end_frame"]),
                value=None if data.get("value") is None else float(data["value"]),
                limit=None if data.get("limit") is None else float(data["limit"]),
                standard=str(data.get("standard", "")),
                message=str(data.get("message", "")),
                start_tc=data.get("start_tc"),
                end_tc=data.get("end_tc"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AlgorithmError(
                f"not a QC finding: {exc}", hint="a finding needs check, severity and frames"
            ) from None


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
    flags = series_1d(mask, "mask", dtype=bool)
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
