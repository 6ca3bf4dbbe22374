"""shot_detect: find the shots of a clip (hard cuts and gradual transitions).

Streams the clip's frames from PyAV, scaled by the decoder's own scaler straight to the
detector's analysis width (so no full-size float frame is ever made), through a detector of
:mod:`reelgraph.algorithms.shots`, and writes ``shots.json`` (``reelgraph.Shots.1``): the
cuts, every transition with its kind, extent and confidence, the shot ranges, and the
detector that found them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from reelgraph.algorithms.shots import (
    ANALYSIS_WIDTH,
    DEFAULT_SHOT_METHOD,
    SHOT_METHODS,
    ShotBoundaries,
    make_detector,
)
from reelgraph.errors import MediaError
from reelgraph.media.probe import open_container
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output

SCHEMA = "reelgraph.Shots.1"

ProgressFn = Callable[[int, int], None]


def small_frames(path: str | Path, width: int = ANALYSIS_WIDTH) -> Iterator[NDArray[np.uint8]]:
    """8-bit ``R′G′B′`` frames of the first video stream, scaled to ``width`` pixels wide
    by FFmpeg's scaler (with the stream's own matrix), in decode (presentation) order."""
    container = open_container(path)
    index = 0
    with container:
        if not container.streams.video:
            raise MediaError(
                f"{path}: has no video stream",
                path=path,
                hint="shot detection needs a picture; pass a video file",
            )
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        source_width, source_height = stream.codec_context.width, stream.codec_context.height
        target_width = min(width, source_width) if source_width else width
        target_height = max(2, round(source_height * target_width / max(1, source_width)))
        # One scaler for the whole stream: a frame's own reformat() sets one up per frame.
        reformatter = VideoReformatter()
        try:
            for frame in container.decode(stream):
                small = reformatter.reformat(
                    frame,
                    width=target_width,
                    height=target_height,
                    format="rgb24",
                    # FFmpeg's fast bilinear scaler costs a fraction of its antialiased
                    # modes; the aliasing it leaves on fine detail is far below a cut's
                    # distance (checked on the test videos and benchmarks/shots.py).
                    interpolation="FAST_BILINEAR",
                )
                yield small.to_ndarray()
                index += 1
        except av.error.FFmpegError as exc:
            raise MediaError(
                f"{path}: decoding failed after frame {index - 1} ({exc})",
                path=path,
                frame=index,
                hint="the file is damaged from that point; re-export it",
            ) from exc


def frames_from(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, first: int
) -> Iterator[tuple[int, av.VideoFrame]]:
    """``(frame number, frame)`` from frame ``first`` on, numbered on the stream's constant
    frame-rate grid by presentation time (a shot's frame numbers, also for a conformed
    variable-rate source). Seeks to the keyframe before ``first`` instead of decoding the
    whole file up to it."""
    rate, time_base = stream.average_rate, stream.time_base
    if not rate or not time_base:
        yield from enumerate(container.decode(stream))
        return
    origin = stream.start_time or 0
    if first > 0:
        container.seek(origin + int(first / rate / time_base), stream=stream, backward=True)
    index = -1
    for frame in container.decode(stream):
        if frame.pts is not None:
            index = round(float((frame.pts - origin) * time_base * rate))
        else:
            index += 1
        if index >= first:
            yield index, frame


def detect_file(
    path: str | Path,
    method: str = DEFAULT_SHOT_METHOD,
    progress: ProgressFn | None = None,
    total_frames: int = 0,
) -> ShotBoundaries:
    """Shot boundaries of a media file's first video stream (``total_frames``: for progress
    only; the file is not scanned for it)."""
    detector = make_detector(method)  # refuses an unknown or unavailable method first
    for index, frame in enumerate(small_frames(path)):
        detector.push(frame)
        if progress is not None and index % 25 == 0:
            progress(index, max(total_frames, index + 1))
    result = detector.finish()
    if result.frames == 0:
        raise MediaError(
            f"{path}: no frames could be decoded",
            path=path,
            hint="the video stream is empty or unreadable; re-export the file",
        )
    if progress is not None:
        progress(result.frames, result.frames)
    return result


def shots_document(result: ShotBoundaries, frame_rate: Fraction, file: str) -> dict[str, Any]:
    """The ``reelgraph.Shots.1`` document of a detection."""
    return {
        "schema": SCHEMA,
        "file": file,
        "frame_rate": f"{frame_rate.numerator}/{frame_rate.denominator}",
        **result.to_dict(),
    }


@dataclass(frozen=True)
class ShotDetectParams:
    """Attributes:
    detector: shot-boundary detector (``classical`` or ``transnetv2``, extra ``[ml]``).
    """

    detector: str = DEFAULT_SHOT_METHOD

    def __post_init__(self) -> None:
        if self.detector not in SHOT_METHODS:
            raise ValueError(
                f"unknown shot detector {self.detector!r}; valid: {', '.join(SHOT_METHODS)}"
            )


class ShotDetect(Agent):
    name = "shot_detect"
    version = "1"
    description = "hard cuts and gradual transitions of a clip, with extent and confidence"
    Params = ShotDetectParams
    # Decode dominates: about 4 ms of CPU per 1080p frame with the scaler's downsizing.
    cost = Cost("megapixel_frame", 0.002, overhead_cpu_s=0.2)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        clip = inputs[0] if inputs else {}
        return {
            "kind": "shots",
            "file": "shots.json",
            "detector": params.detector,
            "frames": clip.get("frames", 0),
        }

    def run(self, ctx: NodeContext) -> Output:
        clip = ctx.inputs[0]
        total = int(clip.meta.get("frames", 0))
        result = detect_file(clip.file(), ctx.params.detector, ctx.progress, total)
        rate = Fraction(str(clip.meta.get("frame_rate", "25/1")))
        document = shots_document(result, rate, str(clip.meta.get("file", clip.file().name)))
        (ctx.out_dir / "shots.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
        meta = self.describe_output([clip.meta], ctx.params)
        meta.update(frames=result.frames, shots=len(result.shot_ranges()))
        return Output(
            meta,
            metrics={
                "cuts": float(len(result.cuts)),
                "transitions": float(len(result.transitions)),
            },
        )
