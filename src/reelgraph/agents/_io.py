"""Streaming helpers shared by agents: read an input's frames, write a video artifact."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from reelgraph.media.colour import BT709, ColourTag
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
    content: ColourTag | None = None,
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
        "colour": writer_tag(preset, content).to_dict(),
        **extra,
    }


def content_tag(meta: Mapping[str, Any]) -> ColourTag | None:
    """Primaries and transfer of a picture, from an input's description."""
    colour = meta.get("colour")
    if not colour:
        return None
    return BT709.with_(primaries=colour["primaries"], transfer=colour["transfer"])


def writer_tag(preset: str, content: ColourTag | None) -> ColourTag:
    """The tag a writer with this preset and content puts on its stream."""
    base = PRESETS[preset].tag
    if content is None:
        return base
    return base.with_(primaries=content.primaries, transfer=content.transfer, assumed=())


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
    if preset == INTERMEDIATE and "content" not in kwargs:
        kwargs["content"] = content_tag(meta)
    writer = VideoWriter(
        out_dir / file,
        width=width,
        height=height,
        frame_rate=Fraction(str(meta["frame_rate"])),
        preset=preset,
        **kwargs,
    )
    return writer, file
