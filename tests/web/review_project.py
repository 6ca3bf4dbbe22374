"""Helpers of the review app's tests: a small real project of two shots whose frames carry
their own number (an 8-bit code of black and white bars across the top, and the digits
below), rendered by a real 'reelgraph run', and a server on a free loopback port started
with the real 'reelgraph serve'. (A module of its own, not conftest.py, so that tests
import it by a name no other test folder uses.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from reelgraph.media.video import VideoWriter
from reelgraph.project.folder import open_project
from reelgraph.review.users import add_user

#: Bars in the frame-number code, most significant first.
CODE_BITS = 8
FRAMES, FPS, SIZE = 24, 24, (320, 180)

BRIEF = """\
schema: reelgraph.Brief.1
project: review-app
delivery: web-sdr
rate_card: {cpu_core_hour_usd: 0.05, gpu_hour_usd: 2.5}
review: {require_approval: true}
sources:
  - id: counter
    path: footage/counter.mp4
    rights: {owner: test, licence: test, origin: generated, cleared: true}
  - id: counter2
    path: footage/counter2.mp4
scenes:
  - id: rooftop
    variables: {time_of_day: day}
    shots:
      - {id: sh010, source: counter}
  - id: street
    variables: {time_of_day: day}
    shots:
      - {id: sh020, source: counter2}
"""


def numbered_frame(n: int, size: tuple[int, int] = SIZE) -> npt.NDArray[np.float32]:
    """Frame ``n``: the top third is CODE_BITS bars (white = 1), the digits below."""
    width, height = size
    rgb = np.full((height, width, 3), 0.18, np.float32)
    bar = width // CODE_BITS
    for i in range(CODE_BITS):
        if (n >> (CODE_BITS - 1 - i)) & 1:
            rgb[: height // 3, i * bar : (i + 1) * bar] = 0.95
        else:
            rgb[: height // 3, i * bar : (i + 1) * bar] = 0.02
    canvas = np.zeros((height, width), np.uint8)
    cv2.putText(canvas, str(n), (width // 3, height - 20), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 255, 5)
    rgb[canvas > 0] = 0.9
    return rgb


def read_frame_number(rgb: npt.NDArray[np.floating]) -> int:
    """The number a frame carries, read from its bars (any size, values 0–1 or 0–255)."""
    height, width = rgb.shape[:2]
    grey = rgb[..., :3].astype(np.float64).mean(axis=2)
    grey = grey / (255.0 if grey.max() > 1.5 else 1.0)
    bar = width / CODE_BITS
    value = 0
    for i in range(CODE_BITS):
        x0, x1 = int(i * bar + bar * 0.3), int(i * bar + bar * 0.7)
        patch = grey[int(height * 0.08) : int(height * 0.25), x0:x1]
        value = (value << 1) | int(patch.mean() > 0.5)
    return value


def write_counter(path: Path, frames: int = FRAMES) -> None:
    with VideoWriter(
        path, width=SIZE[0], height=SIZE[1], frame_rate=Fraction(FPS), preset="h264"
    ) as writer:
        for n in range(frames):
            writer.write(numbered_frame(n))


def reelgraph(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "reelgraph.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"reelgraph {' '.join(args)} failed:\n{result.stderr}")
    return result


def build_project(root: Path) -> Path:
    reelgraph("init", str(root))
    (root / "footage").mkdir()
    write_counter(root / "footage" / "counter.mp4")
    write_counter(root / "footage" / "counter2.mp4", frames=12)
    (root / "brief.yaml").write_text(BRIEF)
    reelgraph("run", "-p", str(root), "-q", "--no-deliver")
    return root


@dataclass
class Person:
    name: str
    role: str
    password: str
    token: str


@dataclass
class Server:
    root: Path
    url: str
    process: subprocess.Popen[str]
    people: dict[str, Person]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.people[who].token}"}


def copy_project(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, symlinks=True)
    return target


def start_server(root: Path) -> Server:
    people = {}
    project = open_project(root)  # 'reelgraph user add' itself is tested in test_users.py
    for name, role in (("vera", "viewer"), ("rita", "reviewer"), ("adam", "admin")):
        made = add_user(project, name, role)
        people[name] = Person(name, role, made.password, made.token)
    project.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "reelgraph.cli.main", "serve", "-p", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("serving http://") or process.poll() is not None:
            break
    if not line.startswith("serving http://"):
        process.kill()
        raise AssertionError(
            f"server did not start: {line!r} {process.stderr.read() if process.stderr else ''}"
        )
    return Server(root, line.split()[1].strip(), process, people)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
