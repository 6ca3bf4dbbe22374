"""Continuity inside a project run: the grade of a mis-graded shot is matched to its
scene's hero (the continuity report's ΔE2000 drops and the master comes back near the
truth), a scene's lookbook stills and variables re-render only that scene's grades and what
follows, and a hero that is not in its scene is refused."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import pytest
import skimage.data

from conftest import reelgraph
from reelgraph.agents._io import VIEW_FILE, frames
from reelgraph.algorithms.colour.standards import LUMA_BT709
from reelgraph.colour.continuity import delta_e_2000
from reelgraph.colour.linear import from_linear, to_linear
from reelgraph.errors import BriefError
from reelgraph.media.video import VideoWriter
from reelgraph.orchestrator.agent import Input
from reelgraph.project.brief import parse_brief

SIZE = 256  # square frames, pixels
FRAMES = 4
#: The second angle's mis-grade: linear-light gains (a warm cast) and saturation.
MISGRADE = ((1.3, 1.0, 0.75), 0.7)
BRIEF = """\
schema: reelgraph.Brief.1
project: continuity
delivery: vfx-plates
review: {{require_approval: false}}
sources:
{sources}
scenes:
  - id: kitchen
    hero: sh010
    shots:
      - {{id: sh010, source: hero}}
      - {{id: sh020, source: second}}
  - id: street
    looks: [refs/look.png]
    shots:
      - {{id: sh030, source: street}}
"""


def misgrade(encoded: np.ndarray, gains: tuple[float, float, float], sat: float) -> np.ndarray:
    """A white-balance and saturation error made in scene-linear light."""
    linear = to_linear(encoded, "bt709") * np.float32(gains)
    luma = linear @ LUMA_BT709
    linear = luma[..., None] + np.float32(sat) * (linear - luma[..., None])
    return np.clip(from_linear(linear, "bt709"), 0.0, 1.0)


def square(image: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_AREA), np.float32)


def write_clip(path: Path, picture: np.ndarray) -> None:
    with VideoWriter(path, width=SIZE, height=SIZE, frame_rate=Fraction(24), preset="h264") as w:
        for i in range(FRAMES):
            w.write(np.roll(picture, i, axis=1))  # a slow pan, so it is a shot, not a still


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    root = tmp_path_factory.mktemp("colour") / "proj"
    reelgraph("init", str(root), check=True)
    (root / "footage").mkdir()
    (root / "refs").mkdir()
    photo = skimage.data.chelsea().astype(np.float32) / 255.0
    h, w = photo.shape[:2]
    # The hero's view and a second angle sharing only part of it.
    hero, truth = square(photo[:, : int(w * 0.65)]), square(photo[int(h * 0.1) :, int(w * 0.4) :])
    write_clip(root / "footage" / "hero.mp4", hero)
    write_clip(root / "footage" / "second.mp4", misgrade(truth, *MISGRADE))
    street = skimage.data.astronaut().astype(np.float32) / 255.0
    write_clip(root / "footage" / "street.mp4", square(street))
    look = skimage.data.coffee()
    cv2.imwrite(str(root / "refs" / "look.png"), cv2.cvtColor(look, cv2.COLOR_RGB2BGR))
    sources = "\n".join(
        f"  - id: {name}\n    path: footage/{name}.mp4\n    rights: {{owner: test, "
        "licence: test, origin: generated, cleared: true}"
        for name in ("hero", "second", "street")
    )
    (root / "brief.yaml").write_text(BRIEF.format(sources=sources))
    reelgraph("run", "-p", str(root), "-q", "--no-deliver", check=True)
    return root, truth


def status(root: Path) -> dict[str, dict]:
    found = json.loads(reelgraph("status", "-p", str(root), "--json", check=True).stdout)
    return {n["id"]: n for n in found["nodes"]}


def artifact(root: Path, key: str) -> Path:
    return root / ".reelgraph" / "artifacts" / key[:2] / key


@pytest.mark.slow
def test_the_misgraded_shot_is_matched_to_the_hero(project: tuple[Path, np.ndarray]) -> None:
    root, truth = project
    nodes = status(root)
    grade = artifact(root, nodes["sh020/grade"]["key"])
    report = json.loads((grade / "continuity" / "continuity.json").read_text())
    entry = report["shots"][0]
    assert (entry["shot"], entry["hero"]) == ("sh020", "sh010")
    assert entry["method"] == "homography"
    assert entry["delta_e_after"] < entry["delta_e_before"]
    assert (grade / "continuity" / "index.html").is_file() and (grade / "continuity.cc").is_file()
    # What the grade hands on is the match: the mis-graded angle comes back near the truth.
    picture = Input(nodes["sh020/grade"]["key"], grade, {"file": VIEW_FILE, "frames": FRAMES})
    frame = next(frames(picture)).rgb
    before = delta_e_2000(misgrade(truth, *MISGRADE), truth, "bt709").mean()
    after = delta_e_2000(frame, truth, "bt709").mean()
    assert after < 0.6 * before, (before, after)
    # The hero itself is not corrected.
    assert not (artifact(root, nodes["sh010/grade"]["key"]) / "continuity.cc").exists()


def _write_png16(path: Path, rgb: np.ndarray) -> None:
    cv2.imwrite(str(path), np.rint(np.clip(rgb[..., ::-1], 0, 1) * 65535).astype(np.uint16))


@pytest.mark.slow
def test_the_grade_applies_its_exported_cube_as_ffmpegs_lut3d_does(
    project: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    """sh020's CDL cannot reach its match, so its grade applies the whole decision as the
    33³ LUT it exports: the picture it hands on is FFmpeg's lut3d (tetrahedral) with
    continuity.cube applied to the grade's input."""
    root, _ = project
    key = status(root)["sh020/grade"]["key"]
    grade = artifact(root, key)
    manifest = json.loads((grade / "manifest.json").read_text())
    assert manifest["output"]["continuity"]["applied"] == "lut"
    ops = json.loads((grade / VIEW_FILE).read_text())["ops"]
    assert [(op["op"], op.get("file")) for op in ops] == [("lut3d", "continuity.cube")]
    upstream = artifact(root, manifest["inputs"][0])
    meta = json.loads((upstream / "manifest.json").read_text())["output"]
    source = [f.rgb for f in frames(Input(manifest["inputs"][0], upstream, meta))]
    graded = [f.rgb for f in frames(Input(key, grade, manifest["output"]))]
    for i, rgb in enumerate(source):
        _write_png16(tmp_path / f"in{i:02d}.png", rgb)
    cube = grade / "continuity.cube"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(tmp_path / "in%02d.png"),
         "-vf", f"lut3d=file={cube}:interp=tetrahedral", "-pix_fmt", "rgb48be",
         "-start_number", "0", str(tmp_path / "out%02d.png")],
        check=True,
    )  # fmt: skip
    theirs = [
        cv2.imread(str(tmp_path / f"out{i:02d}.png"), cv2.IMREAD_UNCHANGED)[..., ::-1] / 65535.0
        for i in range(len(source))
    ]
    difference = np.mean(
        [delta_e_2000(a, b, "bt709").mean() for a, b in zip(graded, theirs, strict=True)]
    )
    # The same table and interpolation: only 16-bit rounding separates them.
    assert difference <= 0.25, difference
    # The grade did change the picture (the mis-grade is ~3 ΔE2000 from the hero).
    moved = [delta_e_2000(a, b, "bt709").mean() for a, b in zip(graded, source, strict=True)]
    assert np.mean(moved) > 1.5


@pytest.mark.slow
def test_a_scene_variable_rerenders_only_that_scenes_grades(
    project: tuple[Path, np.ndarray],
) -> None:
    root, _ = project
    reelgraph("set", "-p", str(root), "kitchen.warmth=+500", check=True)
    reelgraph("run", "-p", str(root), "-q", "--no-deliver", check=True)
    ran = {node for node, n in status(root).items() if n["outcome"] == "ran"}
    assert {"sh010/grade", "sh020/grade", "sh010/master", "sh020/master"} <= ran
    assert all(node.split("/")[0] in ("sh010", "sh020", "programme") for node in ran), ran
    assert not any(node.endswith("/conform") for node in ran)


@pytest.mark.slow
def test_a_changed_look_still_rerenders_only_its_scene(project: tuple[Path, np.ndarray]) -> None:
    root, _ = project
    nodes = status(root)
    assert (artifact(root, nodes["sh030/grade"]["key"]) / "lookbook.cc").is_file()
    warm = np.zeros((64, 64, 3), np.uint8)
    warm[:] = (40, 120, 230)  # BGR: an orange still
    cv2.imwrite(str(root / "refs" / "look.png"), warm)
    reelgraph("run", "-p", str(root), "-q", "--no-deliver", check=True)
    ran = {node for node, n in status(root).items() if n["outcome"] == "ran"}
    assert "sh030/grade" in ran
    assert all(node.split("/")[0] in ("sh030", "programme") for node in ran), ran


def test_a_hero_outside_its_scene_is_refused_with_its_shots() -> None:
    text = BRIEF.format(
        sources="\n".join(
            f"  - {{id: {name}, path: footage/{name}.mp4}}" for name in ("hero", "second", "street")
        )
    ).replace("hero: sh010", "hero: sh030")
    with pytest.raises(BriefError, match="hero 'sh030' is not a shot of scene 'kitchen'; "
                       "its shots: sh010, sh020"):  # fmt: skip
        parse_brief(text)
