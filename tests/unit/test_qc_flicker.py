"""Flicker after motion compensation (warping difference, DIS flow)."""

from __future__ import annotations

import numpy as np
import pytest
import qc_clips as clips

from reelgraph.algorithms.qc._frames import luma
from reelgraph.algorithms.qc.flicker_warping_lai2018 import (
    FlickerParameters,
    FlickerTracker,
    detect_flicker,
    flicker_pair,
    reversal_mask,
    working_luma,
)
from reelgraph.errors import AlgorithmError

FPS = clips.FPS


def measure(frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tracker = FlickerTracker()
    pairs = [tracker.push(luma(frame)) for frame in frames]
    return (
        np.array([p.global_change for p in pairs]),
        np.array([p.local_change for p in pairs]),
        np.array([p.cut for p in pairs]),
    )


@pytest.fixture(scope="module")
def clean() -> list[np.ndarray]:
    return clips.clean_clip()


def test_fast_pan_and_cuts_are_not_flicker(clean: list[np.ndarray]) -> None:
    global_change, local_change, cut = measure(clean)
    assert np.flatnonzero(cut).tolist() == [60, 110]  # the two hard cuts
    assert np.isnan(global_change[[0, 60, 110]]).all()
    assert np.nanmax(np.abs(global_change)) < 0.1 * FlickerParameters().global_threshold
    assert np.nanmax(np.abs(local_change)) < FlickerParameters().local_threshold
    assert detect_flicker(global_change, local_change, FPS) == []


def test_global_flicker_of_known_amplitude_on_a_pan(clean: list[np.ndarray]) -> None:
    # ±0.03 on every other frame from 20 to 45, during the fast pan.
    frames = clips.with_offset_flicker(clean, 20, 45, amplitude=0.03)
    findings = detect_flicker(*measure(frames)[:2], FPS)
    assert len(findings) == 1
    (finding,) = findings
    assert "global" in finding.message
    assert abs(finding.start_frame - 20) <= 1 and abs(finding.end_frame - 45) <= 1
    # Frame-to-frame change of ±0.03 alternation is 0.06 (0.03 at the ends).
    assert finding.value == pytest.approx(0.06, rel=0.15)


def test_local_flicker_in_one_region(clean: list[np.ndarray]) -> None:
    box = (slice(40, 120), slice(100, 220))  # a sixth of the picture
    frames = clips.with_offset_flicker(clean, 70, 95, amplitude=0.06, box=box)
    global_change, local_change, _ = measure(frames)
    findings = detect_flicker(global_change, local_change, FPS)
    assert [("local" in f.message) for f in findings] == [True]
    assert abs(findings[0].start_frame - 70) <= 1 and abs(findings[0].end_frame - 95) <= 1
    assert np.nanmax(np.abs(global_change[70:96])) < FlickerParameters().global_threshold


def test_fade_is_monotonic_not_flicker() -> None:
    frames = [
        frame * np.float32(1.0 - 0.03 * k) for k, frame in enumerate(clips.pan("coffee", 30, 3))
    ]
    global_change, local_change, _ = measure(frames)
    assert np.nanmedian(global_change) < -0.005  # it does darken every frame
    assert detect_flicker(global_change, local_change, FPS) == []


def test_reversal_mask_needs_an_opposite_change_nearby() -> None:
    changes = [0.0, 0.05, 0.0, 0.0, 0.0, -0.05, 0.0, 0.05, -0.05, np.nan, 0.05]
    assert reversal_mask(changes, 0.01, window=1).tolist() == [
        False, False, False, False, False, False, False, True, True, False, False,
    ]  # fmt: skip
    assert reversal_mask(changes, 0.01, window=4)[1]
    assert reversal_mask([], 0.01, 2).size == 0


def test_edge_cases() -> None:
    tiny = np.zeros((8, 8), np.float32)
    assert np.isnan(flicker_pair(tiny, tiny).global_change)  # below 32 px: unmeasurable
    flat = np.full((64, 64), 0.5, np.float32)
    assert np.isnan(flicker_pair(flat, flat + np.float32(0.04)).global_change)  # no structure
    textured = luma(clips.pan("chelsea", 1, 0, width=64, height=64)[0])
    pair = flicker_pair(textured, textured + np.float32(0.04))
    assert pair.global_change == pytest.approx(0.04, abs=1e-3) and not pair.cut
    assert working_luma(np.zeros((100, 1000), np.float32)).shape == (48, 480)
    assert working_luma(np.zeros((33, 47), np.float32)).shape == (33, 47)
    with pytest.raises(AlgorithmError):
        flicker_pair(flat, flat[:32])
    with pytest.raises(AlgorithmError):
        FlickerTracker().push(np.full((40, 40), np.nan, np.float32))
    with pytest.raises(AlgorithmError):
        FlickerParameters(flow_preset="slow")  # type: ignore[arg-type]
    assert detect_flicker([], [], FPS) == []
    assert detect_flicker([np.nan], [np.nan], FPS) == []
