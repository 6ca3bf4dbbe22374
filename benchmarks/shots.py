"""Shot-boundary detection: accuracy (F1 at the exact frame and at ±1 frame) and speed of
reelgraph's classical detector against PySceneDetect (ContentDetector and AdaptiveDetector)
and FFmpeg's ``scdet``, all run here on the same files.

Run on demand: ``python benchmarks/shots.py [--repeats 2] [--no-testmedia]``. The peer is
installed apart, without its requirements, because PySceneDetect's wheel asks for the
non-headless ``opencv-python``, a second ``cv2`` that would replace the headless one::

    pip install --no-deps scenedetect && pip install click platformdirs tqdm

Inputs and their ground truth:

* the PySceneDetect test videos in ``../shared/testmedia/pyscenedetect-resources`` (see its
  PROVENANCE.md and expected.json), of which only the hard cuts are labelled (so only cuts
  are scored there; reelgraph's gradual transitions in them are listed for reading). True
  cuts: ``testvideo.mp4`` [30, 180] (its fades are not cuts), ``goldeneye-vfr-drop3.mp4``
  [60, 140] (decoded-frame indices of a variable-rate file), ``issue-134-rotate.mp4``
  [90, 210], ``fades.mp4`` none, and ``counter.mp4`` [10, 20] (its background colour
  changes there; checked by eye here);
* the synthetic clips of ``tests/unit/shot_clips.py`` encoded as H.264: hard cuts, a
  12-frame dissolve, a fade-out and fade-in through black, a wipe, a one-frame camera flash,
  a strobe and a whip-pan (the last three hold no boundary at all).

Scoring. Hard cuts: a reported cut is right when within the tolerance of a true one (each
true cut matched once). Gradual transitions: a tool that reports one cut for a dissolve is
right when the cut lies within the transition (± tolerance); reelgraph's transitions are
right when their first and last frames are within the tolerance of the true ones. A clip
with nothing to find and nothing found scores F1 = 1. Every tool's cut positions are mapped
to decoded-frame indices through presentation times (PySceneDetect numbers the frames of
variable-rate files on the nominal rate's grid).

Speed: frames per second over all files, decode included, best of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

import shot_clips

from reelgraph.agents.shots import detect_file

TESTMEDIA = Path(__file__).resolve().parents[2] / "shared" / "testmedia" / "pyscenedetect-resources"
PYSCENEDETECT_TRUTH = {
    "testvideo.mp4": [30, 180],
    "goldeneye-vfr-drop3.mp4": [60, 140],
    "issue-134-rotate.mp4": [90, 210],
    "fades.mp4": [],
    "counter.mp4": [10, 20],
}


@dataclass
class Case:
    name: str
    path: Path
    cuts: list[int]
    gradual: list[tuple[str, int, int]]
    gradual_labelled: bool = True
    """False where only the hard cuts are labelled: gradual reports are then not scored."""


@dataclass
class Found:
    cuts: list[int]
    gradual: list[tuple[str, int, int]]
    seconds: float


def frame_times(path: Path) -> np.ndarray:
    """Presentation time (s) of every decoded frame."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return np.array([float(frame.time or 0.0) for frame in container.decode(stream)])


def to_frames(seconds: list[float], times: np.ndarray) -> list[int]:
    return [int(np.argmin(np.abs(times - s + 1e-4))) for s in seconds]


def run_reelgraph(path: Path, times: np.ndarray) -> Found:
    start = time.perf_counter()
    result = detect_file(path)
    elapsed = time.perf_counter() - start
    gradual = [(t.kind, t.start_frame, t.end_frame) for t in result.transitions if t.kind != "cut"]
    return Found(result.cuts, gradual, elapsed)


def run_learned(path: Path, times: np.ndarray) -> Found:
    start = time.perf_counter()
    result = detect_file(path, "transnetv2")
    elapsed = time.perf_counter() - start
    gradual = [(t.kind, t.start_frame, t.end_frame) for t in result.transitions if t.kind != "cut"]
    return Found(result.cuts, gradual, elapsed)


def run_pyscenedetect(kind: str) -> Callable[[Path, np.ndarray], Found]:
    def run(path: Path, times: np.ndarray) -> Found:
        from scenedetect import AdaptiveDetector, ContentDetector, detect

        detector = AdaptiveDetector() if kind == "adaptive" else ContentDetector()
        start = time.perf_counter()
        scenes = detect(str(path), detector, backend="pyav")
        elapsed = time.perf_counter() - start
        seconds = [scene[0].seconds for scene in scenes[1:]]
        return Found(to_frames(seconds, times), [], elapsed)

    return run


def run_scdet(path: Path, times: np.ndarray) -> Found:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path),
               "-vf", "scdet=threshold=10", "-an", "-f", "null", "-"]  # fmt: skip
    start = time.perf_counter()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    elapsed = time.perf_counter() - start
    seconds = [float(m) for m in re.findall(r"lavfi\.scd\.time: ([0-9.]+)", output)]
    return Found(to_frames(seconds, times), [], elapsed)


TOOLS: dict[str, Callable[[Path, np.ndarray], Found]] = {
    "reelgraph": run_reelgraph,
    "pyscenedetect-content": run_pyscenedetect("content"),
    "pyscenedetect-adaptive": run_pyscenedetect("adaptive"),
    "ffmpeg-scdet": run_scdet,
}


def f1(case: Case, found: Found, tolerance: int) -> float:
    """F1 of the reported boundaries against the case's truth (see the module docstring)."""
    truth_cuts = list(case.cuts)
    truth_gradual = list(case.gradual)
    right = 0
    reported = len(found.cuts) + len(found.gradual)
    for cut in found.cuts:
        near = [t for t in truth_cuts if abs(t - cut) <= tolerance]
        if near:
            truth_cuts.remove(near[0])
            right += 1
            continue
        inside = [g for g in truth_gradual if g[1] - tolerance <= cut <= g[2] + 1 + tolerance]
        if inside:
            truth_gradual.remove(inside[0])
            right += 1
    gradual_reported = found.gradual if case.gradual_labelled else []
    reported = len(found.cuts) + len(gradual_reported)
    for kind, first, last in gradual_reported:
        match = [
            g
            for g in truth_gradual
            if kind in (g[0], "gradual")
            and abs(g[1] - first) <= tolerance
            and abs(g[2] - last) <= tolerance
        ]
        if match:
            truth_gradual.remove(match[0])
            right += 1
    expected = len(case.cuts) + len(case.gradual)
    if expected == 0 and reported == 0:
        return 1.0
    precision = right / reported if reported else 0.0
    recall = right / expected if expected else 0.0
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def cases(folder: Path, testmedia: bool) -> list[Case]:
    found = []
    if testmedia and TESTMEDIA.is_dir():
        for name, cuts in PYSCENEDETECT_TRUTH.items():
            found.append(Case(name, TESTMEDIA / name, cuts, [], gradual_labelled=False))
    for name, make in shot_clips.CLIPS.items():
        frames, cuts, gradual = make()
        path = shot_clips.encode(frames, folder / f"{name}.mp4")
        found.append(Case(f"synthetic {name}", path, cuts, gradual))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-testmedia", action="store_true")
    parser.add_argument(
        "--learned",
        action="store_true",
        help="also run reelgraph's TransNetV2 detector (extra [ml]; slow on a CPU)",
    )
    args = parser.parse_args()
    if args.learned:
        TOOLS["reelgraph-transnetv2"] = run_learned
    with tempfile.TemporaryDirectory() as tmp:
        all_cases = cases(Path(tmp), not args.no_testmedia)
        frames = {case.name: frame_times(case.path) for case in all_cases}
        best: dict[tuple[str, str], Found] = {}
        for _ in range(max(1, args.repeats)):
            for case in all_cases:
                for tool, run in TOOLS.items():
                    result = run(case.path, frames[case.name])
                    key = (tool, case.name)
                    if key not in best or result.seconds < best[key].seconds:
                        best[key] = result
    print(f"{'clip':<28}" + "".join(f"{tool:>26}" for tool in TOOLS))
    print(f"{'':<28}" + "".join(f"{'F1 exact / ±1 frame':>26}" for _ in TOOLS))
    all_ones = {tool: True for tool in TOOLS}
    for case in all_cases:
        cells = []
        for tool in TOOLS:
            exact, near = f1(case, best[tool, case.name], 0), f1(case, best[tool, case.name], 1)
            all_ones[tool] &= near == 1.0
            cells.append(f"{exact:.2f} / {near:.2f}")
        print(f"{case.name:<28}" + "".join(f"{cell:>26}" for cell in cells))
    for case in all_cases:
        wrong = {
            tool: best[tool, case.name].cuts
            for tool in TOOLS
            if best[tool, case.name].cuts != case.cuts and not case.gradual
        }
        if wrong:
            print(f"  {case.name}: true cuts {case.cuts}; reported " + "; ".join(
                f"{tool} {cuts}" for tool, cuts in wrong.items()))  # fmt: skip
    for case in all_cases:
        if not case.gradual_labelled and best["reelgraph", case.name].gradual:
            listed = ", ".join(f"{k} {a}–{b}" for k, a, b in best["reelgraph", case.name].gradual)
            print(f"  {case.name}: reelgraph's gradual transitions (not scored): {listed}")
    total_frames = sum(len(times) for times in frames.values())
    print(f"\n{'speed (frames/s, decode incl.)':<28}", end="")
    speed = {}
    for tool in TOOLS:
        seconds = sum(best[tool, case.name].seconds for case in all_cases)
        speed[tool] = total_frames / seconds
        print(f"{speed[tool]:>26.0f}", end="")
    print()
    for tool in TOOLS:
        if tool != "reelgraph":
            print(f"reelgraph / {tool} speed: {speed['reelgraph'] / speed[tool]:.2f}x")
    print("F1 = 1.0 at ±1 frame on every clip: " + ", ".join(
        f"{tool} {'yes' if ok else 'no'}" for tool, ok in all_ones.items()))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
