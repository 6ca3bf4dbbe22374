"""The CLI contract: bad input gives error + hint and leaves the project as it was; a killed
run resumes without recomputing; runs are deterministic."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from conftest import make_project, reelgraph


def snapshot(root: Path) -> tuple[list[str], dict[str, str], str]:
    """The store's rows, every artifact file's content hash, and the brief."""
    db = sqlite3.connect(root / ".reelgraph" / "project.sqlite")
    dump = list(db.iterdump())
    db.close()
    files = {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / ".reelgraph" / "artifacts").rglob("*"))
        if p.is_file()
    }
    return dump, files, (root / "brief.yaml").read_text()


def assert_clean_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "error: " in result.stderr and "hint: " in result.stderr
    assert "Traceback" not in result.stderr


BAD_MEDIA = [
    "zero-length",
    "truncated",
    "text-named-mov",
    "bare-h264",
    "directory",
    "dangling-link",
]


def write_bare_h264(path: Path, frames: int = 6) -> None:
    """An Annex B H.264 elementary stream: pictures without any timing."""
    with av.open(str(path), "w", format="h264") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            rgb = np.full((48, 64, 3), 20 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def break_source(root: Path, kind: str) -> Path:
    """Damage source c1 in the way ``kind`` names; the brief points at the result."""
    clip = root / "footage" / "c1.mp4"
    data = clip.read_bytes()
    clip.unlink()
    if kind == "text-named-mov":
        clip = clip.with_suffix(".mov")
        clip.write_text("not a movie\n" * 100)
    elif kind == "bare-h264":
        clip = clip.with_suffix(".h264")
        write_bare_h264(clip)
    elif kind == "zero-length":
        clip.write_bytes(b"")
    elif kind == "truncated":
        clip.write_bytes(data[: len(data) // 3])
    elif kind == "directory":
        clip.mkdir()
    elif kind == "dangling-link":
        clip.symlink_to(root / "footage" / "gone.mp4")
    brief = root / "brief.yaml"
    brief.write_text(brief.read_text().replace("footage/c1.mp4", f"footage/{clip.name}"))
    return clip


BAD_MEDIA_WORDS = {
    "text-named-mov": "not a media file",
    "bare-h264": "frame rate",
    "zero-length": "empty",
}


@pytest.mark.parametrize("kind", BAD_MEDIA)
def test_probe_bad_media(tmp_path: Path, kind: str) -> None:
    root = make_project(tmp_path / "p", clips=2, frames=4)
    clip = break_source(root, kind)
    result = reelgraph("probe", str(clip), "--json")
    assert_clean_error(result)
    assert BAD_MEDIA_WORDS.get(kind, "") in result.stderr


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
    assert BAD_MEDIA_WORDS.get(kind, "") in result.stderr
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


def render_ledger(db_path: Path) -> dict[int, set[tuple[str, str]]]:
    """(node, key) of every execution that ran to the end, per render run (analysis runs are
    left out: found by kind, not by id). Keys, because a node with objectives runs several
    variants: a variant killed half-way is rightly run again, a finished one is not."""
    with sqlite3.connect(db_path, timeout=1) as db:
        rows = db.execute(
            "SELECT l.run_id, l.node_id, l.key FROM ledger l JOIN runs r ON r.id = l.run_id"
            " WHERE r.kind = 'render' AND l.outcome = 'ran'"
        ).fetchall()
    ledger: dict[int, set[tuple[str, str]]] = {}
    for run_id, node_id, key in rows:
        ledger.setdefault(run_id, set()).add((node_id, key))
    return ledger


def render_runs(db_path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT id, status FROM runs WHERE kind = 'render' ORDER BY id"
        ).fetchall()


def test_sigkill_mid_render_resumes_without_recomputing(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reelgraph("init", str(reference), check=True)
    make_project(reference, clips=2, frames=12, size=(256, 144))
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
    finished: dict[int, set[tuple[str, str]]] = {}
    while time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
        try:
            finished = render_ledger(db_path)
        except sqlite3.OperationalError:
            continue
        if sum(map(len, finished.values())) >= 2:
            break
    assert process.poll() is None, "the run finished before its render could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    (killed_run,) = finished  # the kill landed in the render run, after two of its nodes
    finished_before_kill = finished[killed_run]
    assert len(finished_before_kill) >= 2

    reelgraph("run", "-p", str(killed), "-q", check=True)
    runs = dict(render_runs(db_path))
    assert runs[killed_run] == "interrupted"
    # The killed run's ledger holds what finished before the kill, and nothing that did not.
    assert render_ledger(db_path)[killed_run] == finished_before_kill
    resumed = max(runs)
    assert resumed != killed_run and runs[resumed] == "completed"
    rerun = render_ledger(db_path).get(resumed, set())
    assert rerun, "the resumed run had nothing left to do: the kill came too late"
    assert finished_before_kill.isdisjoint(rerun), "finished work was recomputed"
    keys_before = {key for _, key in finished_before_kill}
    assert keys_before.isdisjoint(key for _, key in rerun)
    assert master_checksums(killed) == master_checksums(reference)


def test_a_shot_asking_for_mattes_gets_a_roto_node_in_the_plan(tmp_path: Path) -> None:
    project = tmp_path / "roto"
    reelgraph("init", str(project), check=True)
    make_project(project, clips=2, frames=6, size=(160, 90))
    mask = np.zeros((90, 160), np.uint8)
    mask[20:70, 40:120] = 255
    (project / "masks").mkdir()
    assert cv2.imwrite(str(project / "masks" / "hero.png"), mask)
    brief = project / "brief.yaml"
    asked = "{id: s1, source: c1, roto: {subject: keyframe, keyframes: {0: masks/hero.png}}}"
    brief.write_text(brief.read_text().replace("{id: s1, source: c1}", asked))
    plan = json.loads(reelgraph("plan", "-p", str(project), "--json", check=True).stdout)
    roto = [node for node in plan["nodes"] if node["agent"] == "roto"]
    assert [(n["id"], n["inputs"]) for n in roto] == [("s1/roto", ["s1/conform"])]
