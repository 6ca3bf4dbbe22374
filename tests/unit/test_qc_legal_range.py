"""Legal range and gamut of Y′C′bC′r (EBU R 103, ITU-R BT.709 / BT.2020)."""

from __future__ import annotations

import numpy as np
import pytest
import qc_clips as clips

from reelgraph.algorithms.qc.legal_range_ebu_r103 import (
    LegalRangeParameters,
    detect_legal_range,
    legal_range_frame,
    preferred_range,
)
from reelgraph.errors import AlgorithmError


def planes8(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y, cb, cr = clips.ycbcr_planes(frame)
    return y.astype(np.uint8), cb.astype(np.uint8), cr.astype(np.uint8)


def test_r103_preferred_ranges() -> None:
    # EBU R 103: nominal range ± 5 % of its span, rounded to the nearest code.
    assert preferred_range(8) == (5, 246)
    assert preferred_range(10) == (20, 984)
    assert preferred_range(12) == (81, 3935)
    assert preferred_range(8, tolerance=0.0) == (16, 235)


def test_a_photograph_converted_properly_is_legal() -> None:
    frame = clips.pan("astronaut", 1, 0)[0]
    for bit_depth in (8, 10):
        y, cb, cr = clips.ycbcr_planes(frame, bit_depth)
        if bit_depth == 8:
            y, cb, cr = (p.astype(np.uint8) for p in (y, cb, cr))
        result = legal_range_frame(y, cb, cr, bit_depth)
        assert result.y_out == 0.0 and result.chroma_out == 0.0 and result.reserved == 0
        assert result.rgb_out < 0.001  # chroma averaging may push a few edge pixels out


def test_luma_excursions_beyond_one_percent_of_the_picture_fail() -> None:
    y, cb, cr = planes8(clips.pan("coffee", 1, 0)[0])
    findings = []
    for share in (0.005, 0.02):
        hot = y.copy()
        rows = round(hot.shape[0] * share)
        hot[:rows] = 250  # above 246 (105 %)
        result = legal_range_frame(hot, cb, cr, 8)
        assert result.y_out == pytest.approx(rows / hot.shape[0], abs=1e-9)
        findings.append(
            detect_legal_range([result.y_out], [result.chroma_out], [result.rgb_out],
                               [result.reserved])
        )  # fmt: skip
    assert findings[0] == []
    # Super-white rows fail as Y′ and, through the matrix, as R′G′B′.
    assert {f.severity for f in findings[1]} == {"fail"}
    assert any("Y′ samples" in f.message for f in findings[1])


def test_reserved_codes_always_fail() -> None:
    y, cb, cr = planes8(np.full((16, 16, 3), 0.5, np.float32))
    y[0, 0] = 0  # a timing-reference code in the picture
    result = legal_range_frame(y, cb, cr, 8)
    assert result.reserved == 1
    (finding,) = detect_legal_range([result.y_out], [result.chroma_out], [result.rgb_out],
                                    [result.reserved])  # fmt: skip
    assert finding.severity == "fail" and "reserved" in finding.message


def test_out_of_gamut_colour_is_measured_through_the_matrix() -> None:
    # Peak white luma with strong positive Cr: R′ far above 105 % while Y′ and Cr are legal.
    y = np.full((8, 8), 235, np.uint8)
    cb = np.full((4, 4), 128, np.uint8)
    cr = np.full((4, 4), 200, np.uint8)
    result = legal_range_frame(y, cb, cr, 8)
    assert result.y_out == 0.0 and result.chroma_out == 0.0
    assert result.rgb_out == 1.0
    # BT.2020's matrix maps the same codes to different R′G′B′.
    assert legal_range_frame(y, cb, cr, 8, matrix="bt2020").rgb_out == 1.0
    # Full-range signals have no narrow-range Y′ limits, but gamut still applies.
    full = legal_range_frame(np.full((8, 8), 255, np.uint8), cb, cr, 8, full_range=True)
    assert full.y_out == 0.0 and full.rgb_out == 1.0


def test_subsampling_layouts_and_bad_input() -> None:
    y = np.full((9, 7), 128, np.uint16) * 4
    for chroma_shape in ((9, 7), (9, 4), (5, 4)):  # 4:4:4, 4:2:2, 4:2:0 with odd sizes
        c = np.full(chroma_shape, 512, np.uint16)
        assert legal_range_frame(y, c, c, 10) == (0.0, 0.0, 0.0, 0)
    c = np.full((5, 4), 512, np.uint16)
    with pytest.raises(AlgorithmError):
        legal_range_frame(y, np.full((3, 3), 512, np.uint16), c, 10)  # cb/cr differ
    with pytest.raises(AlgorithmError):
        legal_range_frame(y, np.full((2, 2), 512, np.uint16), np.full((2, 2), 512, np.uint16), 10)
    with pytest.raises(AlgorithmError):
        legal_range_frame(y.astype(np.float32), c, c, 10)  # type: ignore[arg-type]
    with pytest.raises(AlgorithmError):
        legal_range_frame(y.astype(np.uint8), c.astype(np.uint8), c.astype(np.uint8), 10)
    with pytest.raises(AlgorithmError):
        legal_range_frame(y, c, c, 10, matrix="bt9999")
    with pytest.raises(AlgorithmError):
        LegalRangeParameters(tolerance=0.7)
    assert detect_legal_range([], [], [], []) == []
    assert detect_legal_range([np.nan], [np.nan], [np.nan], [np.nan]) == []
    with pytest.raises(AlgorithmError, match="legal-range series must be 1-D and of equal"):
        detect_legal_range([0.0, 0.0], [0.0], [0.0, 0.0], [0, 0])  # one frame short
    with pytest.raises(AlgorithmError, match="legal-range series must be 1-D"):
        detect_legal_range([[0.0]], [[0.0]], [[0.0]], [[0]])
