"""Delivery re-verifies every file against its artifact's checksum: a damaged master is
refused with an error and a hint (nothing is delivered), and so is a damaged copy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from reelgraph.deliver.delivery import deliver, verify_deliverables
from reelgraph.errors import ProjectError
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output
from reelgraph.orchestrator.executor import InlineExecutor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.registry import Registry
from reelgraph.orchestrator.runner import Runner, SourceRef
from reelgraph.project.folder import Project, init_project


class StubMaster(Agent):
    """Writes a small 'master' whose bytes depend on the shot's source."""

    name = "master"
    version = "1"
    cost = Cost("node", 0.01, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        body = ctx.inputs[0].path.read_bytes() * 64
        (ctx.out_dir / f"{ctx.node_id.split('/')[0]}.mov").write_bytes(body)
        return Output({"kind": "video", "file": f"{ctx.node_id.split('/')[0]}.mov"})


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Project, int]:
    project = init_project(tmp_path / "proj")
    sources = {}
    for shot in ("s1", "s2"):
        path = project.root / f"{shot}.src"
        path.write_bytes(f"picture of {shot}".encode())
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        sources[shot] = SourceRef(shot, path, digest, {"kind": "value"})
        project.store.execute(
            "INSERT INTO sources VALUES (?, ?, ?, '{}', ?, '2026-01-01')",
            (shot, str(path), digest, json.dumps({"cleared": True})),
        )
        project.store.execute("INSERT INTO shots VALUES (?, 'sc', ?, 0, 0)", (shot, shot))
    plan = Plan(
        "p",
        "web-sdr",
        tuple(
            Node(f"{shot}/master", "master", {}, (f"source:{shot}",), "master", shot)
            for shot in ("s1", "s2")
        ),
    )
    summary = Runner(
        project,
        plan,
        InlineExecutor(),
        registry=Registry(extra={"master": StubMaster}),
        sources=sources,
    ).run()
    assert summary.status == "completed"
    for row in project.store.query(
        "SELECT shot, key FROM nodes WHERE run_id = ?", (summary.run_id,)
    ):
        project.store.execute(
            "INSERT INTO reviews (shot, key, decision, by, at) VALUES (?, ?, 'approve', 'x', 'y')",
            (row["shot"], row["key"]),
        )
    return project, summary.run_id


def _artifact_file(project: Project, run_id: int, shot: str) -> Path:
    row = project.store.one("SELECT key FROM nodes WHERE run_id = ? AND shot = ?", (run_id, shot))
    assert row is not None
    return project.artifacts / row["key"][:2] / row["key"] / f"{shot}.mov"


def test_intact_masters_are_delivered_with_matching_checksums(
    rendered: tuple[Project, int],
) -> None:
    project, run_id = rendered
    result = deliver(project, run_id)
    assert sorted(result.delivered) == ["s1", "s2"] and not result.held
    assert verify_deliverables(project.deliverables) == []
    assert (project.deliverables / "s2.mov").read_bytes() == b"picture of s2" * 64


def test_a_damaged_master_refuses_the_delivery_and_delivers_nothing(
    rendered: tuple[Project, int],
) -> None:
    project, run_id = rendered
    damaged = _artifact_file(project, run_id, "s2")
    good = damaged.read_bytes()
    damaged.write_bytes(good[:-1] + b"X")  # same size: only the checksum tells
    with pytest.raises(ProjectError) as refused:
        deliver(project, run_id)
    assert "s2" in str(refused.value) and "checksum" in str(refused.value)
    assert "reelgraph run" in refused.value.hint
    assert not (project.deliverables / "s1.mov").exists()  # none, not the intact one either
    assert not (project.deliverables / "manifest.json").exists()


def test_a_copy_that_does_not_match_is_not_delivered(
    rendered: tuple[Project, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, run_id = rendered

    def failing_disk(source: Path, target: Path) -> None:
        body = bytearray(Path(source).read_bytes())
        body[3] ^= 0xFF  # one byte damaged on the way
        Path(target).write_bytes(bytes(body))

    monkeypatch.setattr("reelgraph.deliver.delivery.shutil.copyfile", failing_disk)
    with pytest.raises(ProjectError, match=r"copy of s1\.mov") as refused:
        deliver(project, run_id)
    assert "disk" in refused.value.hint
    assert [p.name for p in project.deliverables.iterdir()] == []


def test_each_delivery_is_audited_under_the_person_who_asked(
    rendered: tuple[Project, int],
) -> None:
    """A delivery requested in the review app is on the record under that user, not under
    the account the server runs as."""
    project, run_id = rendered
    deliver(project, run_id, actor="web:ada")
    rows = project.store.query("SELECT actor, subject FROM audit WHERE action = 'deliver'")
    assert sorted((r["subject"], r["actor"]) for r in rows) == [
        ("s1", "web:ada"),
        ("s2", "web:ada"),
    ]
