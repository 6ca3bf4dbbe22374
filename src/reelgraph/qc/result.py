"""The result of checking one file: findings with timecodes, the series behind the plots,
metrics, and its ``reelgraph.QC.1`` document (docs/cli.md).

>>> from fractions import Fraction
>>> finding = QCFinding.make("black", "warning", 0, 59, Fraction(25), 1.0, 0.98,
...                          "FFmpeg blackdetect", "black for 60 frames")
>>> finding.start_tc, finding.end_tc
('00:00:00:00', '00:00:02:09')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from reelgraph.algorithms.qc import SEVERITIES, Finding
from reelgraph.algorithms.qc.findings import Severity
from reelgraph.timecode import frames_to_timecode

SCHEMA = "reelgraph.QC.1"

__all__ = ["SCHEMA", "QCFinding", "QCResult", "finite_or_none", "series_to_json"]


def finite_or_none(value: float | None, digits: int | None = None) -> float | None:
    """``value`` as a JSON number, or ``None`` for NaN/inf/None."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def series_to_json(values: NDArray[Any], digits: int = 6) -> list[float | None]:
    """A numeric series as a JSON list (NaN/inf → ``null``), rounded to keep reports small."""
    array = np.round(np.asarray(values, dtype=np.float64), digits)
    return [v if math.isfinite(v) else None for v in array.tolist()]


@dataclass(frozen=True)
class QCFinding:
    """One finding as reported: the algorithm's finding plus SMPTE timecodes.

    Frames are 0-based and inclusive, in the checked file; timecodes count from
    00:00:00:00 at its first frame (drop-frame at 29.97 and 59.94 fps).
    """

    check: str
    severity: Severity
    start_frame: int
    end_frame: int
    start_tc: str
    end_tc: str
    value: float | None
    limit: float | None
    standard: str
    message: str

    @classmethod
    def make(
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
    ) -> QCFinding:
        start, end = max(0, int(start_frame)), max(0, int(end_frame))
        end = max(start, end)
        return cls(
            check,
            severity,
            start,
            end,
            frames_to_timecode(start, rate),
            frames_to_timecode(end, rate),
            finite_or_none(value),
            finite_or_none(limit),
            standard,
            message,
        )

    @classmethod
    def from_finding(cls, finding: Finding, rate: Fraction) -> QCFinding:
        return cls.make(
            finding.check,
            finding.severity,
            finding.start_frame,
            finding.end_frame,
            rate,
            finding.value,
            finding.limit,
            finding.standard,
            finding.message,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = finite_or_none(self.value, 6)
        data["limit"] = finite_or_none(self.limit, 6)
        return data


@dataclass
class QCResult:
    """Everything a QC run found about one file."""

    path: str
    spec: str
    profile: str
    frame_rate: Fraction
    frames_analysed: int
    probe: dict[str, Any]
    checks: tuple[str, ...]
    skipped: dict[str, str]
    findings: list[QCFinding]
    video_series: dict[str, NDArray[Any]]
    audio: dict[str, Any] | None
    audio_series: dict[str, Any] | None
    metrics: dict[str, float]
    elapsed_s: float = 0.0
    report: Path | None = None
    thumbnails: dict[int, str] = field(default_factory=dict)
    """start frame → thumbnail file name inside the report folder."""

    @property
    def passed(self) -> bool:
        """No finding of severity ``fail``."""
        return not any(f.severity == "fail" for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def by_check(self) -> dict[str, dict[str, int]]:
        """check → severity → count, for every check run (zeros included)."""
        table: dict[str, dict[str, int]] = {
            check: dict.fromkeys(SEVERITIES, 0) for check in self.checks
        }
        for finding in self.findings:
            table.setdefault(finding.check, dict.fromkeys(SEVERITIES, 0))
            table[finding.check][finding.severity] += 1
        return table

    def to_dict(self) -> dict[str, Any]:
        """The ``reelgraph.QC.1`` document."""
        audio_series = None
        if self.audio_series is not None:
            audio_series = {
                key: series_to_json(value, 3) if isinstance(value, np.ndarray) else value
                for key, value in self.audio_series.items()
            }
        return {
            "schema": SCHEMA,
            "file": self.path,
            "spec": self.spec,
            "profile": self.profile,
            "passed": self.passed,
            "counts": self.counts(),
            "by_check": self.by_check(),
            "checks": list(self.checks),
            "skipped": dict(self.skipped),
            "frames_analysed": self.frames_analysed,
            "probe": self.probe,
            "audio": self.audio,
            "metrics": {k: round(v, 6) for k, v in self.metrics.items() if math.isfinite(v)},
            "findings": [finding.to_dict() for finding in self.findings],
            "series": {
                "frame_rate": round(float(self.frame_rate), 6),
                "video": {name: series_to_json(v) for name, v in self.video_series.items()},
                "audio": audio_series,
            },
            "report": str(self.report) if self.report is not None else None,
            "elapsed_s": round(self.elapsed_s, 3),
        }
