"""The `qc` node in a run: it checks the master, its findings (with timecodes) are stored
and shown by status, its metrics land in the manifest, and delivery holds a shot whose QC
fails until a reviewer approves that master. The masters here are real web-sdr files
(1920×1080 H.264 with AAC at −14 LUFS), copied by a stub `master` agent so the test does
not render."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reelgraph.algorithms.audio import measure
from reelgraph.cli.main import main
from reelgraph.deliver.delivery import deliver
from reelgraph.ingest.sources import ingest
from reelgraph.media.video import VideoWriter
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output
from reelgraph.orchestrator.executor import InlineExecutor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.registry import Registry
from reelgraph.orchestrator.runner import Runner
from reelgraph.plan.rules import qc as qc_rules
from reelgraph.project.folder import init_project
from reelgraph.qc.profiles import profile_for_spec
from reelgraph.review.status import run_status

FRAMES, RATE = 24, 48000

BRIEF = """\
schema: reelgraph.Brief.1
project: qc-agent
delivery: web-sdr
review: {require_approval: false}
sources:
  - id: good
    path: footage/good.mp4
    rights: {owner: t, licence: t, origin: generated, cleared: true}
  - id: flashy
    path: footage/flashy.mp4
    rights: {owner: t, licence: t, origin: generated, cleared: true}
scenes:
  - id: scene
    variables: {time_of_day: day}
    shots:
      - {id: s1, source: good}
      - {id: s2, source: flashy}
"""


def web_master(path: Path, flashing: bool) -> None:
    """A conforming web-sdr master; ``flashing``: black/white every frame (fails BT.1702)."""
    t = np.arange(FRAMES * RATE // 24) / RATE
    tone = np.sin(2 * np.pi * 440 * t)[:, None].repeat(2, 1)
    tone *= 10 ** ((-14.0 - measure(tone, RATE, true_peak=False).integrated_lufs) / 20)
    ramp = np.linspace(0.2, 0.7, 1920, dtype=np.float32)
    picture = np.ascontiguousarray(np.broadcast_to(ramp[None, :, None], (1080, 1920, 3)))
    with VideoWriter(path, width=1920, height=1080, frame_rate=Fraction(24), preset="h264",
                     audio=(RATE, "stereo")) as writer:  # fmt: skip
        for k in range(FRAMES):
            writer.write(np.full_like(picture, float(k % 2)) if flashing else picture)
        writer.write_audio(tone.astype(np.float32), RATE)


class CopyMaster(Agent):
    """Stands in for `master`: the source already is the deliverable."""

    name = "master"
    version = "test"
    cost = Cost("node", 0.01, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        shutil.copyfile(ctx.inputs[0].file(), ctx.out_dir / "master.mp4")
        meta = {"kind": "video", "file": "master.mp4", "frames": FRAMES, "width": 1920,
                "height": 1080, "frame_rate": "24/1"}  # fmt: skip
        return Output(meta)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qc_agent") / "project"
    project = init_project(root, brief_text=BRIEF)
    (root / "footage").mkdir()
    web_master(root / "footage" / "good.mp4", flashing=False)
    web_master(root / "footage" / "flashy.mp4", flashing=True)
    ingest(project, project.brief())
    nodes: list[Node] = []
    for shot, source in (("s1", "good"), ("s2", "flashy")):
        nodes.append(Node(f"{shot}/master", "master", {}, (f"source:{source}",), "copy", shot,
                          "scene", deliverable=shot))  # fmt: skip
        nodes.append(Node(f"{shot}/qc", "qc", {"spec": "web-sdr"}, (f"{shot}/master",), "check",
                          shot, "scene"))  # fmt: skip
    plan = Plan("qc-agent", "web-sdr", tuple(nodes))
    summary = Runner(
        project, plan, InlineExecutor(), registry=Registry(extra={"master": CopyMaster})
    ).run()
    assert summary.status == "completed"
    project.close()
    return root


def test_qc_findings_are_stored_with_timecodes_and_shown_by_status(ran: Path) -> None:
    from reelgraph.project.folder import open_project

    project = open_project(ran)
    status = run_status(project)
    qc = [f for f in status["findings"] if f["node"] in ("s1/qc", "s2/qc")]
    assert {f["shot"] for f in qc} == {"s2"}, qc  # the conforming master has no finding
    (flash,) = qc
    assert (flash["check"], flash["severity"]) == ("flash", "fail")
    assert flash["start_tc"] == "00:00:00:01"  # the first transition: frame 0 → 1
    assert flash["end_tc"] == "00:00:00:23" and flash["standard"].startswith("ITU-R BT.1702")
    key = next(n["key"] for n in status["nodes"] if n["id"] == "s2/qc")
    artifact = ran / ".reelgraph" / "artifacts" / key[:2] / key
    manifest = json.loads((artifact / "manifest.json").read_text())
    assert manifest["metrics"]["flash_fail_count"] == 1.0
    assert manifest["output"]["passed"] is False
    document = json.loads((artifact / "qc.json").read_text())
    assert document["schema"] == "reelgraph.QC.1" and document["file"] == "master.mp4"
    assert document["elapsed_s"] == 0 and (artifact / "index.html").exists()
    assert "failures.csv" in manifest["files"]
    project.close()


def test_delivery_holds_a_failing_shot_until_it_is_approved(
    ran: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reelgraph.project.folder import open_project

    project = open_project(ran)
    run_id = run_status(project)["run"]["id"]
    first = deliver(project, run_id)
    assert first.delivered == ["s1"]
    assert first.held["s2"].startswith("QC failed: flash 00:00:00:01–00:00:00:23")
    assert "reelgraph review approve s2" in first.held["s2"]
    project.close()
    assert main(["review", "-p", str(ran), "approve", "s2", "--note", "flashes are the point"]) == 0
    project = open_project(ran)
    second = deliver(project, run_id)
    assert sorted(second.delivered) == ["s1", "s2"] and not second.held
    project.close()


def test_the_rule_plans_qc_after_the_master() -> None:
    profile = profile_for_spec("broadcast-ebu")
    objective = profile.objectives()["loudness_lufs"]
    assert (objective.target, objective.tolerance, objective.kind) == (-23.0, 0.5, "within")
    assert qc_rules.__doc__ and "vfx-plates" in qc_rules.__doc__


def test_an_rgb_file_gets_a_report_without_the_legal_range_check(tmp_path: Path) -> None:
    from reelgraph.qc import check_file

    path = tmp_path / "plate.mkv"
    with VideoWriter(path, width=96, height=54, frame_rate=Fraction(24), preset="ffv1-rgb16") as w:
        for k in range(12):
            w.write(np.full((54, 96, 3), 0.3 + 0.01 * k, np.float32))
    result = check_file(path, skip=("spec",), report_dir=tmp_path / "report")
    assert "R′G′B′" in result.skipped["legal_range"] and "legal_range" not in result.checks
    assert (tmp_path / "report" / "levels.png").exists()  # banding only
    assert result.passed and result.findings == []
