"""A scene's hero is measured once for the scene: its ``scene_hero`` node samples each
shot's picture once and picks the shot nearest the scene's median look, and every grade of
the scene reads that node — so n shots sample 2n − 1 pictures (each shot once for the
scene, each matched shot once more for itself), where grades that each measured the whole
scene sampled n² + n."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelgraph.agents import grade as grade_agent
from reelgraph.ingest.sources import source_meta
from reelgraph.media.probe import probe
from reelgraph.orchestrator.cache import file_sha256
from reelgraph.orchestrator.executor import InlineExecutor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.runner import Runner, SourceRef
from reelgraph.project.folder import init_project
from restore_clips import noisy_frames, write_clip

#: Per-channel gains of the scene's three shots: a cool one, a neutral one, a warm one.
CASTS = {"sh010": (0.85, 1.0, 1.15), "sh020": (1.0, 1.0, 1.0), "sh030": (1.15, 1.0, 0.85)}


@pytest.mark.slow
def test_the_scene_is_measured_once_and_its_median_shot_is_the_hero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = init_project(tmp_path / "proj")
    sources = {}
    for shot, cast in CASTS.items():
        path = tmp_path / f"{shot}.mkv"
        pictures = [np.clip(f * np.float32(cast), 0, 1) for f in noisy_frames(6, 64, 48)]
        write_clip(path, pictures, "ffv1-rgb16")
        sources[shot] = SourceRef(shot, path, file_sha256(path), source_meta(probe(path)))
    shots = list(CASTS)
    nodes = [
        Node(f"{s}/conform", "conform", {"first": 0, "last": 5}, (f"source:{s}",), "", s, "sc")
        for s in shots
    ]
    nodes.append(
        Node(
            "sc/hero",
            "scene_hero",
            {"scene": "sc", "shots": shots, "hero": ""},
            tuple(f"{s}/conform" for s in shots),
            "",
            None,
            "sc",
        )
    )
    nodes += [
        Node(f"{s}/grade", "grade", {"shot": s}, (f"{s}/conform", "sc/hero"), "", s, "sc")
        for s in shots
    ]
    sampled: list[int] = []
    original = grade_agent.sample_frames

    def counting(item, count=grade_agent.SAMPLE_FRAMES):  # type: ignore[no-untyped-def]
        sampled.append(1)
        return original(item, count)

    monkeypatch.setattr(grade_agent, "sample_frames", counting)
    summary = Runner(project, Plan("p", "web-sdr", tuple(nodes)), InlineExecutor(), sources=sources)
    artifacts = summary.run().artifacts
    assert len(sampled) == 2 * len(shots) - 1
    hero = artifacts["sc/hero"]
    assert hero.meta["hero"] == "sh020"
    assert "median look (3 shots, measured)" in hero.meta["hero_reason"]
    assert set(hero.meta["looks"]) == set(shots)
    stills = np.load(hero.path / "hero.npy")
    assert stills.shape == (6, 48, 64, 3) and stills.dtype == np.float32
    for shot in shots:
        continuity = artifacts[f"{shot}/grade"].meta["continuity"]
        assert continuity["hero"] == "sh020"
        assert (continuity["applied_cdl"] is None) == (shot == "sh020")
