"""Banding score (CAMBI, simplified) and letterbox/pillarbox bars (cropdetect)."""

from __future__ import annotations

import numpy as np
import pytest
import qc_clips as clips

from reelgraph.algorithms.qc._frames import luma
from reelgraph.algorithms.qc.banding_cambi_tandon2021 import (
    BandingParameters,
    cambi,
    detect_banding,
)
from reelgraph.algorithms.qc.letterbox_ffmpeg_cropdetect import (
    Bars,
    LetterboxParameters,
    detect_letterbox,
    letterbox_bars,
)
from reelgraph.errors import AlgorithmError


def ramp(low: float, high: float, levels: int, width: int = 960, height: int = 540) -> np.ndarray:
    """A horizontal luma ramp quantised to ``levels`` steps over [0, 1]."""
    values = np.linspace(low, high, width)[None, :].repeat(height, 0)
    return (np.round(values * (levels - 1)) / (levels - 1)).astype(np.float32)


# --- banding -----------------------------------------------------------------------------


def test_8bit_sky_gradient_bands_and_10bit_or_dithered_does_not() -> None:
    threshold = BandingParameters().threshold
    banded = cambi(ramp(0.30, 0.36, 256))
    assert banded > threshold
    assert cambi(ramp(0.30, 0.36, 1024)) < threshold / 4
    rng = np.random.default_rng(3)
    values = np.linspace(0.30, 0.36, 960)[None, :].repeat(540, 0)
    dithered = (np.round(values * 255 + rng.uniform(-0.5, 0.5, values.shape)) / 255).astype(
        np.float32
    )
    assert cambi(dithered) < threshold / 2
    # The same banding at 1080p scores about the same (the window scales with the width).
    assert cambi(ramp(0.30, 0.36, 256, 1920, 1080)) == pytest.approx(banded, rel=0.2)


def test_photographs_flat_and_noise_do_not_band() -> None:
    for name in ("astronaut", "coffee", "chelsea"):
        assert cambi(luma(clips.pan(name, 1, 0, width=640, height=360, top=0)[0])) < 2.0
    assert cambi(np.full((540, 960), 0.5, np.float32)) == 0.0
    noise = np.random.default_rng(1).random((540, 960)).astype(np.float32)
    assert cambi(noise) == 0.0


def test_banding_edge_cases_and_segments() -> None:
    assert np.isnan(cambi(np.zeros((8, 200), np.float32)))
    assert cambi(np.zeros((17, 17), np.float32)) == 0.0
    with pytest.raises(AlgorithmError):
        cambi(np.full((64, 64), np.nan, np.float32))
    with pytest.raises(AlgorithmError):
        BandingParameters(topk=0.0)
    scores = np.r_[np.zeros(10), np.full(5, 8.0), [np.nan] * 4, np.full(5, 7.0), np.zeros(30)]
    (finding,) = detect_banding(scores, 25.0)  # NaN gaps (unscored frames) are bridged
    assert (finding.start_frame, finding.end_frame, finding.value) == (10, 23, 8.0)
    assert detect_banding([], 25.0) == []


# --- letterbox ---------------------------------------------------------------------------


def test_letterbox_and_pillarbox_bars() -> None:
    frame = np.zeros((180, 320), np.float32)
    frame[20:160, :] = 0.4
    assert letterbox_bars(frame) == Bars(20, 20, 0, 0)
    frame = np.zeros((180, 320), np.float32)
    frame[:, 40:281] = 0.4
    assert letterbox_bars(frame) == Bars(0, 0, 40, 39)
    assert letterbox_bars(np.zeros((5, 9), np.float32)) == Bars(-1, -1, -1, -1)
    # A dim but not black edge (mean above the cropdetect limit) is picture.
    frame = np.full((50, 50), 0.05, np.float32)
    assert letterbox_bars(frame) == Bars(0, 0, 0, 0)


def test_letterboxed_run_reports_the_union_active_picture() -> None:
    photo = clips.pan("astronaut", 40, 4)
    frames = []
    for k, frame in enumerate(photo):
        plane = luma(frame)
        plane[:22] = 0.0
        plane[-22:] = 0.0
        if k % 7 == 0:  # some frames are darker at the edge: bars look bigger there
            plane[:30] = 0.0
        frames.append(letterbox_bars(plane))
    frames.append(Bars(-1, -1, -1, -1))  # a black frame does not end the run
    (finding,) = detect_letterbox(frames, 320, 180, 25.0)
    assert finding.severity == "info" and (finding.start_frame, finding.end_frame) == (0, 39)
    assert "320x136 at (0, 22)" in finding.message
    assert detect_letterbox([Bars(2, 2, 0, 0)] * 50, 320, 180, 25.0) == []  # under min_bar
    assert detect_letterbox([], 320, 180, 25.0) == []
    with pytest.raises(AlgorithmError):
        detect_letterbox(np.zeros((3, 3)), 320, 180, 25.0)
    with pytest.raises(AlgorithmError):
        LetterboxParameters(min_bar=0)
