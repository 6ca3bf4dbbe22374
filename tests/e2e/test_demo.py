"""The main job: `reelgraph demo` builds and runs the sample project end to end, and
`reelgraph set` then re-renders exactly the scene that reads the variable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import reelgraph
from reelgraph.media.probe import probe


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "reelgraph-demo"
    result = reelgraph("demo", str(root), "--quiet")
    assert result.returncode == 0, result.stderr
    return root


def test_demo_delivers_web_masters_with_checksums(demo: Path) -> None:
    sums = (demo / "deliverables" / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 4
    for line in sums:
        info = probe(demo / "deliverables" / line.split()[1])
        video = info.first_video
        assert (video.codec, video.width, video.height, video.bit_depth) == ("h264", 1920, 1080, 8)
        assert video.colour.matrix == "bt709" and not video.colour.assumed
        assert info.audio and info.audio[0].channels == 2
    manifest = json.loads((demo / "deliverables" / "manifest.json").read_text())
    agents = {step["agent"] for item in manifest["items"] for step in item["recipe"]}
    assert {"conform", "grade", "master"} <= agents


def test_demo_audit_log_verifies(demo: Path) -> None:
    assert reelgraph("audit", "verify", "-p", str(demo)).returncode == 0


def test_scene_variable_rerenders_only_that_scene(demo: Path) -> None:
    reelgraph("set", "-p", str(demo), "launch.time_of_day=night", check=True)
    reelgraph("run", "-p", str(demo), "-q", check=True)
    status = json.loads(reelgraph("status", "-p", str(demo), "--json", check=True).stdout)
    ran = {n["id"] for n in status["nodes"] if n["outcome"] == "ran"}
    launch = {"sh030", "sh040"}
    assert {"sh030/grade", "sh040/grade", "sh030/master", "sh040/master"} <= ran
    assert all(node.split("/")[0] in launch for node in ran)
    assert not any(n.endswith("/conform") for n in ran)
