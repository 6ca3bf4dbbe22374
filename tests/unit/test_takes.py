"""Takes: one setup rendered clean, blurred, shaky, over-exposed and with a flash burst —
the clean take ranks first and each defect shows in its own criterion; another setup is
another group; a person's choice in the brief wins over the automatic one."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import shot_clips as clips

from reelgraph.agents.takes import Take, choose_takes, measure_take
from reelgraph.algorithms.takes import (
    TakeMeasurements,
    camera_jitter,
    group_takes,
    measure_exposure,
    rank_takes,
    sharpness,
    tiny_image,
)
from reelgraph.errors import AlgorithmError, ReelgraphError

FRAMES = 40


def setup_frames(name: str = "astronaut", top: int = 110) -> list[np.ndarray]:
    """A slow push across the photograph (a real take moves a little)."""
    return clips.shot(name, FRAMES, top=top, left=300, step=0.3)


def blurred(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [cv2.GaussianBlur(f, (0, 0), 2.5) for f in frames]


def shaky(frames: list[np.ndarray]) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    out = []
    for f in frames:
        dx, dy = rng.uniform(-5, 5, 2)
        matrix = np.float32([[1, 0, dx], [0, 1, dy]])
        out.append(
            cv2.warpAffine(f, matrix, (f.shape[1], f.shape[0]), borderMode=cv2.BORDER_REFLECT)
        )
    return out


def over_exposed(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [np.clip(f.astype(np.float32) * 2.2, 0, 255).astype(np.uint8) for f in frames]


def flash_burst(frames: list[np.ndarray]) -> list[np.ndarray]:
    out = frames
    for k in (8, 11, 14, 17, 20):  # five flashes within one second: a BT.1702 failure
        out = clips.flash(out, k, 1, 0.9)
    return out


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("takes")
    base = setup_frames()
    variants = {
        "t1_blurred": blurred(base),
        "t2_shaky": shaky(base),
        "t3_clean": base,
        "t4_over": over_exposed(base),
        "t5_flash": flash_burst(base),
        "other_setup": setup_frames("coffee", top=40),
    }
    return {name: clips.encode(frames, folder / f"{name}.mp4") for name, frames in variants.items()}


@pytest.fixture(scope="module")
def document(takes: dict[str, Path]) -> dict:
    measured = [measure_take(Take(name, path)) for name, path in takes.items()]
    return choose_takes(measured)


def criteria(document: dict, take: str) -> dict:
    for group in document["groups"]:
        for entry in group["takes"]:
            if entry["take"] == take:
                return entry["criteria"]
    raise AssertionError(take)


def test_takes_of_one_setup_group_together(document: dict) -> None:
    groups = [sorted(t["take"] for t in g["takes"]) for g in document["groups"]]
    assert sorted(groups) == [
        ["other_setup"],
        ["t1_blurred", "t2_shaky", "t3_clean", "t4_over", "t5_flash"],
    ]


@pytest.mark.slow
def test_clean_take_ranks_first_and_each_defect_shows_in_its_criterion(document: dict) -> None:
    group = next(g for g in document["groups"] if len(g["takes"]) == 5)
    assert group["best"] == group["chosen"] == "t3_clean" and group["chosen_by"] == "auto"
    clean = criteria(document, "t3_clean")
    for take, criterion in (
        ("t1_blurred", "sharpness"),
        ("t2_shaky", "shake"),
        ("t4_over", "exposure"),
        ("t5_flash", "qc"),
    ):
        bad = criteria(document, take)
        assert bad[criterion]["score"] < clean[criterion]["score"] - 0.2, (take, bad, clean)
    assert "flash" in criteria(document, "t5_flash")["qc"]["why"]
    assert "clipped" in criteria(document, "t4_over")["exposure"]["why"]
    assert "face" in clean and clean["face"]["score"] > 0  # the astronaut's face is found


def test_a_brief_choice_wins_and_a_wrong_one_is_refused(takes: dict[str, Path]) -> None:
    measured = [measure_take(Take(name, takes[name])) for name in ("t3_clean", "t1_blurred")]
    chosen = choose_takes(measured, {"t3_clean": "t1_blurred"})["groups"][0]
    assert (chosen["best"], chosen["chosen"], chosen["chosen_by"]) == (
        "t3_clean",
        "t1_blurred",
        "brief",
    )
    with pytest.raises(ReelgraphError, match="no measured take"):
        choose_takes(measured, {"t3_clean": "t9"})


def test_measures_on_arrays() -> None:
    rng = np.random.default_rng(3)
    sharp = rng.random((90, 160), dtype=np.float32)
    soft = cv2.GaussianBlur(sharp, (0, 0), 2.0)
    assert sharpness(sharp) > sharpness(soft) + 0.1
    assert measure_exposure(np.clip(sharp * 3, 0, 1)).clipped > 0.5
    assert measure_exposure(sharp * 0.05).stops < -3
    assert camera_jitter(np.zeros((0, 2))) == 0.0
    groups = group_takes(
        [tiny_image(sharp), tiny_image(soft), tiny_image(sharp.T.copy()[:90, :160])]
    )
    assert groups[0] == [0, 1]
    with pytest.raises(AlgorithmError):
        sharpness(np.full((4, 4), np.nan, np.float32))
    with pytest.raises(AlgorithmError):
        rank_takes([])
    flat = TakeMeasurements("x", 0.0, 0.0, 0.0, 0.0, 0.0)
    assert rank_takes([flat])[0].total > 0.9  # nothing to fault on a lone take
