"""Probe never invents timing: a stream whose frame rate the file does not carry is refused
with a hint, not given FFmpeg's 25 fps default (or any other)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from reelgraph.errors import MediaError
from reelgraph.media.probe import probe


def write_h264(path: Path, container_format: str | None) -> None:
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(6):
            rgb = np.full((48, 64, 3), 30 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_a_bare_h264_stream_has_no_frame_rate_to_read(tmp_path: Path) -> None:
    bare = tmp_path / "camera.h264"
    write_h264(bare, "h264")
    with pytest.raises(MediaError, match="frame rate of video stream 0 cannot be determined") as e:
        probe(bare)
    assert "-framerate" in e.value.hint and "camera.mov" in e.value.hint


def test_the_same_pictures_in_a_container_keep_their_rate(tmp_path: Path) -> None:
    wrapped = tmp_path / "camera.mov"
    write_h264(wrapped, None)
    video = probe(wrapped).first_video
    assert video.frame_rate == 24 and video.frame_count == 6
