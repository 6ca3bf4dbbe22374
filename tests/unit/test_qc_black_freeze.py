"""Black and freeze detection: FFmpeg blackdetect / freezedetect semantics."""

from __future__ import annotations

import numpy as np
import pytest
import qc_clips as clips

from reelgraph.algorithms.qc.black_ffmpeg_blackdetect import (
    BlackParameters,
    black_ratio_from_codes,
    black_ratio_from_luma,
    black_threshold_code,
    detect_black,
)
from reelgraph.algorithms.qc.freeze_ffmpeg_freezedetect import (
    FreezeParameters,
    FreezeTracker,
    detect_freeze,
    mafd,
    noise_from_db,
)
from reelgraph.errors import AlgorithmError

# --- black -------------------------------------------------------------------------------


def test_ffmpeg_integer_thresholds() -> None:
    # vf_blackdetect.c: 16·f + pix_th·219·f (narrow) or pix_th·(2^b − 1) (full), truncated.
    assert black_threshold_code(0.10, 8, full_range=False) == 37
    assert black_threshold_code(0.10, 8, full_range=True) == 25
    assert black_threshold_code(0.10, 10, full_range=False) == 151
    assert black_threshold_code(0.0, 8, full_range=False) == 16


def test_black_ratio_counts_pixels_at_or_below_the_threshold() -> None:
    luma = np.full((10, 10), 0.5, np.float32)
    luma[:3] = 0.10  # "at or below" counts
    luma[3, :5] = 0.1001
    assert black_ratio_from_luma(luma) == pytest.approx(0.30)
    codes = np.full((4, 5), 38, np.uint8)
    codes[0] = 37
    assert black_ratio_from_codes(codes, 8) == pytest.approx(0.25)
    # 10-bit threshold 151: 37·4 = 148 is black, 38·4 = 152 is not.
    assert black_ratio_from_codes(codes.astype(np.uint16) * 4, 10) == pytest.approx(0.25)


def test_black_run_is_reported_from_exactly_the_minimum_duration() -> None:
    params = BlackParameters(min_duration=2.0)
    for run, reported in ((50, True), (49, False)):
        ratios = np.r_[np.zeros(10), np.ones(run), np.zeros(10)]
        findings = detect_black(ratios, 25.0, params)
        assert bool(findings) is reported
        if reported:
            assert (findings[0].start_frame, findings[0].end_frame) == (10, 10 + run - 1)
            assert findings[0].value == pytest.approx(run / 25.0)


def test_black_series_edge_cases() -> None:
    assert detect_black([], 25.0) == []
    assert detect_black([1.0], 25.0, BlackParameters(min_duration=0.0))[0].frames == 1
    assert detect_black([np.nan] * 60, 25.0) == []  # NaN is never black
    with pytest.raises(AlgorithmError):
        detect_black(np.ones((2, 2)), 25.0)
    with pytest.raises(AlgorithmError):
        detect_black([1.0], 0.0)
    with pytest.raises(AlgorithmError):
        black_ratio_from_luma(np.full((4, 4), np.nan, np.float32))
    with pytest.raises(AlgorithmError):
        black_ratio_from_luma(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(AlgorithmError):
        BlackParameters(pixel_threshold=1.5)
    # Odd sizes are fine.
    assert black_ratio_from_luma(np.zeros((1, 7), np.float32)) == 1.0


# --- freeze ------------------------------------------------------------------------------


def test_mafd_matches_ffmpeg_normalisation() -> None:
    a = np.zeros((2, 2, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 128  # 3 samples of 12 differ by 128 → mean 32 → /256
    assert mafd(a, b) == pytest.approx(32 / 256)
    assert mafd(a.astype(np.float32), b.astype(np.float32) / 255) == pytest.approx(128 / 255 / 4)
    assert noise_from_db(-60.0) == pytest.approx(0.001)
    with pytest.raises(AlgorithmError):
        mafd(a, b[:1])
    with pytest.raises(AlgorithmError):
        mafd(np.full((2, 2), np.nan, np.float32), np.zeros((2, 2), np.float32))


def test_slow_drift_is_caught_because_the_reference_is_held() -> None:
    # Each frame moves 0.0006 from the last (below n = 0.001), but freezedetect compares
    # with the last non-frozen frame, so the drift shows after two frames.
    tracker = FreezeTracker(noise=0.001)
    frozen = [tracker.push(np.full((8, 8), 0.5 + 0.0006 * k, np.float32))[1] for k in range(6)]
    assert frozen == [False, True, False, True, False, True]


def test_freeze_run_starts_at_its_reference_frame() -> None:
    # Frames 10..69 equal frame 9: the picture holds for 61 frames (2.44 s).
    flags = np.r_[np.zeros(10, bool), np.ones(60, bool), np.zeros(5, bool)]
    (finding,) = detect_freeze(flags, 25.0)
    assert (finding.start_frame, finding.end_frame) == (9, 69)
    short = np.r_[np.zeros(10, bool), np.ones(48, bool), np.zeros(5, bool)]  # 49 frames held
    assert detect_freeze(short, 25.0) == []
    assert len(detect_freeze(short, 25.0, FreezeParameters(min_duration=1.0))) == 1


def test_freeze_series_edge_cases() -> None:
    assert detect_freeze([], 25.0) == []
    assert detect_freeze([False], 25.0) == []
    with pytest.raises(AlgorithmError):
        detect_freeze([True, True], 25.0)  # frame 0 has no reference
    with pytest.raises(AlgorithmError):
        FreezeParameters(noise=2.0)


def test_noisy_still_picture_is_not_frozen_but_a_held_frame_is() -> None:
    frames = clips.static_clip(4)
    tracker = FreezeTracker()
    results = [tracker.push(frame) for frame in [*frames, frames[-1]]]
    assert all(not frozen for _, frozen in results[:4])  # noise 0.004 > n = 0.001
    assert results[4] == (0.0, True)


def test_defaults_are_ffmpegs() -> None:
    # libavfilter/vf_blackdetect.c: pic_th 0.98, pix_th 0.10, d 2.0;
    # vf_freezedetect.c: n −60 dB (0.001), d 2.0. A finding must mean what FFmpeg's would.
    black = BlackParameters()
    assert (black.pixel_threshold, black.picture_threshold, black.min_duration) == (
        0.10,
        0.98,
        2.0,
    )
    freeze = FreezeParameters()
    assert freeze.noise == pytest.approx(noise_from_db(-60.0)) == pytest.approx(0.001)
    assert freeze.min_duration == 2.0
