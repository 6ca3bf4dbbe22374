"""The result of checking one file: findings with timecodes (the one
:class:`~reelgraph.algorithms.qc.findings.Finding` type), the series behind the plots,
metrics, and its ``reelgraph.QC.1`` document (docs/cli.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from reelgraph.algorithms.qc.findings import SEVERITIES, Finding

SCHEMA = "reelgraph.QC.1"

__all__ = ["SCHEMA", "QCResult", "series_to_json"]


def series_to_json(values: NDArray[Any], digits: int = 6) -> list[float | None]:
    """A numeric series as a JSON list (NaN/inf → ``null``), rounded to keep reports small."""
    array = np.round(np.asarray(values, dtype=np.float64), digits)
    return [v if math.isfinite(v) else None for v in array.tolist()]


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
    findings: list[Finding]
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
