"""Black and freeze detection agree with FFmpeg's blackdetect and freezedetect.

The same clip is written losslessly (H.264 RGB, crf 0) and analysed by the ``ffmpeg``
binary from imageio-ffmpeg (``-vf blackdetect,freezedetect -f null -``) and by reelgraph
after decoding it with PyAV. Both must put every segment's start and end within one frame
of each other (FFmpeg reports times; a frame is ``round(t · fps)``).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest
import qc_clips as clips

from reelgraph.algorithms.qc import BlackParameters, FreezeParameters, VideoQC, VideoQCConfig

FPS = clips.FPS
DURATION = 1.0  # seconds, for both tools (FFmpeg's d)


def ffmpeg_segments(path: Path) -> dict[str, list[tuple[float, float | None]]]:
    """``black`` and ``freeze`` (start, end) times from FFmpeg's log (end None at EOF)."""
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path),
        "-vf", f"setpts=PTS-STARTPTS,blackdetect=d={DURATION},freezedetect=d={DURATION}",
        "-f", "null", "-",
    ]  # fmt: skip
    log = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    black = [
        (float(start), float(end))
        for start, end in re.findall(r"black_start:([\d.]+) black_end:([\d.]+)", log)
    ]
    starts = [float(t) for t in re.findall(r"freeze_start: ([\d.]+)", log)]
    ends = [float(t) for t in re.findall(r"freeze_end: ([\d.]+)", log)]
    freeze = [(start, ends[k] if k < len(ends) else None) for k, start in enumerate(starts)]
    return {"black": black, "freeze": freeze}


def reelgraph_segments(path: Path) -> tuple[dict[str, list[tuple[int, int]]], int]:
    config = VideoQCConfig(
        checks=("black", "freeze"),
        black=BlackParameters(min_duration=DURATION),
        freeze=FreezeParameters(min_duration=DURATION),
    )
    qc = VideoQC(FPS, config)
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            qc.push(rgb.astype(np.float32) / np.float32(255.0))
    report = qc.finish()
    found: dict[str, list[tuple[int, int]]] = {"black": [], "freeze": []}
    for finding in report.findings:
        found[finding.check].append((finding.start_frame, finding.end_frame))
    return found, report.frames


def layout_middle() -> list[np.ndarray]:
    frames = clips.pan("astronaut", 60, 4) + clips.pan("coffee", 60, 5, top=100)
    return clips.with_freeze(clips.with_black(frames, 20, 49), 75, 104)


def layout_edges() -> list[np.ndarray]:
    frames = clips.pan("coffee", 90, 5, top=100)
    return clips.with_freeze(clips.with_black(frames, 0, 34), 55, 89)  # freeze runs to EOF


@pytest.mark.parametrize("layout", [layout_middle, layout_edges])
def test_black_and_freeze_agree_with_ffmpeg_within_one_frame(
    layout: object, tmp_path: Path
) -> None:
    frames = layout()  # type: ignore[operator]
    path = clips.encode(frames, tmp_path / "clip.mp4")
    theirs = ffmpeg_segments(path)
    ours, frame_count = reelgraph_segments(path)
    assert frame_count == len(frames)
    for check in ("black", "freeze"):
        assert len(ours[check]) == len(theirs[check]) >= 1, (check, ours, theirs)
        for (start, end), (their_start, their_end) in zip(ours[check], theirs[check], strict=True):
            assert abs(start - round(their_start * FPS)) <= 1, (check, start, their_start)
            if their_end is not None:  # FFmpeg's end is the first frame after the segment
                assert abs(end + 1 - round(their_end * FPS)) <= 1, (check, end, their_end)
            else:
                assert end == frame_count - 1
