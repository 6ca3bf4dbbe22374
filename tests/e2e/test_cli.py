"""The CLI contract: bad input gives error + hint and leaves the project as it was; a killed
run resumes without recomputing; runs are deterministic."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_project, reelgraph


def snapshot(root: Path) -> tuple[list[str], list[str], str]:
    db = sqlite3.connect(root / ".reelgraph" / "project.sqlite")
    dump = list(db.iterdump())
    db.close()
    files = sorted(str(p.relative_to(root)) for p in (root / ".reelgraph" / "artifacts").rglob("*"))
    return dump, files, (root / "brief.yaml").read_text()


def assert_clean_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "error: " in result.stderr and "hint: " in result.stderr
    assert "Traceback" not in result.stderr


BAD_MEDIA = ["zero-length", "truncated", "text-named-mov", "directory", "dangling-link"]


def break_source(root: Path, kind: str) -> None:
    clip = root / "footage" / "c1.mp4"
    data = clip.read_bytes()
    clip.unlink()
    if kind == "zero-length":
        clip.write_bytes(b"")
    elif kind == "truncated":
        clip.write_bytes(data[: len(data) // 3])
    elif kind == "text-named-mov":
        clip.write_text("not a movie\n" * 100)
    elif kind == "directory":
        clip.mkdir()
    elif kind == "dangling-link":
        clip.symlink_to(root / "footage" / "gone.mp4")


@pytest.mark.parametrize("kind", BAD_MEDIA)
def test_probe_bad_media(tmp_path: Path, kind: str) -> None:
    root = make_project(tmp_path / "p", clips=2, frames=4)
    break_source(root, kind)
    assert_clean_error(reelgraph("probe", str(root / "footage" / "c1.mp4"), "--json"))


@pytest.fixture(scope="module")
def ran_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ran") / "proj"
    reelgraph("init", str(root), check=True)
    make_project(root, clips=2, frames=12)
    reelgraph("run", "-p", str(root), "-q", check=True)
    return root


BRIEF_BREAKS = {
    "misspelt-field": ("    shots:", "    shotz:"),
    "missing-media": ("path: footage/c1.mp4", "path: footage/nowhere.mp4"),
}


@pytest.mark.parametrize("kind", BAD_MEDIA + list(BRIEF_BREAKS))
def test_bad_input_to_run_leaves_the_project_as_it_was(
    ran_project: Path, tmp_path: Path, kind: str
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(ran_project, root, symlinks=True)
    if kind in BRIEF_BREAKS:
        old, new = BRIEF_BREAKS[kind]
        brief = root / "brief.yaml"
        brief.write_text(brief.read_text().replace(old, new))
    else:
        break_source(root, kind)
    before = snapshot(root)
    result = reelgraph("run", "-p", str(root))
    assert_clean_error(result)
    if kind == "misspelt-field":
        assert "shotz: unknown field (did you mean 'shots'?)" in result.stderr
    assert snapshot(root) == before


def test_not_a_project_and_unknown_shot(tmp_path: Path, ran_project: Path) -> None:
    assert_clean_error(reelgraph("status", "-p", str(tmp_path)))
    assert_clean_error(reelgraph("run", "-p", str(ran_project), "--shots", "nope"))
    assert_clean_error(reelgraph("set", "-p", str(ran_project), "nodot=1"))
    assert_clean_error(reelgraph("set", "-p", str(ran_project), "nosuchscene.x=1"))


def test_status_json_schema(ran_project: Path) -> None:
    status = json.loads(reelgraph("status", "-p", str(ran_project), "--json", check=True).stdout)
    assert status["schema"] == "reelgraph.Status.1"
    for node in status["nodes"]:
        assert {"id", "agent", "shot", "outcome", "cost_usd"} <= set(node)
        assert node["outcome"] in {"ran", "cached", "failed", "skipped"}
    totals = status["totals"]
    assert totals["nodes"] == len(status["nodes"])
    assert totals["cost_per_frame_usd"] > 0 and totals["cost_per_finished_minute_usd"] > 0
    assert set(totals["cost_per_shot_usd"]) == {"s0", "s1"}


def test_plan_json_explains_every_node(ran_project: Path) -> None:
    plan = json.loads(reelgraph("plan", "-p", str(ran_project), "--json", check=True).stdout)
    assert plan["schema"] == "reelgraph.Plan.1"
    assert all(node["explanation"] and node["cached"] for node in plan["nodes"])


def test_audit_verify_cli(ran_project: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(ran_project, root)
    assert reelgraph("audit", "verify", "-p", str(root)).returncode == 0
    with sqlite3.connect(root / ".reelgraph" / "project.sqlite") as db:
        db.execute("UPDATE audit SET subject = 'someone-else' WHERE seq = 2")
    result = reelgraph("audit", "verify", "-p", str(root))
    assert_clean_error(result)
    assert "entry 2" in result.stderr


def master_checksums(root: Path) -> dict[str, str]:
    return {
        line.split()[1]: line.split()[0]
        for line in (root / "deliverables" / "SHA256SUMS").read_text().splitlines()
    }


def ledger_nodes(root: Path, run_id: int) -> set[str]:
    with sqlite3.connect(root / ".reelgraph" / "project.sqlite") as db:
        return {r[0] for r in db.execute("SELECT node_id FROM ledger WHERE run_id = ?", (run_id,))}


def test_sigkill_mid_run_resumes_without_recomputing(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reelgraph("init", str(reference), check=True)
    make_project(reference, clips=3, frames=12, size=(256, 144))
    killed = tmp_path / "killed"
    shutil.copytree(reference, killed)
    reelgraph("run", "-p", str(reference), "-q", "--workers", "1", check=True)

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reelgraph.cli.main",
            "run",
            "-p",
            str(killed),
            "-q",
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    db_path = killed / ".reelgraph" / "project.sqlite"
    deadline = time.time() + 300
    finished_before_kill: set[str] = set()
    while time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
        try:
            with sqlite3.connect(db_path, timeout=1) as db:
                finished_before_kill = {
                    r[0] for r in db.execute("SELECT node_id FROM ledger WHERE outcome = 'ran'")
                }
        except sqlite3.OperationalError:
            continue
        if len(finished_before_kill) >= 2:
            break
    assert process.poll() is None, "the run finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert finished_before_kill

    reelgraph("run", "-p", str(killed), "-q", check=True)
    rerun = ledger_nodes(killed, 2)
    assert finished_before_kill.isdisjoint(rerun), "finished nodes were recomputed"
    assert master_checksums(killed) == master_checksums(reference)
