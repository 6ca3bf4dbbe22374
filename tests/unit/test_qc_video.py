"""The streaming VideoQC over whole synthetic clips: each defect found where it is, and a
clean clip — fast pan of a real photograph, hard cuts — produces no finding at all."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
import qc_clips as clips

from reelgraph.algorithms.qc import (
    VideoQC,
    VideoQCConfig,
    VideoQCReport,
    YCbCrPlanes,
    analyse_frames,
)
from reelgraph.errors import AlgorithmError

FPS = clips.FPS


def planes_for(frame: np.ndarray) -> YCbCrPlanes:
    y, cb, cr = clips.ycbcr_planes(frame)
    return YCbCrPlanes(y.astype(np.uint8), cb.astype(np.uint8), cr.astype(np.uint8), 8)


def run(
    frames: list[np.ndarray], planes: list[YCbCrPlanes] | None = None, **config: object
) -> VideoQCReport:
    qc = VideoQC(FPS, VideoQCConfig(**config))  # type: ignore[arg-type]
    for index, frame in enumerate(frames):
        qc.push(frame, planes[index] if planes is not None else planes_for(frame))
    return qc.finish()


def spans(report: VideoQCReport, check: str) -> list[tuple[int, int]]:
    return [(f.start_frame, f.end_frame) for f in report.findings if f.check == check]


def near(span: tuple[int, int], start: int, end: int) -> bool:
    return abs(span[0] - start) <= 1 and abs(span[1] - end) <= 1


@pytest.fixture(scope="module")
def clean() -> list[np.ndarray]:
    return clips.clean_clip()


def test_clean_clip_with_fast_pan_and_hard_cuts_has_no_finding(clean: list[np.ndarray]) -> None:
    report = run(clean)
    assert report.findings == []
    assert report.skipped == {}
    assert report.frames == 150 and (report.width, report.height) == (320, 180)
    assert np.flatnonzero(report.series["flicker.cut"]).tolist() == [60, 110]
    assert all(values.shape == (150,) for values in report.series.values())
    json.dumps(report.to_dict())  # the report serialises (NaN become null)


def test_black_segment(clean: list[np.ndarray]) -> None:
    report = run(clips.with_black(clean, 40, 99))
    assert {f.check for f in report.findings} == {"black", "freeze"}  # black is also held
    (black,) = spans(report, "black")
    assert near(black, 40, 99)


def test_frozen_segment(clean: list[np.ndarray]) -> None:
    report = run(clips.with_freeze(clean, 20, 79))
    assert {f.check for f in report.findings} == {"freeze"}
    (freeze,) = spans(report, "freeze")
    assert near(freeze, 20, 79)


def test_flash_train_and_red_flash(clean: list[np.ndarray]) -> None:
    # 5 Hz full-screen white flashes on frames 20..59 (last white frame 56).
    report = run(clips.with_flashes(clean[:100], 20, 59, period=5, on=2))
    assert {(f.check, f.severity) for f in report.findings} == {("flash", "fail")}
    assert near(spans(report, "flash")[0], 20, 56)
    # Saturated red on 40 % of the screen, 5 Hz, frames 15..44 (last red frame 41). (Kept
    # a second away from the cut at 60: a cut to or from red is a red transition too, and
    # one inside the failing second would rightly count as part of the sequence.)
    red = clips.with_flashes(clean[:100], 15, 44, period=5, on=2, colour=(1.0, 0.0, 0.0),
                             box=clips.box_fraction(0.4))  # fmt: skip
    report = run(red)
    red_spans = spans(report, "red_flash")
    assert len(red_spans) == 1 and near(red_spans[0], 15, 41)
    assert {f.check for f in report.findings} <= {"red_flash", "flash"}


def test_global_and_local_flicker(clean: list[np.ndarray]) -> None:
    report = run(clips.with_offset_flicker(clean, 20, 45, amplitude=0.03))
    assert {f.check for f in report.findings} == {"flicker"}
    (flicker,) = spans(report, "flicker")
    assert near(flicker, 20, 45)
    box = (slice(40, 120), slice(100, 220))
    report = run(clips.with_offset_flicker(clean, 70, 95, amplitude=0.06, box=box))
    assert {f.check for f in report.findings} == {"flicker"}
    assert near(spans(report, "flicker")[0], 70, 95)
    assert "local" in report.findings[0].message


def test_out_of_range_levels(clean: list[np.ndarray]) -> None:
    planes = [planes_for(frame) for frame in clean[:90]]
    for index in range(30, 60):  # super-white in the top 10 % of the picture
        y = planes[index].y.copy()
        y[:18] = 250
        planes[index] = YCbCrPlanes(y, planes[index].cb, planes[index].cr, 8)
    report = run(clean[:90], planes)
    # Super-white is out of range as Y′ and, through the matrix, as R′G′B′: two findings.
    assert {(f.check, f.severity) for f in report.findings} == {("legal_range", "fail")}
    assert len(report.findings) == 2
    assert all(near(span, 30, 59) for span in spans(report, "legal_range"))
    assert sorted(f.message.split(" of ")[1][:6] for f in report.findings) == ["Y′ sam", "pixels"]
    assert max(f.value for f in report.findings) == pytest.approx(0.1)
    # Without Y′C′bC′r planes the check says it did not run, instead of passing silently.
    assert analyse_frames(clean[:5], FPS).skipped == {
        "legal_range": "no Y′C′bC′r planes were given with the frames"
    }


def test_checks_subset_and_bad_input() -> None:
    frames = [np.zeros((36, 64, 3), np.float32)] * 60
    report = analyse_frames(frames, FPS, VideoQCConfig(checks=("black",)))
    assert [f.check for f in report.findings] == ["black"]
    assert set(report.series) == {"black.ratio"}
    with pytest.raises(AlgorithmError, match="unknown check"):
        VideoQCConfig(checks=("blak",))
    qc = VideoQC(FPS)
    empty = qc.finish()
    assert empty.frames == 0 and empty.findings == []
    qc.push(np.zeros((36, 64, 3), np.float32))
    one = qc.finish()
    assert one.frames == 1 and one.findings == []
    with pytest.raises(AlgorithmError) as error:
        qc.push(np.full((36, 64, 3), np.nan, np.float32))
    assert error.value.frame == 1
    with pytest.raises(AlgorithmError, match="the clip is 64x36"):
        qc.push(np.zeros((36, 63, 3), np.float32))
    with pytest.raises(AlgorithmError):
        qc.push(np.zeros((36, 64, 3), np.float64))  # type: ignore[arg-type]
    with pytest.raises(AlgorithmError):
        VideoQC(0.0)


def test_memory_does_not_grow_with_clip_length(clean: list[np.ndarray]) -> None:
    qc = VideoQC(FPS)
    tracemalloc.start()
    try:
        for frame in clean[:30]:
            qc.push(frame)
        after_30, _ = tracemalloc.get_traced_memory()
        for _ in range(3):
            for frame in clean[30:]:
                qc.push(frame)
        after_390, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 360 more frames of 320×180 (0.7 MB each as float) add only per-frame scalars.
    assert after_390 - after_30 < 1_000_000


def test_a_rejected_frame_leaves_the_analyser_consistent(clean: list[np.ndarray]) -> None:
    qc = VideoQC(FPS)
    qc.push(clean[0], planes_for(clean[0]))
    bad_planes = YCbCrPlanes(np.zeros((10, 10), np.uint8), np.zeros((5, 5), np.uint8),
                             np.zeros((5, 5), np.uint8), 8)  # fmt: skip
    with pytest.raises(AlgorithmError) as error:
        qc.push(clean[1], bad_planes)
    assert error.value.frame == 1
    qc.push(clean[1], planes_for(clean[1]))
    report = qc.finish()
    assert report.frames == 2
    assert {values.shape for values in report.series.values()} == {(2,)}
