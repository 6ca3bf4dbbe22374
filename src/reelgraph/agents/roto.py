"""Rotoscoping agent: per-frame mattes of a shot's subject, steady over time.

Thin adapter over :mod:`reelgraph.algorithms.roto` (docs/agents/roto.md). ``roto`` streams
the shot once: each frame's first guess (a subject model's mask, on every frame or every
few for a slow model, or the user's keyframe mask on its own frame) goes through the chain
(trimap → guided feathering → flow-guided temporal fusion), and the agent writes

* ``NAME.NNNNNN.png`` (16-bit greyscale) or ``.exr`` (half, channel ``A``) per frame,
* ``preview.mp4``: the subject over a grey checkerboard (H.264),
* ``roto.json``: the ``reelgraph.Roto.1`` summary (model and checksum, keyframes, subject
  area, edge jitter, the frames that need a new keyframe, the frames without a subject).

Frames where the subject is lost, or where the motion could not be re-solved, become
findings (warnings) rather than failures. Memory is one frame and one matte of history,
whatever the length of the shot.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph.agents._io import frames, open_writer
from reelgraph.algorithms.roto.chain import RotoFrame, RotoParams, RotoTracker
from reelgraph.algorithms.roto.edge_shift_chamfer_barrow1977 import edge_shift
from reelgraph.errors import AgentError, MediaError, UsageError
from reelgraph.media.mattes import MATTE_FORMATS, matte_name, read_mask, write_matte
from reelgraph.media.roto_models import (
    SUBJECT_MODELS,
    ModelNotInstalledError,
    SubjectModel,
    load_subject_model,
    subject_model_file,
)
from reelgraph.orchestrator.agent import Agent, Cost, Input, NodeContext, Output
from reelgraph.timecode import frames_to_timecode

ROTO_SCHEMA = "reelgraph.Roto.1"
SUMMARY_FILE = "roto.json"
PREVIEW_FILE = "preview.mp4"
#: What a shot's subject is: a model's subject, or only what the keyframes show.
SUBJECTS = (*SUBJECT_MODELS, "keyframe")
DEFAULT_SUBJECT = "person"
DEFAULT_FORMAT = "png"
#: Checkerboard of the preview: square size as a share of the height, and its two greys.
_CHECKER = (0.04, 0.35, 0.65)
_CHAIN = RotoParams()


@dataclass(frozen=True)
class RotoNodeParams:
    """What the ``roto`` agent makes."""

    subject: str = DEFAULT_SUBJECT
    """``person`` (MediaPipe selfie segmentation), ``salient`` (U²-Net-p) or ``keyframe``
    (no model: the keyframe masks are propagated)."""
    keyframes: tuple[tuple[int, str], ...] = ()
    """(frame, mask file) pairs; frames count from 0 in the shot. A keyframe's mask is the
    matte of its frame exactly, and the chain restarts from it."""
    name: str = "matte"
    """File name stem of the per-frame mattes (``NAME.NNNNNN.ext``)."""
    format: str = DEFAULT_FORMAT
    """``png`` (16-bit) or ``exr`` (half float)."""

    def __post_init__(self) -> None:
        if self.subject not in SUBJECTS:
            raise ValueError(f"subject {self.subject!r}: use one of {', '.join(SUBJECTS)}")
        if self.format not in MATTE_FORMATS:
            raise ValueError(f"format {self.format!r}: use one of {', '.join(MATTE_FORMATS)}")
        if self.subject == "keyframe" and not self.keyframes:
            raise ValueError("subject 'keyframe' needs at least one keyframe mask")


def parse_keyframe(text: str) -> tuple[int, str]:
    """``FRAME:MASK`` → (frame, mask path).

    >>> parse_keyframe("12:masks/hero.png")
    (12, 'masks/hero.png')
    """
    frame, sep, path = text.partition(":")
    if not sep or not path or not frame.strip().lstrip("-").isdigit():
        raise UsageError(
            f"keyframe {text!r} is not FRAME:MASK",
            hint="give the frame number (from 0) and the mask file, e.g. --keyframe 0:hero.png",
        )
    return int(frame), path


def read_keyframes(
    keyframes: Iterable[tuple[int, str]], width: int, height: int, total: int, *, base: Path
) -> dict[int, np.ndarray]:
    """Read and check every keyframe mask before any work: frame inside the shot, mask of
    the shot's size and not empty. ``base`` resolves relative mask paths."""
    masks: dict[int, np.ndarray] = {}
    for frame, name in keyframes:
        path = Path(name) if Path(name).is_absolute() else base / name
        if not 0 <= frame < total:
            raise UsageError(
                f"keyframe at frame {frame} is outside the shot (frames 0–{total - 1})",
                hint="frames count from 0 at the shot's first frame",
                frame=frame,
            )
        if frame in masks:
            raise UsageError(
                f"two keyframes at frame {frame}", hint="give one mask per frame", frame=frame
            )
        mask = read_mask(path)
        if mask.shape != (height, width):
            raise MediaError(
                f"{path}: the keyframe mask is {mask.shape[1]}×{mask.shape[0]}, the shot "
                f"{width}×{height}",
                path=path,
                hint=f"export the mask at the shot's resolution, {width}×{height}",
            )
        if not np.any(mask >= 0.5):
            raise MediaError(
                f"{path}: the keyframe mask is empty (no pixel is subject)",
                path=path,
                hint="paint the subject white (or opaque) on black; to say the subject is "
                "absent, leave the frame without a keyframe",
            )
        masks[frame] = mask
    return masks


def _checkerboard(height: int, width: int) -> np.ndarray:
    size, dark, light = _CHECKER
    square = max(4, round(size * height))
    ys, xs = np.indices((height, width))
    board = np.where(((ys // square) + (xs // square)) % 2 == 0, dark, light)
    return np.repeat(board[..., None], 3, axis=2).astype(np.float32)


def _runs(frames_flagged: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive frame numbers grouped into inclusive (start, end) runs."""
    out: list[tuple[int, int]] = []
    for f in frames_flagged:
        if out and f == out[-1][1] + 1:
            out[-1] = (out[-1][0], f)
        else:
            out.append((f, f))
    return out


def _finding(check: str, run: tuple[int, int], rate: Fraction, message: str) -> dict[str, Any]:
    return {
        "check": check,
        "severity": "warning",
        "start_frame": run[0],
        "end_frame": run[1],
        "start_tc": frames_to_timecode(run[0], rate),
        "end_tc": frames_to_timecode(run[1], rate),
        "value": float(run[1] - run[0] + 1),
        "limit": None,
        "standard": "reelgraph roto",
        "message": message,
    }


class Roto(Agent):
    name = "roto"
    version = "5"  # 5: preview chroma rounded once; 4: occluders kept out; 3: guess reliability
    description = "per-frame subject mattes: model or keyframe → trimap → guided alpha → flow"
    Params = RotoNodeParams
    cost = Cost("megapixel_frame", 0.08)

    @classmethod
    def model_files(cls, params: Any) -> list[Path]:
        """The subject model's file and the keyframe masks: their checksums join the cache
        key, so new weights or a repainted mask never return old mattes."""
        files = [Path(path) for _, path in params.keyframes]
        if params.subject in SUBJECT_MODELS:
            files.insert(0, subject_model_file(params.subject))
        return files

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        source = inputs[0] if inputs else {}
        return {
            "kind": "matte",
            "file": SUMMARY_FILE,
            "pattern": f"{params.name}.%06d{MATTE_FORMATS[params.format]}",
            "format": params.format,
            "frames": int(source.get("frames", 0)),
            "width": int(source.get("width", 0)),
            "height": int(source.get("height", 0)),
            "frame_rate": source.get("frame_rate", "24/1"),
        }

    def calibration_job(self, synthetic: Mapping[str, Input]) -> tuple[list[Input], Any] | None:
        try:
            subject_model_file(DEFAULT_SUBJECT)
        except ModelNotInstalledError:
            return None
        return [synthetic["video"]], self.Params()

    def run(self, ctx: NodeContext) -> Output:
        params: RotoNodeParams = ctx.params
        source = ctx.inputs[0]
        meta = source.meta
        width, height, total = int(meta["width"]), int(meta["height"]), int(meta["frames"])
        rate = Fraction(str(meta["frame_rate"]))
        keys = read_keyframes(params.keyframes, width, height, total, base=Path.cwd())
        model = load_subject_model(params.subject) if params.subject in SUBJECT_MODELS else None
        summary = _stream(ctx, source, params, keys, model, (width, height, total))
        flagged = summary.pop("_flagged")
        findings = [
            _finding(
                "roto_needs_keyframe",
                run,
                rate,
                f"frames {run[0]}–{run[1]}: motion the chain could not re-solve; "
                "add a keyframe mask there",
            )
            for run in _runs(flagged["needs_keyframe"])
        ]
        findings += [
            _finding(
                "roto_no_subject",
                run,
                rate,
                f"frames {run[0]}–{run[1]}: no subject in the matte (it left the frame, "
                "or no keyframe precedes these frames)",
            )
            for run in _runs(flagged["empty"])
        ]
        summary["findings"] = findings
        (ctx.out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
        jitter = summary["edge_jitter_px"]
        metrics = {
            "mean_area": float(summary["mean_area"]),
            "frames_needing_keyframe": float(len(summary["needs_keyframe"])),
            "frames_without_subject": float(len(flagged["empty"])),
        }
        if jitter is not None:
            metrics["edge_jitter_px"] = float(jitter)
        return Output(self.describe_output([meta], params), metrics, findings)


def track(
    decoded: Iterable[tuple[int, np.ndarray]],
    tracker: RotoTracker,
    model: SubjectModel | None,
    keys: Mapping[int, np.ndarray],
) -> Iterator[tuple[int, np.ndarray, RotoFrame]]:
    """(index, frame, matte) of each (index, frame) in order, through the chain.

    The model runs on every ``stride``-th frame (not on keyframes), one frame ahead of the
    chain in a worker thread — onnxruntime and OpenCV release the GIL, so on two cores
    the next frame's inference overlaps this frame's chain. Two frames are held at most.
    """
    stride = 1 if model is None else model.spec.stride

    def finish(pending: tuple[int, np.ndarray, Future[np.ndarray] | None]) -> RotoFrame:
        index, rgb, future = pending
        guess = None if future is None else future.result()
        return tracker.step(rgb, guess=guess, keyframe=keys.get(index))

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: tuple[int, np.ndarray, Future[np.ndarray] | None] | None = None
        for index, rgb in decoded:
            wanted = model is not None and index % stride == 0 and index not in keys
            future = pool.submit(model.mask, rgb) if model is not None and wanted else None
            if pending is not None:
                yield pending[0], pending[1], finish(pending)
            pending = (index, rgb, future)
        if pending is not None:
            yield pending[0], pending[1], finish(pending)


def _stream(
    ctx: NodeContext,
    source: Input,
    params: RotoNodeParams,
    keys: Mapping[int, np.ndarray],
    model: SubjectModel | None,
    size: tuple[int, int, int],
) -> dict[str, Any]:
    """Run the chain over the shot, writing mattes and the preview; the summary's figures."""
    width, height, total = size
    tracker = RotoTracker(_CHAIN)
    board = _checkerboard(height, width)
    even_w, even_h = width - width % 2, height - height % 2  # H.264 4:2:0 needs even sizes
    preview, _ = open_writer(ctx.out_dir, "preview", source.meta, even_w, even_h, preset="h264")
    previous: np.ndarray | None = None
    areas: list[float] = []
    shifts: list[float] = []
    needs: list[int] = []
    empty: list[int] = []
    done = 0
    try:
        decoded = ((d.index, d.rgb) for d in frames(source))
        for index, rgb, result in track(decoded, tracker, model, keys):
            alpha = result.alpha
            write_matte(
                ctx.out_dir / matte_name(params.name, index, params.format), alpha, params.format
            )
            composite = board + alpha[..., None] * (np.clip(rgb, 0.0, 1.0) - board)
            preview.write(np.ascontiguousarray(composite[:even_h, :even_w]))
            areas.append(result.area)
            if result.needs_keyframe:
                needs.append(index)
            if result.lost:
                empty.append(index)
            if previous is not None:
                shift = edge_shift(previous, alpha)
                if math.isfinite(shift):
                    shifts.append(shift)
            previous = alpha
            done += 1
            ctx.progress(done, total)
    finally:
        preview.close()
    if done == 0:
        raise AgentError(f"{source.path}: no frame could be read", hint="check the clip")
    return {
        "schema": ROTO_SCHEMA,
        "subject": params.subject,
        "model": None
        if model is None
        else {
            "name": model.spec.subject,
            "file": model.path.name,
            "sha256": model.sha256,
            "runtime": model.spec.runtime,
            "licence": model.spec.licence,
        },
        "frames": done,
        "width": width,
        "height": height,
        "format": params.format,
        "pattern": f"{params.name}.%06d{MATTE_FORMATS[params.format]}",
        "preview": PREVIEW_FILE,
        "keyframes": sorted(keys),
        "mean_area": round(float(np.mean(areas)), 6),
        "edge_jitter_px": round(float(np.mean(shifts)), 3) if shifts else None,
        "needs_keyframe": needs,
        "_flagged": {"needs_keyframe": needs, "empty": empty},
    }
