"""Views: per-pixel steps (conform, grade, SDR→HDR) describe their picture instead of
encoding it; readers apply the chain. A look change re-renders without a lossless
intermediate, the chain reads back what the unfused steps would have written, and a view
over a damaged upstream is recomputed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from reelgraph.agents._io import VIEW_FILE, frames, is_view, read_view
from reelgraph.agents.grade import LOOKS
from reelgraph.algorithms.colour.asc_cdl import apply_cdl
from reelgraph.errors import MediaError
from reelgraph.ingest.sources import source_meta
from reelgraph.media.exr import sequence_file
from reelgraph.media.probe import probe
from reelgraph.media.video import VideoReader
from reelgraph.orchestrator.agent import Input
from reelgraph.orchestrator.cache import file_sha256
from reelgraph.orchestrator.executor import InlineExecutor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.runner import Runner, SourceRef
from reelgraph.project.folder import Project, init_project
from restore_clips import noisy_frames, write_clip

FIRST, LAST = 1, 6  # the shot: frames 1–6 of an 8-frame clip


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return init_project(tmp_path / "proj")


def camera(project: Project) -> dict[str, SourceRef]:
    path = project.root / "cam.mp4"
    if not path.exists():
        write_clip(path, noisy_frames(8, 64, 48), "h264")
    return {"cam": SourceRef("cam", path, file_sha256(path), source_meta(probe(path)))}


def shot_plan(look: str, *, restore: bool = False) -> Plan:
    picture = "conform"
    nodes = [Node("conform", "conform", {"first": FIRST, "last": LAST}, ("source:cam",), "", "s")]
    if restore:  # every step off: a real (lossless) intermediate of the same picture
        nodes.append(Node("restore", "restore", {}, ("conform",), "", "s"))
        picture = "restore"
    nodes += [
        Node("grade", "grade", {}, (picture,), "", "s", variables={"time_of_day": look}),
        Node("master", "master", {"preset": "ffv1-rgb16"}, ("grade",), "", "s"),
    ]
    return Plan("p", "web-sdr", tuple(nodes))


def run(project: Project, plan: Plan) -> dict[str, str]:
    summary = Runner(project, plan, InlineExecutor(), sources=camera(project)).run()
    return {node_id: outcome.outcome for node_id, outcome in summary.nodes.items()}


def artifact(project: Project, node_id: str) -> Input:
    row = project.store.one(
        "SELECT key FROM nodes WHERE node_id = ? ORDER BY run_id DESC LIMIT 1", (node_id,)
    )
    assert row is not None
    folder = project.artifacts / row["key"][:2] / row["key"]
    manifest = json.loads((folder / "manifest.json").read_text())
    return Input(row["key"], folder, manifest["output"])


def decoded_shot(project: Project) -> list[np.ndarray]:
    path = project.root / "cam.mp4"
    return [f.rgb for f in VideoReader(path, start=FIRST, stop=LAST + 1)]


def test_a_look_change_rerenders_without_writing_a_lossless_intermediate(
    project: Project,
) -> None:
    assert set(run(project, shot_plan("day")).values()) == {"ran"}
    outcomes = run(project, shot_plan("sunset"))
    assert outcomes == {"conform": "cached", "grade": "ran", "master": "ran"}
    grade = artifact(project, "grade")
    assert is_view(grade)
    written = sorted(p.name for p in grade.path.iterdir())
    assert written == ["grade.cdl", "manifest.json", "part0.mp4", VIEW_FILE]
    # The only picture file is the camera original itself, shared, not re-encoded.
    assert os.path.samefile(grade.path / "part0.mp4", project.root / "cam.mp4")
    assert read_view(grade).parts[0].start == FIRST
    assert [op["op"] for op in read_view(grade).ops] == ["cdl"]


def test_the_chain_reads_back_what_the_unfused_steps_would_have_written(
    project: Project,
) -> None:
    run(project, shot_plan("night"))
    master = [f.rgb for f in frames(artifact(project, "master"))]
    assert len(master) == LAST - FIRST + 1
    # Unfused: decode, store as 16-bit (the old intermediate), apply the CDL, store again.
    step = 1.0 / 65535
    for got, source in zip(master, decoded_shot(project), strict=True):
        stored = np.round(np.clip(source, 0, 1) / step) * step
        expected = np.round(apply_cdl(stored.astype(np.float32), LOOKS["night"]) / step) * step
        assert np.abs(got - expected).max() <= 2 * step  # within two 16-bit code values
    # An identity look is no operation at all: the master is the decoded source.
    run(project, shot_plan("day"))
    assert read_view(artifact(project, "grade")).ops == ()
    plain = [f.rgb for f in frames(artifact(project, "master"))]
    for got, source in zip(plain, decoded_shot(project), strict=True):
        assert np.abs(got - np.clip(source, 0, 1)).max() <= 0.51 * step  # 16-bit rounding


def test_a_view_over_a_damaged_upstream_is_recomputed(project: Project) -> None:
    run(project, shot_plan("sunset", restore=True))
    restored = artifact(project, "restore")
    frame = restored.path / sequence_file("video", FIRST + 1)  # the shot's 3rd frame
    grade = artifact(project, "grade")
    assert os.path.samefile(grade.path / sequence_file("part0", FIRST + 1), frame)
    # Bit rot in the restored picture, same size: the view shares those bytes.
    data = bytearray(frame.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with frame.open("r+b") as handle:
        handle.write(data)
    outcomes = run(project, shot_plan("sunset", restore=True))
    assert outcomes["restore"] == "ran" and outcomes["grade"] == "ran"
    assert outcomes["master"] == "cached"  # same recipe, its own bytes intact
    grade, restored = artifact(project, "grade"), artifact(project, "restore")
    linked = grade.path / sequence_file("part0", FIRST + 1)
    assert os.path.samefile(linked, restored.path / sequence_file("video", FIRST + 1))
    assert len(list(frames(grade))) == LAST - FIRST + 1


def test_a_damaged_or_unknown_description_is_a_clear_error(project: Project) -> None:
    run(project, shot_plan("sunset"))
    grade = artifact(project, "grade")
    described = json.loads((grade.path / VIEW_FILE).read_text())
    described["ops"][0]["op"] = "mystery"
    (grade.path / VIEW_FILE).write_text(json.dumps(described))
    with pytest.raises(MediaError, match="unknown picture operation 'mystery'"):
        list(frames(grade))


def test_conform_refuses_a_shot_longer_than_its_source(project: Project) -> None:
    plan = Plan(
        "p",
        "web-sdr",
        (Node("conform", "conform", {"first": 0, "last": 8}, ("source:cam",), "", "s"),),
    )
    summary = Runner(project, plan, InlineExecutor(), sources=camera(project)).run()
    outcome = summary.nodes["conform"]
    assert outcome.outcome == "failed" and "8 frames" in str(outcome.reason)


def test_sampled_frames_are_the_frames_a_full_read_gives(project: Project) -> None:
    """Agents that measure a picture read a few frames in one pass (``only``): the same
    pixels at the same numbers as reading everything, from a view over a source file, a
    stored sequence and a view with a grade over that sequence."""
    run(project, shot_plan("night", restore=True))
    wanted = {0, 3, 5}
    for node_id in ("conform", "restore", "grade"):
        item = artifact(project, node_id)
        everything = {f.index: f.rgb for f in frames(item)}
        sampled = list(frames(item, only=wanted))
        assert [f.index for f in sampled] == sorted(wanted), node_id
        for frame in sampled:
            np.testing.assert_array_equal(frame.rgb, everything[frame.index])


def test_a_sampled_read_past_the_end_of_a_file_is_a_clear_error(
    project: Project, tmp_path: Path
) -> None:
    """A view that promises more frames than its file holds: reading samples beyond the
    file's end fails as a full read does, instead of returning fewer frames."""
    import shutil

    run(project, shot_plan("day"))
    conform = artifact(project, "conform")
    copy = tmp_path / "long"
    shutil.copytree(conform.path, copy)
    description = json.loads((copy / VIEW_FILE).read_text())
    description["parts"][0]["stop"] = description["parts"][0]["start"] + 20  # the file has 8
    (copy / VIEW_FILE).write_text(json.dumps(description))
    long_view = Input(conform.key, copy, {**conform.meta, "frames": 20})
    assert [f.index for f in frames(long_view, only={2})] == [2]
    with pytest.raises(MediaError, match="decodable frames"):
        list(frames(long_view, only={2, 15}))
