"""Letterbox and pillarbox bars: the black borders FFmpeg's ``cropdetect`` would crop.

Reference: FFmpeg ``libavfilter/vf_cropdetect.c`` and "cropdetect" in *FFmpeg Filters*
(``limit`` default 24 on 8-bit codes, ``round``, ``reset``). A border row or column is black
when its mean luma is at most ``limit``; the bars are the runs of black rows/columns
reached from each edge, and over several frames the active picture is the union of the
frames' active pictures (cropdetect only ever widens its crop until ``reset``). The 8-bit
narrow-range ``limit=24`` is ``(24 − 16)/219 ≈ 0.0365`` in normalised ``Y′``, the default
here.

Per frame (:func:`letterbox_bars`): bar sizes ``(top, bottom, left, right)`` in pixels from
row and column means (``cv2.reduce``); a frame that is black everywhere has no active
picture and gives ``(-1, -1, -1, -1)``. Over a clip (:func:`detect_letterbox`): runs of
frames with bars of at least ``min_bar`` on a side (all-black frames bridged) become
``info`` findings whose active rectangle is the union over the run.

=============  ======================  =============================================
input          dtype, shape            domain
=============  ======================  =============================================
``luma``       float32 ``(H, W)``      ``Y′`` normalised [0, 1], 0 = black; finite
``bars``       int ``(n, 4)``          top, bottom, left, right in pixels, −1 if black
returns        :class:`Bars`, findings active rectangle ``x, y, width, height``
=============  ======================  =============================================

>>> import numpy as np
>>> frame = np.zeros((100, 200), np.float32); frame[12:88, :] = 0.5
>>> letterbox_bars(frame)
Bars(top=12, bottom=12, left=0, right=0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc._frames import round_fps, validate_plane
from reelgraph.algorithms.qc.findings import Finding, Severity, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = ["Bars", "LetterboxParameters", "active_rectangle", "detect_letterbox", "letterbox_bars"]

STANDARD = "FFmpeg cropdetect"


@dataclass(frozen=True)
class LetterboxParameters:
    """Parameters of the letterbox check."""

    limit: float = (24 - 16) / 219
    """Largest mean normalised ``Y′`` of a bar row/column (cropdetect ``limit=24``)."""
    min_bar: int = 4
    """Smallest bar, in pixels, that is reported (smaller edges are encoder padding)."""
    min_duration: float = 1.0
    """Shortest run of letterboxed frames reported, in seconds."""
    severity: Severity = "info"
    """Letterboxing is usually intended; a delivery spec decides whether it is wrong."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.limit < 1.0 or self.min_bar < 1 or self.min_duration < 0:
            raise AlgorithmError("need 0 <= limit < 1, min_bar >= 1 and min_duration >= 0")


class Bars(NamedTuple):
    """Bar sizes of a frame in pixels; all −1 when the frame has no active picture."""

    top: int
    bottom: int
    left: int
    right: int


def _edge_run(black: NDArray[np.bool_]) -> tuple[int, int]:
    """Lengths of the ``True`` runs at the start and at the end of a 1-D mask."""
    not_black = np.flatnonzero(~black)
    if not_black.size == 0:
        return -1, -1
    return int(not_black[0]), int(black.size - 1 - not_black[-1])


def letterbox_bars(luma: NDArray[np.float32], limit: float = (24 - 16) / 219) -> Bars:
    """Black bars of one frame from its normalised luma."""
    return _bars(validate_plane(luma, "luma"), limit)


def _bars(plane: NDArray[np.float32], limit: float) -> Bars:
    row_means = np.asarray(cv2.reduce(plane, 1, cv2.REDUCE_AVG)).reshape(-1)
    column_means = np.asarray(cv2.reduce(plane, 0, cv2.REDUCE_AVG)).reshape(-1)
    top, bottom = _edge_run(row_means <= limit)
    left, right = _edge_run(column_means <= limit)
    if top < 0 or left < 0:
        return Bars(-1, -1, -1, -1)
    return Bars(top, bottom, left, right)


def active_rectangle(bars: Bars, width: int, height: int) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` of the active picture inside a ``width × height`` frame."""
    if bars.top < 0:
        return 0, 0, 0, 0
    return bars.left, bars.top, width - bars.left - bars.right, height - bars.top - bars.bottom


def detect_letterbox(
    bars: ArrayLike,
    width: int,
    height: int,
    fps: float,
    params: LetterboxParameters | None = None,
) -> list[Finding]:
    """``info`` findings for runs of frames with bars, with the union active rectangle."""
    params = params or LetterboxParameters()
    table = np.asarray(bars, dtype=np.int64)
    if table.size == 0:
        return []
    if table.ndim != 2 or table.shape[1] != 4:
        raise AlgorithmError(f"bars must have shape (n, 4), got {table.shape}")
    black_frame = table[:, 0] < 0
    barred = ~black_frame & (table.max(axis=1) >= params.min_bar)
    min_frames = max(1, int(np.ceil(params.min_duration * round_fps(fps) - 1e-6)))
    findings = []
    # All-black frames carry no bar information: bridge them, then trim to barred frames.
    for start, end in mask_to_segments(barred | black_frame):
        inside = np.flatnonzero(barred[start : end + 1])
        if inside.size == 0:
            continue
        first, last = int(start + inside[0]), int(start + inside[-1])
        if last - first + 1 < min_frames:
            continue
        run = table[first : last + 1][~black_frame[first : last + 1]]
        union = Bars(*(int(value) for value in run.min(axis=0)))
        if max(union) < params.min_bar:
            continue
        x, y, active_width, active_height = active_rectangle(union, width, height)
        kind = []
        if union.top >= params.min_bar or union.bottom >= params.min_bar:
            kind.append("letterbox")
        if union.left >= params.min_bar or union.right >= params.min_bar:
            kind.append("pillarbox")
        findings.append(
            Finding(
                check="letterbox",
                severity=params.severity,
                start_frame=first,
                end_frame=last,
                value=float(active_width * active_height) / float(width * height),
                limit=1.0,
                standard=STANDARD,
                message=(
                    f"{' and '.join(kind)}: active picture {active_width}x{active_height} at "
                    f"({x}, {y}); bars top {union.top}, bottom {union.bottom}, left "
                    f"{union.left}, right {union.right} px"
                ),
            )
        )
    return findings
