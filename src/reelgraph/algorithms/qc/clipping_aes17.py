"""Clipping: runs of consecutive samples at digital full scale.

Reference
---------
* AES17-2020, *AES standard method for digital audio engineering — Measurement of digital
  audio equipment*, §3.12 (full-scale amplitude, dBFS): a sample can go no further than the
  largest code, so a waveform driven past it is flattened there.
* The consecutive-sample rule of digital clip indicators: one sample at full scale is a
  legal peak (a sine that just touches full scale), while ``n`` consecutive samples at full
  scale (``n = 3`` in most meters) can only be a flattened waveform. FFmpeg's ``astats``
  reports the same evidence as "Peak count" and "Flat factor" (consecutive samples at the
  peak level).

A sample is *at full scale* when ``x ≥ level`` or ``x ≤ −level``; the default ``level`` is
the largest positive 16-bit code, ``32767/32768`` (−0.0003 dBFS), so full-scale codes of 16-
and 24-bit PCM and float audio clipped at ±1.0 all count. A clip event is a run of at least
``min_run`` consecutive samples at full scale with the same sign, per channel.

Limits: clipping that was followed by a gain change (flat tops below full scale) or by lossy
coding (AAC rings around the flattened top) is not seen; a full-scale square wave (a test
signal) reads as clipped.

=================  ===========================  =======================================
input              dtype, shape                 domain
=================  ===========================  =======================================
``samples``        float32/64 ``(n, channels)``  linear, 1.0 = full scale; finite
returns            :class:`ClippingRuns`        runs ``(k, 3)``: channel, first, last
=================  ===========================  =======================================

>>> import numpy as np
>>> x = np.zeros((10, 2), np.float32); x[3:7, 1] = 1.0; x[8, 0] = 1.0
>>> runs = clipping_runs(x)
>>> runs.runs.tolist(), runs.clipped_samples
([[1, 3, 6]], (0, 4))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc.findings import Severity, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = ["STANDARD", "ClippingParameters", "ClippingRuns", "clipping_runs"]

STANDARD = "AES17-2020 §3.12 full scale; consecutive full-scale samples (clip indicators)"


@dataclass(frozen=True)
class ClippingParameters:
    """Thresholds of the clipping check."""

    level: float = 32767.0 / 32768.0
    """A sample at or beyond ``±level`` is at full scale (default: the top 16-bit code)."""
    min_run: int = 3
    """Consecutive full-scale samples (same sign) that make a clip event."""
    severity: Severity = "fail"
    """Severity of a clip event (clipped sound is rejected by delivery QC)."""

    def __post_init__(self) -> None:
        if not 0.0 < self.level <= 1.0:
            raise AlgorithmError(f"level must lie in (0, 1], got {self.level}")
        if self.min_run < 1:
            raise AlgorithmError(f"min_run must be >= 1, got {self.min_run}")


@dataclass(frozen=True)
class ClippingRuns:
    """Clip events of a programme."""

    runs: NDArray[np.int64]
    """``(k, 3)``: channel, first sample, last sample (inclusive), sorted by first sample."""
    clipped_samples: tuple[int, ...]
    """Samples inside clip events, per channel."""


def _audio(samples: ArrayLike) -> NDArray[np.floating]:
    audio = np.asarray(samples)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.ndim != 2 or audio.shape[1] == 0:
        raise AlgorithmError(f"samples must be (n, channels), got shape {audio.shape}")
    if not np.issubdtype(audio.dtype, np.floating):
        raise AlgorithmError(
            f"samples must be float (1.0 = full scale), got {audio.dtype}",
            hint="divide integer PCM by 2^(bits-1) first",
        )
    if audio.size and not np.isfinite(audio).all():
        raise AlgorithmError("samples hold NaN or inf")
    return audio


def clipping_runs(samples: ArrayLike, params: ClippingParameters | None = None) -> ClippingRuns:
    """Clip events: per channel, runs of ``min_run``+ same-sign samples at full scale."""
    params = params or ClippingParameters()
    audio = _audio(samples)
    found: list[NDArray[np.int64]] = []
    counts: list[int] = []
    for channel in range(audio.shape[1]):
        column = audio[:, channel]
        total = 0
        for mask in (column >= params.level, column <= -params.level):
            segments = mask_to_segments(mask, min_frames=params.min_run)
            if segments.size:
                total += int((segments[:, 1] - segments[:, 0] + 1).sum())
                found.append(np.column_stack((np.full(len(segments), channel, np.int64), segments)))
        counts.append(total)
    runs = np.concatenate(found) if found else np.zeros((0, 3), np.int64)
    runs = runs[np.lexsort((runs[:, 0], runs[:, 1]))] if runs.size else runs
    return ClippingRuns(runs.astype(np.int64), tuple(counts))
