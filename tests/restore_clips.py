"""Small seeded clips for the restoration agent and CLI tests: a photograph panned with a
sub-pixel camera move, with white noise of a known sigma, quantised to 8 bits."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from skimage import data

from reelgraph.agents._io import video_meta
from reelgraph.media.video import VideoWriter
from reelgraph.orchestrator.agent import Input

Frame = NDArray[np.float32]
NOISE = 6.0 / 255.0


@lru_cache(maxsize=2)
def _photo() -> Frame:
    return np.asarray(data.coffee(), np.float32) / np.float32(255.0)


def clean_frames(count: int, width: int = 96, height: int = 64) -> list[Frame]:
    """A 0.6 px/frame pan over a downscaled photograph (clean, display-referred)."""
    photo = cv2.resize(_photo(), (width * 2, height * 2), interpolation=cv2.INTER_AREA)
    out = []
    for i in range(count):
        shift = np.float32([[1, 0, -0.6 * i - width / 4], [0, 1, -0.3 * i - height / 4]])
        frame = cv2.warpAffine(photo, shift, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        out.append(np.clip(frame, 0.0, 1.0).astype(np.float32))
    return out


def noisy_frames(
    count: int, width: int = 96, height: int = 64, sigma: float = NOISE, seed: int = 1
) -> list[Frame]:
    """:func:`clean_frames` with white noise of ``sigma``, rounded to 8-bit codes."""
    rng = np.random.default_rng(seed)
    frames = []
    for frame in clean_frames(count, width, height):
        noisy = frame + rng.normal(0.0, sigma, frame.shape).astype(np.float32)
        frames.append((np.round(np.clip(noisy, 0, 1) * 255) / 255).astype(np.float32))
    return frames


def write_clip(path: Path, frames: list[Frame], preset: str, **kwargs: object) -> Path:
    with VideoWriter(
        path,
        width=frames[0].shape[1],
        height=frames[0].shape[0],
        frame_rate=Fraction(24),
        preset=preset,
        **kwargs,  # type: ignore[arg-type]
    ) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def intermediate(folder: Path, frames: list[Frame], key: str = "conform-key") -> Input:
    """A conform-like artifact (lossless 16-bit FFV1) holding ``frames``, as an agent input."""
    folder.mkdir(parents=True, exist_ok=True)
    write_clip(folder / "video.mkv", frames, "ffv1-rgb16")
    height, width = frames[0].shape[:2]
    meta = video_meta("video.mkv", len(frames), width, height, "24/1")
    meta["source_colour"] = meta["colour"]
    return Input(key, folder, meta)


def write_alpha_clip(path: Path, count: int = 3, width: int = 64, height: int = 48) -> Path:
    """An FFV1 clip with an alpha channel (yuva420p)."""
    container = av.open(str(path), "w")
    stream = container.add_stream("ffv1", rate=24)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuva420p"
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., :3] = 120
    rgba[..., 3] = 255
    for i in range(count):
        frame = av.VideoFrame.from_ndarray(rgba, format="rgba").reformat(format="yuva420p")
        frame.pts = i
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path


def tiny_onnx_x2(path: Path) -> Path:
    """A ×2 ONNX 'upscaler': 3×3 box blur (per channel) then nearest-neighbour resize."""
    import onnx
    from onnx import TensorProto, helper

    weights = np.zeros((3, 1, 3, 3), np.float32) + np.float32(1 / 9)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w"], ["blur"], group=3, pads=[1, 1, 1, 1]),
            helper.make_node("Resize", ["blur", "", "scales"], ["y"], mode="nearest"),
        ],
        "x2",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, None, None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, None, None])],
        [
            helper.make_tensor("w", TensorProto.FLOAT, weights.shape, weights.ravel()),
            helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, 2, 2]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path
