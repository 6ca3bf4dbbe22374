"""Streaming helpers shared by agents: read an input's frames, write a video artifact."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from reelgraph.media.video import PRESETS, DecodedFrame, VideoReader, VideoWriter
from reelgraph.orchestrator.agent import Input

INTERMEDIATE = "ffv1-rgb16"  # lossless 16-bit R'G'B' between agents


def frames(
    item: Input, *, start: int = 0, stop: int | None = None, keep_ycbcr: bool = False
) -> Iterator[DecodedFrame]:
    """Frames of a video input (an artifact's main file or a source file)."""
    yield from VideoReader(
        item.file(),
        start=start,
        stop=stop,
        keep_ycbcr=keep_ycbcr,
        conform=bool(item.meta.get("variable_frame_rate")),
    )


def video_meta(
    file: str,
    frames: int,
    width: int,
    height: int,
    frame_rate: str,
    preset: str = INTERMEDIATE,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "kind": "video",
        "file": file,
        "frames": frames,
        "width": width,
        "height": height,
        "frame_rate": frame_rate,
        "preset": preset,
        "colour": PRESETS[preset].tag.to_dict(),
        **extra,
    }


def open_writer(
    out_dir: Path,
    name: str,
    meta: Mapping[str, Any],
    width: int,
    height: int,
    preset: str = INTERMEDIATE,
    **kwargs: Any,
) -> tuple[VideoWriter, str]:
    file = f"{name}{PRESETS[preset].extension}"
    writer = VideoWriter(
        out_dir / file,
        width=width,
        height=height,
        frame_rate=Fraction(str(meta["frame_rate"])),
        preset=preset,
        **kwargs,
    )
    return writer, file
