"""The shared QC result type and the mask → segment helper."""

from __future__ import annotations

import numpy as np
import pytest

from reelgraph.algorithms.qc import VIDEO_CHECKS, Finding, mask_to_segments
from reelgraph.algorithms.qc.findings import worst_severity
from reelgraph.errors import AlgorithmError


def test_segments_are_inclusive_runs_of_true() -> None:
    mask = [0, 1, 1, 0, 0, 1, 0, 1, 1, 1]
    assert mask_to_segments(mask).tolist() == [[1, 2], [5, 5], [7, 9]]


def test_short_runs_are_dropped_and_short_gaps_bridged() -> None:
    mask = [1, 1, 0, 1, 0, 0, 0, 1, 1, 1]
    assert mask_to_segments(mask, min_frames=3).tolist() == [[7, 9]]
    assert mask_to_segments(mask, max_gap=1).tolist() == [[0, 3], [7, 9]]
    assert mask_to_segments(mask, max_gap=3).tolist() == [[0, 9]]
    # Bridging happens before the length filter: two short runs can make one long one.
    assert mask_to_segments(mask, min_frames=4, max_gap=1).tolist() == [[0, 3]]


@pytest.mark.parametrize(
    ("mask", "expected"),
    [([], []), ([False], []), ([True], [[0, 0]]), ([True] * 5, [[0, 4]]), ([0] * 5, [])],
)
def test_edge_masks(mask: list[int], expected: list[list[int]]) -> None:
    segments = mask_to_segments(np.asarray(mask, dtype=bool))
    assert segments.shape[1] == 2
    assert segments.tolist() == expected


def test_bad_arguments_raise() -> None:
    with pytest.raises(AlgorithmError):
        mask_to_segments(np.ones((2, 2), bool))
    with pytest.raises(AlgorithmError):
        mask_to_segments([1, 0], min_frames=0)
    with pytest.raises(AlgorithmError):
        mask_to_segments([1, 0], max_gap=-1)


def test_finding_checks_its_fields_and_serialises() -> None:
    finding = Finding("black", "warning", 3, 7, 2.4, 2.0, "FFmpeg blackdetect", "black")
    assert finding.frames == 5
    assert finding.to_dict()["end_frame"] == 7
    with pytest.raises(AlgorithmError):
        Finding("black", "fatal", 0, 1, 0.0, 0.0, "", "")  # type: ignore[arg-type]
    with pytest.raises(AlgorithmError):
        Finding("black", "info", 5, 4, 0.0, 0.0, "", "")
    with pytest.raises(ValueError):  # AlgorithmError is also a ValueError
        Finding("black", "info", -1, 4, 0.0, 0.0, "", "")


def test_check_identifiers_and_severity_order_are_stable() -> None:
    assert VIDEO_CHECKS == (
        "black", "freeze", "flash", "red_flash", "flicker", "legal_range", "banding", "letterbox",
    )  # fmt: skip
    assert worst_severity(["info", "warning"]) == "warning"
    assert worst_severity(["info", "fail", "warning"]) == "fail"
    assert worst_severity([]) is None


def test_one_finding_type_from_check_to_report_and_back() -> None:
    """A check's finding gets its timecodes, prints as the QC.1/Status.1 element and reads
    back the same; what cannot be measured is null, a half dict is refused."""
    from fractions import Fraction

    raw = Finding("freeze", "fail", 48, 95, float("nan"), 2.0, "FFmpeg freezedetect", "frozen")
    timed = raw.timed(Fraction(30000, 1001))
    assert (timed.start_tc, timed.end_tc) == ("00:00:01;18", "00:00:03;05")
    data = timed.to_dict()
    assert list(data) == [
        "check", "severity", "start_frame", "end_frame", "start_tc", "end_tc",
        "value", "limit", "standard", "message",
    ]  # fmt: skip
    assert data["value"] is None and data["limit"] == 2.0
    assert Finding.from_dict(data) == Finding.at(
        "freeze", "fail", 48, 95, Fraction(30000, 1001), None, 2.0, "FFmpeg freezedetect", "frozen"
    )
    with pytest.raises(AlgorithmError, match="not a QC finding"):
        Finding.from_dict({"check": "black", "start_frame": 0, "end_frame": 1})
    with pytest.raises(AlgorithmError, match="severity"):
        Finding.from_dict({**data, "severity": "dreadful"})
