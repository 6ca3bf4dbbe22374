"""Proxy: an all-intra H.264 copy of a video artifact for frame-accurate review in a browser.

Every frame is a key frame (``keyint=1``), so a browser seeking to frame N decodes exactly
that frame instead of rolling forward from the last key frame — a seek cannot land on a
neighbour. The picture is scaled to fit ``max_width`` (aspect kept, even dimensions for
4:2:0) with OpenCV's area filter; the frame count, frame rate and order are the input's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from reelgraph.agents._io import frames, open_writer, video_meta
from reelgraph.errors import AgentError
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output, Work

#: x264 settings that make every frame an IDR frame: no P/B frames, no scene-cut logic.
ALL_INTRA = {"x264-params": "keyint=1:min-keyint=1:scenecut=0", "preset": "veryfast"}


@dataclass(frozen=True)
class ProxyParams:
    """Attributes:
    max_width: widest proxy in pixels; narrower pictures keep their size.
    crf: x264 constant rate factor (lower is better looking and larger).
    """

    max_width: int = 960
    crf: int = 18

    def __post_init__(self) -> None:
        if self.max_width < 16:
            raise ValueError(f"max_width {self.max_width} is too small (16 or more)")
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf {self.crf} is outside x264's 0–51")


def proxy_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    """Fit inside ``max_width``, aspect kept, both sides even (4:2:0 chroma)."""
    scale = min(1.0, max_width / width)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class Proxy(Agent):
    name = "proxy"
    version = "2"  # 2: chroma subsampled from the area-averaged picture, rounded once
    description = "all-intra H.264 review proxy (every frame a key frame) for frame-exact seeking"
    Params = ProxyParams
    cost = Cost("megapixel_frame", 0.01)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        video = inputs[0]
        width, height = proxy_size(int(video["width"]), int(video["height"]), params.max_width)
        return video_meta(
            "proxy.mp4",
            int(video["frames"]),
            width,
            height,
            str(video["frame_rate"]),
            preset="h264",
            all_intra=True,
        )

    def work(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> Work:
        video = inputs[0]
        width, height = proxy_size(int(video["width"]), int(video["height"]), params.max_width)
        count = int(video["frames"])
        return Work(frames=count, megapixels=count * width * height / 1e6)

    def run(self, ctx: NodeContext) -> Output:
        video = ctx.inputs[0]
        if video.meta.get("kind") != "video":
            raise AgentError(
                f"a proxy needs a video, not {video.meta.get('kind')!r}",
                hint="review proxies are made from video masters (EXR plates have none)",
            )
        meta = self.describe_output([video.meta], ctx.params)
        width, height = int(meta["width"]), int(meta["height"])
        total = int(video.meta["frames"])
        options = {**ALL_INTRA, "crf": str(ctx.params.crf)}
        writer, file = open_writer(
            ctx.out_dir, "proxy", video.meta, width, height, preset="h264", extra_options=options
        )
        written = 0
        with writer:
            for frame in frames(video):
                rgb = frame.rgb
                if rgb.shape[:2] != (height, width):
                    rgb = np.asarray(
                        cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA), np.float32
                    )
                writer.write(rgb)
                written += 1
                ctx.progress(written, total)
        return Output({**meta, "file": file, "frames": written})
