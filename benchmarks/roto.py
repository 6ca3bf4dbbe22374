"""Benchmark: reelgraph's rotoscoping chain against the raw model masks and OpenCV GrabCut.

Run on demand (not part of the test suite)::

    python benchmarks/roto.py                 # 960×540, 48 frames, 3 clips + 1080p speed
    python benchmarks/roto.py --quick         # 480×270, 24 frames, no 1080p speed run
    python benchmarks/roto.py --speed-only    # the 1080p speed run only

Recipe (seeded, deterministic): the clips of ``tests/roto_clips.py`` (:data:`CLIPS`) — a
textured subject with soft edges (head and shoulders, or a lobed blob, cut from
``skimage.data.astronaut``) moving and growing or shrinking over a panning photograph
(tinted grass or gravel, or the rocket), with an opaque pole (``camera``) crossing in front
of it half-way — whose true alpha is known for every frame. The first clip's geometry is
fixed; the others are drawn from a seed (path, growth, sway, pan, pole). Methods, each on
the same frames:

* ``keyframe``: reelgraph's chain with one keyframe (the true matte of frame 0,
  thresholded at 0.5 as a painted mask would be) and no model;
* ``<model> raw``: the subject model's mask (MediaPipe selfie ``person``, U²-Net-p
  ``salient``), resized to the frame — the first guess before refinement;
* ``<model> chain``: reelgraph's chain on that guess (trimap, guided feathering, flow),
  the model's mask given on every ``stride``-th frame as the agent gives it;
* ``grabcut``: OpenCV GrabCut initialised each frame from the true subject's bounding
  box grown by 5 %, 3 iterations (the classic interactive tool given a perfect box).

Per frame: IoU of the matte thresholded at 0.5 against the true matte thresholded the
same way; SAD = sum |alpha − true alpha| / 1000 (the alphamatting.com convention); edge
jitter = the symmetric chamfer distance between the 0.5 contours of consecutive mattes,
set beside the same measure on the true mattes (the subject's true motion). Speed:
frames per second of the chain (model inference included, decoding and file writing
excluded) at 1920×1080 as the agent runs it (the model one frame ahead in a worker
thread), with OpenCV limited to ``--threads`` threads, the CPU time per frame over all
threads (steadier than wall clock on a shared machine), the frame rate two free cores
would give at that CPU time, and the IoU at that size. The peer tool
for speed is GrabCut's column in the quality table (same frames, same process).

Targets (docs/agents/roto.md): mean IoU >= 0.95; mean SAD <= half the raw model mask's;
edge jitter <= true motion + 1 px; >= 5 fps at 1080p on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from reelgraph.agents.roto import track
from reelgraph.algorithms.roto.chain import RotoParams, RotoTracker
from reelgraph.algorithms.roto.edge_shift_chamfer_barrow1977 import edge_shift
from reelgraph.media.roto_models import (
    SUBJECT_MODELS,
    ModelNotInstalledError,
    load_subject_model,
)
from roto_clips import RotoClip, clip_frames

Method = Callable[[int, np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Scores:
    iou: list[float] = field(default_factory=list)
    sad: list[float] = field(default_factory=list)
    jitter: list[float] = field(default_factory=list)
    seconds: float = 0.0
    previous: np.ndarray | None = None

    def add(self, alpha: np.ndarray, truth: np.ndarray) -> None:
        mine, true = alpha >= 0.5, truth >= 0.5
        union = np.count_nonzero(mine | true)
        self.iou.append(np.count_nonzero(mine & true) / union if union else 1.0)
        self.sad.append(float(np.abs(alpha - truth).sum()) / 1000.0)
        if self.previous is not None:
            shift = edge_shift(self.previous, alpha)
            if math.isfinite(shift):
                self.jitter.append(shift)
        self.previous = alpha


def _resized(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)


def _grabcut(frame: np.ndarray, truth: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(truth >= 0.5)
    height, width = truth.shape
    if xs.size == 0:
        return np.zeros_like(truth)
    grow_x, grow_y = 0.05 * (xs.max() - xs.min()), 0.05 * (ys.max() - ys.min())
    x0, y0 = max(0, int(xs.min() - grow_x)), max(0, int(ys.min() - grow_y))
    x1, y1 = min(width - 1, int(xs.max() + grow_x)), min(height - 1, int(ys.max() + grow_y))
    image = np.rint(np.clip(frame, 0, 1) * 255).astype(np.uint8)[..., ::-1].copy()
    mask = np.zeros(truth.shape, np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(image, mask, (x0, y0, x1 - x0, y1 - y0), bgd, fgd, 3, cv2.GC_INIT_WITH_RECT)
    return np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)


def quality(clip: RotoClip, models: list[str], grabcut: bool) -> dict[str, Scores]:
    scores: dict[str, Scores] = {"keyframe": Scores()}
    trackers = {"keyframe": RotoTracker(RotoParams())}
    loaded = {}
    for name in models:
        loaded[name] = load_subject_model(name)
        scores[f"{name} raw"] = Scores()
        scores[f"{name} chain"] = Scores()
        trackers[name] = RotoTracker(RotoParams())
    if grabcut:
        scores["grabcut"] = Scores()
    truth_scores = Scores()
    for t, (frame, truth) in enumerate(clip_frames(clip)):
        truth_scores.add(truth, truth)
        start = time.perf_counter()
        key = (truth >= 0.5).astype(np.float32) if t == 0 else None
        result = trackers["keyframe"].step(frame, keyframe=key)
        scores["keyframe"].seconds += time.perf_counter() - start
        scores["keyframe"].add(result.alpha, truth)
        for name, model in loaded.items():
            start = time.perf_counter()
            mask = model.mask(frame)
            raw = _resized(mask, clip.width, clip.height)
            middle = time.perf_counter()
            # The chain sees the model's mask on every stride-th frame, as the agent does.
            guess = mask if t % model.spec.stride == 0 else None
            chained = trackers[name].step(frame, guess=guess).alpha
            end = time.perf_counter()
            scores[f"{name} raw"].seconds += middle - start
            scores[f"{name} chain"].seconds += (
                end - start - (0.0 if guess is not None else middle - start)
            )
            scores[f"{name} raw"].add(raw, truth)
            scores[f"{name} chain"].add(chained, truth)
        if grabcut:
            start = time.perf_counter()
            cut = _grabcut(frame, truth)
            scores["grabcut"].seconds += time.perf_counter() - start
            scores["grabcut"].add(cut, truth)
    scores["truth"] = truth_scores
    return scores


def speed(count: int, models: list[str]) -> dict[str, tuple[float, float, float]]:
    """name → (frames per second, CPU milliseconds per frame over all threads, mean IoU)
    at 1920×1080, run as the agent runs it (:func:`reelgraph.agents.roto.track`: the
    model one frame ahead in a worker thread, on every stride-th frame)."""
    clip = RotoClip(width=1920, height=1080, frames=count)
    pairs = list(clip_frames(clip))
    frames = [(t, frame) for t, (frame, _) in enumerate(pairs)]
    keys = {0: (pairs[0][1] >= 0.5).astype(np.float32)}
    out: dict[str, tuple[float, float, float]] = {}
    for name in ["keyframe", *models]:
        model = None if name == "keyframe" else load_subject_model(name)
        tracker = RotoTracker(RotoParams())
        ious = []
        wall, cpu = time.perf_counter(), time.process_time()
        for t, _, result in track(frames, tracker, model, keys if model is None else {}):
            truth = pairs[t][1] >= 0.5
            mine = result.alpha >= 0.5
            ious.append(np.count_nonzero(mine & truth) / max(1, np.count_nonzero(mine | truth)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        label = name if model is None else f"{name} chain"
        out[label] = (count / wall, 1000 * cpu / count, float(np.mean(ious)))
    return out


def _print_speed(rates: dict[str, tuple[float, float, float]]) -> None:
    for name, (fps, cpu_ms, iou) in rates.items():
        print(
            f"  {name:<16}{fps:6.1f} fps wall, {cpu_ms:6.0f} ms CPU/frame "
            f"(CPU-bound on 2 free cores: {2000 / cpu_ms:4.1f} fps; target >= 5), IoU {iou:.3f}"
        )


#: The clips scored, each made differently: subject, background, path, pan and pole.
CLIPS: dict[str, dict[str, Any]] = {
    "bust/grass": {},
    "bust/gravel seed 7": {"seed": 7, "background": "gravel"},
    "lobes/rocket seed 11": {"seed": 11, "background": "rocket", "shape": "lobes"},
}


def report(name: str, clip: RotoClip, scores: dict[str, Scores], models: list[str]) -> None:
    truth = scores.pop("truth")
    motion = float(np.mean(truth.jitter))
    print(
        f"\nclip {name}: {clip.width}×{clip.height}, {clip.frames} frames; "
        f"true edge motion {motion:.2f} px/frame"
    )
    print(f"{'method':<16}{'IoU':>8}{'SAD':>9}{'jitter px':>11}{'fps':>8}")
    for method, s in scores.items():
        fps = len(s.iou) / s.seconds if s.seconds else float("nan")
        print(
            f"{method:<16}{np.mean(s.iou):>8.3f}{np.mean(s.sad):>9.2f}"
            f"{np.mean(s.jitter):>11.2f}{fps:>8.1f}"
        )
    for model in models:
        raw, chain = np.mean(scores[f"{model} raw"].sad), np.mean(scores[f"{model} chain"].sad)
        worst = scores[f"{model} chain"].iou
        print(
            f"{model}: SAD chain / raw = {chain / raw:.2f} (target <= 0.5); worst IoU "
            f"{min(worst):.3f} at frame {int(np.argmin(worst))}; jitter − true motion = "
            f"{np.mean(scores[f'{model} chain'].jitter) - motion:+.2f} px (target <= +1)"
        )
    key = scores["keyframe"]
    print(
        f"keyframe: worst IoU {min(key.iou):.3f} at frame {int(np.argmin(key.iou))}; "
        f"jitter − true motion = {np.mean(key.jitter) - motion:+.2f} px (target <= +1)"
    )
    if "--per-frame" in sys.argv:
        for method, s in scores.items():
            print(f"  {method:<14} IoU " + " ".join(f"{v:.2f}" for v in s.iou))
            print(f"  {'':<14} SAD " + " ".join(f"{v:.1f}" for v in s.sad))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=2, help="OpenCV threads (default 2)")
    parser.add_argument("--no-grabcut", action="store_true")
    parser.add_argument("--speed-frames", type=int, default=12)
    parser.add_argument("--speed-only", action="store_true", help="only the 1080p speed run")
    parser.add_argument("--clip", default="", help="only the clips whose name holds this")
    parser.add_argument("--per-frame", action="store_true", help="IoU and SAD of every frame")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    width, height, count = (480, 270, 24) if args.quick else (960, 540, 48)
    models = []
    for name in SUBJECT_MODELS:
        try:
            load_subject_model(name)
            models.append(name)
        except ModelNotInstalledError as exc:
            print(f"{name}: skipped ({exc}; {exc.hint})")
    if not args.speed_only:
        for name, fields in CLIPS.items():
            if args.clip and args.clip not in name:
                continue
            clip = RotoClip(width=width, height=height, frames=count, **fields)
            report(name, clip, quality(clip, models, not args.no_grabcut), models)
    if args.speed_only or not args.quick:
        rates = speed(args.speed_frames, models)
        print(f"\n1920×1080 bust/grass, {args.speed_frames} frames, {args.threads} OpenCV threads:")
        _print_speed(rates)
    return 0


if __name__ == "__main__":
    sys.exit(main())
