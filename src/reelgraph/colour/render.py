"""Stream a clip through a colour decision: sample frames to estimate it, then render every
frame through its 33³ LUT. Memory holds the sampled frames (a fixed number, downsized) and
one frame being rendered, whatever the clip's length."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from reelgraph.colour import lut
from reelgraph.errors import MediaError
from reelgraph.media.audio import read_audio
from reelgraph.media.colour import ColourTag
from reelgraph.media.probe import probe
from reelgraph.media.remux import replace_audio
from reelgraph.media.video import PRESETS, VideoReader, VideoWriter

Array = npt.NDArray[np.float32]
#: Long side, in pixels, that sampled frames are brought to for estimating a decision.
SAMPLE_SIZE = 960
#: Extensions read as stills rather than clips (an --to REF can be a frame grab).
STILL_EXTENSIONS = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".exr")

Progress = Callable[[int, int], None]


def _downsize(rgb: Array) -> Array:
    scale = min(1.0, SAMPLE_SIZE / max(rgb.shape[:2]))
    if scale >= 1.0:
        return rgb
    return np.asarray(
        cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.float32
    )


def sample_clip(path: Path, count: int) -> tuple[list[Array], ColourTag]:
    """``count`` frames spread evenly over the clip (downsized), and the clip's colour tag."""
    reader = VideoReader(path)
    total = len(reader)
    if total == 0:
        raise MediaError(f"{path}: has no frames", path=path, hint="give a clip with pictures")
    wanted = set(np.linspace(0, total - 1, min(count, total)).round().astype(int).tolist())
    frames: list[Array] = []
    for frame in reader:
        if frame.index in wanted:
            frames.append(_downsize(frame.rgb))
        if len(frames) == len(wanted):
            break
    return frames, reader.tag


def check_video_source(path: Path) -> None:
    """Refuse, before any work, a source that is not a readable video clip."""
    info = probe(path)  # raises MediaNotFoundError / MediaError with hints
    if not info.video:
        raise MediaError(f"{path}: has no video stream", path=path, hint="give a video clip")
    if info.first_video.variable_frame_rate:
        raise MediaError(
            f"{path}: variable frame rate",
            path=path,
            hint="re-encode at a constant frame rate, or ingest it with --conform",
        )


def render(
    source: Path,
    out: Path,
    table: Array,
    preset: str,
    progress: Progress | None = None,
) -> int:
    """Write ``source`` through ``table`` with ``preset``, its first sound stream carried
    over (re-encoded: PCM in .mov/.mkv, AAC in .mp4); ``out`` appears only when complete
    (written beside it under a temporary name, then renamed). Returns the frame count."""
    reader = VideoReader(source)
    width, height = reader.size
    token = secrets.token_hex(4)
    tmp = out.parent / f".{out.stem}.{token}.tmp{PRESETS[preset].extension}"
    muxed = out.parent / f".{out.stem}.{token}.sound{PRESETS[preset].extension}"
    written = 0
    apply_table = lut.tetrahedral(table)
    try:
        content = reader.tag if reader.tag.transfer != PRESETS[preset].tag.transfer else None
        with VideoWriter(
            tmp,
            width=width,
            height=height,
            frame_rate=reader.frame_rate,
            preset=preset,
            content=content,
        ) as writer:
            for frame in reader:
                writer.write(apply_table(frame.rgb))
                written += 1
                if progress is not None:
                    progress(written, len(reader))
        if reader.info.audio:
            track = read_audio(source)
            replace_audio(tmp, muxed, track.samples, track.rate, track.layout)
            os.replace(muxed, out)
        else:
            os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        muxed.unlink(missing_ok=True)
    return written
