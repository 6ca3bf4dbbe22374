"""reelgraph match and look end to end: the matched clip recovers the truth, the .cube
applied by FFmpeg's lut3d reproduces reelgraph's render, the CDL reads back in
OpenColorIO, no flicker is added, and bad input leaves nothing behind."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import PyOpenColorIO as ocio
import pytest
import skimage.data
from test_docs_schemas import assert_matches

from reelgraph.algorithms.colour.standards import LUMA_BT709
from reelgraph.algorithms.qc.flicker_warping_lai2018 import FlickerTracker
from reelgraph.cli.main import main
from reelgraph.colour.continuity import delta_e_2000
from reelgraph.colour.linear import from_linear, to_linear
from reelgraph.media.probe import probe
from reelgraph.media.video import VideoReader, VideoWriter

FRAMES = 6
SIZE = 224


def misgrade(encoded: np.ndarray, gains: tuple[float, float, float], sat: float) -> np.ndarray:
    linear = to_linear(encoded, "bt709") * np.float32(gains)
    luma = linear @ LUMA_BT709
    linear = luma[..., None] + np.float32(sat) * (linear - luma[..., None])
    return np.clip(from_linear(linear, "bt709"), 0.0, 1.0)


def write_clip(path: Path, frames: list[np.ndarray]) -> Path:
    h, w = frames[0].shape[:2]
    with VideoWriter(path, width=w, height=h, frame_rate=Fraction(24), preset="ffv1") as out:
        for frame in frames:
            out.write(frame)
    return path


def read_clip(path: Path) -> list[np.ndarray]:
    return [frame.rgb for frame in VideoReader(path)]


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A hero that pans across the photograph and a second angle (shifted, scaled ×1.25)
    that shares only part of its view, mis-graded in linear light; the truth beside it."""
    folder = tmp_path_factory.mktemp("colour")
    image = skimage.data.astronaut().astype(np.float32) / 255.0
    hero = [image[0:SIZE, 4 * i : 4 * i + SIZE] for i in range(FRAMES)]
    span = int(SIZE / 1.25)
    truth = [
        cv2.resize(
            image[100 : 100 + span, 110 + 4 * i : 110 + 4 * i + span],
            (SIZE, SIZE),
            interpolation=cv2.INTER_AREA,
        )
        for i in range(FRAMES)
    ]
    shot = [misgrade(t, (1.2, 1.0, 0.8), 0.8) for t in truth]
    book = folder / "book.png"
    cv2.imwrite(str(book), skimage.data.coffee()[..., ::-1])
    return {
        "hero": write_clip(folder / "hero.mkv", hero),
        "shot": write_clip(folder / "shot.mkv", shot),
        "truth": write_clip(folder / "truth.mkv", truth),
        "book": book,
        "folder": folder,
    }


@pytest.fixture(scope="module")
def matched(scene: dict[str, Path]) -> dict[str, object]:
    out = scene["folder"] / "matched.mkv"
    cube, cc = scene["folder"] / "matched.cube", scene["folder"] / "matched.cc"
    argv = [
        "match",
        str(scene["shot"]),
        "--to",
        str(scene["hero"]),
        str(out),
        "--lut",
        str(cube),
        "--cdl",
        str(cc),
        "--json",
    ]
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(argv)
    return {"code": code, "doc": json.loads(buffer.getvalue()), "out": out, "cube": cube, "cc": cc}


def _mean_de(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(np.mean([delta_e_2000(x, y, "bt709").mean() for x, y in zip(a, b, strict=True)]))


def test_match_recovers_the_truth_and_reports_it(scene, matched) -> None:
    assert matched["code"] == 0
    doc = matched["doc"]
    assert doc["schema"] == "reelgraph.Match.1" and doc["method"] == "homography"
    truth = read_clip(scene["truth"])
    assert _mean_de(read_clip(scene["shot"]), truth) > 3.0
    assert _mean_de(read_clip(matched["out"]), truth) <= 2.0
    assert doc["delta_e_after"] < doc["delta_e_before"]
    report = Path(doc["report"])
    assert report.is_file() and (report.parent / "continuity.json").is_file()
    figures = json.loads((report.parent / "continuity.json").read_text())
    assert figures["schema"] == "reelgraph.Continuity.1"
    assert figures["shots"][0]["delta_e_after"] == doc["delta_e_after"]


def test_match_and_continuity_json_match_the_documented_schemas(matched) -> None:
    assert_matches("reelgraph.Match.1", matched["doc"])
    report = Path(matched["doc"]["report"]).parent / "continuity.json"
    assert_matches("reelgraph.Continuity.1", json.loads(report.read_text()))


def test_the_cdl_file_reads_back_in_opencolorio(matched) -> None:
    transform = ocio.CDLTransform.CreateFromFile(str(matched["cc"]), "")
    np.testing.assert_allclose(transform.getSlope(), matched["doc"]["cdl"]["slope"], atol=1e-6)
    assert transform.getSat() == pytest.approx(matched["doc"]["cdl"]["saturation"], abs=1e-6)
    assert transform.getID() == "shot"


@pytest.mark.slow
def test_ffmpeg_lut3d_with_the_exported_cube_reproduces_the_render(scene, matched) -> None:
    ffmpeg_out = scene["folder"] / "ffmpeg.mkv"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-i",
            str(scene["shot"]),
            "-vf",
            f"lut3d=file={matched['cube']}:interp=tetrahedral",
            "-c:v",
            "ffv1",
            "-pix_fmt",
            "yuv444p10le",
            "-color_primaries",
            "bt709",
            "-color_trc",
            "bt709",
            "-colorspace",
            "bt709",
            str(ffmpeg_out),
        ],
        check=True,
    )
    assert _mean_de(read_clip(ffmpeg_out), read_clip(matched["out"])) <= 1.0


@pytest.mark.slow
def test_the_sound_of_the_shot_is_carried_into_the_match(scene, tmp_path: Path) -> None:
    frames = read_clip(scene["shot"])
    rate = 48000
    tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(rate // 4) / rate)).astype(np.float32)
    with_sound = tmp_path / "shot.mkv"
    with VideoWriter(
        with_sound,
        width=SIZE,
        height=SIZE,
        frame_rate=Fraction(24),
        preset="ffv1",
        audio=(rate, "mono"),
    ) as writer:
        for frame in frames:
            writer.write(frame)
        writer.write_audio(tone[:, None], rate)
    out = tmp_path / "matched.mov"
    assert main(["match", str(with_sound), "--to", str(scene["hero"]), str(out)]) == 0
    info = probe(out)
    assert info.audio and info.audio[0].channels == 1
    assert info.first_video.codec == "prores"


def _flicker(frames: list[np.ndarray]) -> float:
    tracker = FlickerTracker()
    changes = [tracker.push(f @ LUMA_BT709) for f in frames]
    values = [abs(c.global_change) + abs(c.local_change) for c in changes[1:]]
    return float(np.nanmean(values))


def test_matching_adds_no_flicker_to_a_panning_shot(scene, matched) -> None:
    source = _flicker(read_clip(scene["shot"]))
    assert _flicker(read_clip(matched["out"])) <= source + 1e-3


def test_look_takes_the_lookbooks_colour(scene, capsys) -> None:
    out, cube = scene["folder"] / "look.mkv", scene["folder"] / "look.cube"
    code = main(
        [
            "look",
            str(scene["truth"]),
            "--lookbook",
            str(scene["book"]),
            str(out),
            "--lut",
            str(cube),
            "--strength",
            "1",
            "--json",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert_matches("reelgraph.Look.1", doc)
    before = np.abs(np.subtract(doc["lab_mean_before"], doc["lab_mean_lookbook"])).max()
    after = np.abs(np.subtract(doc["lab_mean_after"], doc["lab_mean_lookbook"])).max()
    assert after < before / 3
    assert out.is_file() and cube.is_file()


def _leftovers(folder: Path, before: set[str]) -> set[str]:
    return {p.name for p in folder.iterdir()} - before


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing hero", "the hero"),
        ("lut folder", "does not exist"),
        ("bad lookbook", "not a readable image"),
        ("bad cdl name", "a CDL is written as"),
    ],
)
def test_bad_input_is_refused_with_a_hint_and_nothing_is_written(
    scene, capsys, tmp_path: Path, case: str, expected: str
) -> None:
    out = tmp_path / "out.mkv"
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG not really")
    argv = {
        "missing hero": ["match", str(scene["shot"]), "--to", str(tmp_path / "nope.mkv"), str(out)],
        "lut folder": [
            "match",
            str(scene["shot"]),
            "--to",
            str(scene["hero"]),
            str(out),
            "--lut",
            str(tmp_path / "missing" / "x.cube"),
        ],
        "bad lookbook": ["look", str(scene["shot"]), "--lookbook", str(junk), str(out)],
        "bad cdl name": [
            "match",
            str(scene["shot"]),
            "--to",
            str(scene["hero"]),
            str(out),
            "--cdl",
            str(tmp_path / "x.xml"),
        ],
    }[case]
    before = {p.name for p in tmp_path.iterdir()}
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "hint:" in err and expected in err
    assert "Traceback" not in err
    assert _leftovers(tmp_path, before) == set()
