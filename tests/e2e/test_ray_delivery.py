"""`reelgraph run --executor ray` delivers the same bytes as `--executor local`, and its
local Ray cluster is gone when the command ends."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import psutil
import pytest

from conftest import make_project, reelgraph

pytestmark = pytest.mark.slow


def delivered(root: Path) -> dict[str, str]:
    """sha256 of every delivered file, read from the files themselves."""
    folder = root / "deliverables"
    listed = [line.split()[-1] for line in (folder / "SHA256SUMS").read_text().splitlines()]
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in listed}


def test_ray_and_local_executors_deliver_identical_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "template"
    reelgraph("init", str(template), check=True)
    make_project(template, clips=2, frames=8)
    # Both runs at the same path: the timelines (OTIO, EDL, FCPXML) name the project's files.
    work = tmp_path / "project"
    ray_folder = tempfile.mkdtemp(prefix="rg-ray-")  # short: Ray's socket paths have a limit
    monkeypatch.setenv("RAY_TMPDIR", ray_folder)
    hashes = {}
    try:
        for executor in ("local", "ray"):
            shutil.copytree(template, work)
            reelgraph("run", "-p", str(work), "-q", "--executor", executor, "--workers", "2",
                      check=True)  # fmt: skip
            hashes[executor] = delivered(work)
            work.rename(tmp_path / executor)
        leftovers = [p.pid for p in psutil.process_iter(["cmdline"]) if _mentions(p, ray_folder)]
    finally:
        shutil.rmtree(ray_folder, ignore_errors=True)
    assert leftovers == [], "Ray processes outlived the command"
    assert {"s0.mp4", "s1.mp4"} <= set(hashes["local"])  # the masters, and all else delivered
    assert hashes["ray"] == hashes["local"]


def _mentions(process: psutil.Process, folder: str) -> bool:
    """Whether a process belongs to the cluster in ``folder`` (Ray's servers name it on
    their command line; its workers inherit it in their environment)."""
    try:
        return process.environ().get("RAY_TMPDIR") == folder or any(
            folder in part for part in process.info["cmdline"] or ()
        )
    except psutil.Error:
        return False
