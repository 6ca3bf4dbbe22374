"""Small real projects for end-to-end tests: H.264 clips with sound, made here."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reelgraph.demo.build import SHOTS, DemoShot, dialogue_track
from reelgraph.media.video import VideoWriter

BRIEF = """\
schema: reelgraph.Brief.1
project: e2e
delivery: web-sdr
rate_card: {{cpu_core_hour_usd: 0.05, gpu_hour_usd: 2.5}}
review: {{require_approval: false}}
sources:
{sources}
scenes:
  - id: one
    variables: {{time_of_day: day}}
    shots:
{shots}
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every end-to-end test starts processes and encodes real media: all are ``slow``."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.slow)


def make_clip(path: Path, shot: DemoShot, frames: int, size: tuple[int, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    width, height = size
    x = np.linspace(0, 1, width, dtype=np.float32)
    with VideoWriter(
        path,
        width=width,
        height=height,
        frame_rate=Fraction(24),
        preset="h264",
        audio=(48000, "stereo"),
    ) as writer:
        for i in range(frames):
            base = np.dstack([np.roll(x, i * 3)[None].repeat(height, 0)] * 3) * 0.8 + 0.1
            noise = rng.normal(0, 0.02, base.shape)
            writer.write(np.clip(base + noise, 0, 1).astype(np.float32))
        writer.write_audio(dialogue_track(shot, frames / 24, seed), 48000)


def make_project(
    root: Path, clips: int = 2, frames: int = 24, size: tuple[int, int] = (320, 180)
) -> Path:
    (root / "footage").mkdir(parents=True, exist_ok=True)
    sources, shots = [], []
    for i in range(clips):
        make_clip(root / "footage" / f"c{i}.mp4", SHOTS[i % len(SHOTS)], frames, size, seed=i)
        sources.append(
            f"  - id: c{i}\n    path: footage/c{i}.mp4\n    rights: {{owner: test, licence: test,"
            " origin: generated, cleared: true}"
        )
        shots.append(f"      - {{id: s{i}, source: c{i}}}")
    (root / "brief.yaml").write_text(
        BRIEF.format(sources="\n".join(sources), shots="\n".join(shots))
    )
    return root


def reelgraph(
    *args: str, cwd: Path | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "reelgraph.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"reelgraph {' '.join(args)} failed:\n{result.stderr}")
    return result


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    reelgraph("init", str(root), check=True)
    return make_project(root)
