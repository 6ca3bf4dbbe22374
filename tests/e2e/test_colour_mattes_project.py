"""A rotoscoped scene's grades match with the mattes: the continuity report says so, and a
repainted keyframe re-runs the grade of its shot (and only what depends on it)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from reelgraph.cli.main import main
from reelgraph.colour.linear import from_linear, to_linear
from reelgraph.media.video import VideoWriter

W, H, FRAMES = 160, 120, 3
BRIEF = """\
schema: reelgraph.Brief.1
project: mattes
delivery: web-sdr
review: {{require_approval: false}}
sources:
{sources}
scenes:
  - id: kitchen
    hero: sh010
    shots:
      - id: sh010
        source: hero
        roto: {{subject: keyframe, keyframes: {{0: masks/sh010.png}}}}
      - id: sh020
        source: second
        roto: {{subject: keyframe, keyframes: {{0: masks/sh020.png}}}}
"""
#: Scene-linear colours: grey and coloured walls, a beige costume and a face in front.
COSTUME, FACE = (0.30, 0.26, 0.19), (0.42, 0.26, 0.17)


def view(seed: int, wall: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(encoded picture, 8-bit subject mask) of a view no other view shares detail with."""
    rng = np.random.default_rng(seed)
    linear = np.full((H, W, 3), 0.18, np.float32)
    linear[:, : int(W * 0.45)] = wall
    mask = np.zeros((H, W), np.uint8)
    for (y0, x0, h, w), colour in (((40, 85, 80, 50), COSTUME), ((10, 95, 30, 30), FACE)):
        linear[y0 : y0 + h, x0 : x0 + w] = colour
        mask[y0 : y0 + h, x0 : x0 + w] = 255
    shade = cv2.GaussianBlur(rng.uniform(0.75, 1.25, (H, W)).astype(np.float32), (0, 0), 2)
    return from_linear(linear * shade[..., None], "bt709").astype(np.float32), mask


def write_clip(path: Path, encoded: np.ndarray) -> None:
    with VideoWriter(path, width=W, height=H, frame_rate=Fraction(24), preset="h264") as writer:
        for i in range(FRAMES):
            writer.write(np.roll(encoded, i, axis=1))


def status(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    capsys.readouterr()
    assert main(["status", "-p", str(root), "--json"]) == 0
    return {n["id"]: n for n in json.loads(capsys.readouterr().out)["nodes"]}


def run(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "-p", str(root), "-q", "--executor", "inline", "--no-deliver"]
    assert main(args) == 0, capsys.readouterr()


def continuity(root: Path, key: str) -> dict:
    folder = root / ".reelgraph" / "artifacts" / key[:2] / key / "continuity"
    return json.loads((folder / "continuity.json").read_text())["shots"][0]


def test_the_grade_matches_with_the_mattes_and_a_new_keyframe_reruns_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "mattes"
    assert main(["init", str(root)]) == 0
    for folder in ("footage", "masks"):
        (root / folder).mkdir()
    hero, hero_mask = view(1, (0.16, 0.38, 0.30))
    second, second_mask = view(0, (0.45, 0.30, 0.20))  # a peach wall behind the subject
    cool = to_linear(second, "bt709") * np.float32([1.0, 1.0, 1.3])  # a mis-graded angle
    write_clip(root / "footage" / "hero.mp4", hero)
    write_clip(root / "footage" / "second.mp4", np.clip(from_linear(cool, "bt709"), 0, 1))
    cv2.imwrite(str(root / "masks" / "sh010.png"), hero_mask)
    cv2.imwrite(str(root / "masks" / "sh020.png"), second_mask)
    sources = "\n".join(
        f"  - id: {name}\n    path: footage/{name}.mp4\n    rights: {{owner: test, "
        "licence: test, origin: generated, cleared: true}"
        for name in ("hero", "second")
    )
    (root / "brief.yaml").write_text(BRIEF.format(sources=sources))
    run(root, capsys)
    nodes = status(root, capsys)
    entry = continuity(root, nodes["sh020/grade"]["key"])
    assert (entry["shot"], entry["hero"]) == ("sh020", "sh010")
    assert entry["method"] == "neutrals+skin" and entry["masks"] == "roto"
    assert any("mattes kept the neutrals outside the subject" in n for n in entry["notes"])
    # The cool cast is undone: B/G of the slope near 1/1.3.
    slope = entry["cdl"]["slope"]
    assert abs(slope[2] / slope[1] - 1 / 1.3) < 0.05, slope

    # A repainted keyframe of sh020 re-runs its mattes and its grade; sh010's are kept.
    second_mask[:40] = 0  # the face is no longer part of the subject
    cv2.imwrite(str(root / "masks" / "sh020.png"), second_mask)
    run(root, capsys)
    after = status(root, capsys)
    ran = {node for node, n in after.items() if n["outcome"] == "ran"}
    assert {"sh020/roto", "sh020/grade"} <= ran, ran
    assert not {"sh010/roto", "sh010/grade", "kitchen/hero", "sh020/conform"} & ran, ran
    assert after["sh020/grade"]["key"] != nodes["sh020/grade"]["key"]
    # The new matte has no skin in the subject, and the peach wall is not taken for it.
    assert continuity(root, after["sh020/grade"]["key"])["method"] == "neutrals"
