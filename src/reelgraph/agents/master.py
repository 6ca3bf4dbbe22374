"""Master: encode the finished picture (and sound) to the delivery spec's format.

For video presets the frames are fitted to the spec's size (Lanczos, aspect kept, padded
with black when the aspect differs) and encoded with the preset's fixed settings; sound is
muxed in. For ``exr`` (vfx-plates) every frame becomes a scene-linear half-float OpenEXR file
(BT.709 OETF inverted, chromaticities in the header).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from reelgraph.agents._io import frames, open_writer, video_meta
from reelgraph.errors import AgentError
from reelgraph.media.audio import read_audio
from reelgraph.media.exr import write_exr
from reelgraph.media.video import PRESETS
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output


@dataclass(frozen=True)
class MasterParams:
    """Attributes:
    preset: video preset of the delivery spec (``h264``, ``prores``, ``hevc-hdr10``,
        ``ffv1``…) or ``exr`` for per-frame OpenEXR plates.
    width: master width in pixels (0 keeps the picture's width).
    height: master height in pixels (0 keeps the picture's height).
    name: file name (without extension) of the deliverable.
    """

    preset: str = "h264"
    width: int = 0
    height: int = 0
    name: str = "master"

    def __post_init__(self) -> None:
        if self.preset != "exr" and self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; valid: exr, {', '.join(PRESETS)}")
        if self.width < 0 or self.height < 0 or (self.width == 0) != (self.height == 0):
            raise ValueError("width and height must both be positive, or both 0 (keep)")


def fit(rgb: npt.NDArray[np.float32], width: int, height: int) -> npt.NDArray[np.float32]:
    """Scale to fit inside width×height keeping the aspect ratio; pad the rest with black."""
    h, w = rgb.shape[:2]
    if (w, h) == (width, height):
        return rgb
    scale = min(width / w, height / h)
    new_w, new_h = max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2)
    scaled = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_LANCZOS4)
    out = np.zeros((height, width, 3), np.float32)
    y, x = (height - new_h) // 2, (width - new_w) // 2
    out[y : y + new_h, x : x + new_w] = np.clip(scaled, 0.0, 1.0)
    return out


def bt709_to_linear(rgb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Inverse of the BT.709 OETF (ITU-R BT.709-6 item 1.2) to scene-linear light."""
    import colour

    return np.asarray(colour.models.oetf_inverse_BT709(rgb), np.float32)


# Transfers and primaries that encode the same kind of picture (SDR gamma, Rec.709-like
# gamut); a master may carry any of a family, but never turns one family into another.
_TRANSFER_FAMILY = {"smpte2084": "pq", "arib-std-b67": "hlg", "linear": "linear"}
_WIDE_GAMUT = {"bt2020", "smpte432"}


def _family(transfer: str, primaries: str) -> tuple[str, str]:
    return (_TRANSFER_FAMILY.get(transfer, "sdr"), "wide" if primaries in _WIDE_GAMUT else "709")


class Master(Agent):
    name = "master"
    version = "1"
    description = "encode picture and sound to the delivery spec's master format"
    Params = MasterParams
    cost = Cost("megapixel_frame", 0.08)

    def _size(self, meta: Any, params: Any) -> tuple[int, int]:
        return (params.width or int(meta["width"]), params.height or int(meta["height"]))

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        video = inputs[0]
        width, height = self._size(video, params)
        if params.preset == "exr":
            return {
                "kind": "plates",
                "file": f"{params.name}.0000.exr",
                "frames": video["frames"],
                "width": width,
                "height": height,
                "frame_rate": video["frame_rate"],
            }
        return video_meta(
            f"{params.name}{PRESETS[params.preset].extension}",
            video["frames"],
            width,
            height,
            video["frame_rate"],
            preset=params.preset,
        )

    def work(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> Any:
        from reelgraph.orchestrator.agent import Work

        video = inputs[0]
        width, height = self._size(video, params)
        count = int(video["frames"])
        return Work(frames=count, megapixels=count * width * height / 1e6)

    def run(self, ctx: NodeContext) -> Output:
        p, video = ctx.params, ctx.inputs[0]
        width, height = self._size(video.meta, p)
        total = int(video.meta["frames"])
        meta = self.describe_output([video.meta], p)
        if p.preset == "exr":
            files = []
            for frame in frames(video):
                name = f"{p.name}.{frame.index:04d}.exr"
                write_exr(ctx.out_dir / name, bt709_to_linear(fit(frame.rgb, width, height)))
                files.append(name)
                ctx.progress(frame.index + 1, total)
            return Output({**meta, "files": files})
        want = PRESETS[p.preset].tag
        have = video.meta.get("colour", {})
        if _family(have.get("transfer", "bt709"), have.get("primaries", "bt709")) != _family(
            want.transfer, want.primaries
        ):
            raise AgentError(
                f"picture is {have.get('primaries')}/{have.get('transfer')} but {p.preset} "
                f"masters are {want.primaries}/{want.transfer}",
                hint="plan a conversion step first (SDR→HDR for HDR deliveries); reelgraph "
                "does not re-tag pictures without converting them",
            )
        audio = ctx.inputs[1] if len(ctx.inputs) > 1 else None
        track = read_audio(audio.file()) if audio else None
        writer, file = open_writer(
            ctx.out_dir,
            p.name,
            video.meta,
            width,
            height,
            preset=p.preset,
            audio=(track.rate, track.layout) if track else None,
        )
        with writer:
            for frame in frames(video):
                writer.write(fit(frame.rgb, width, height))
                ctx.progress(frame.index + 1, total)
            if track is not None:
                writer.write_audio(track.samples, track.rate)
        return Output({**meta, "file": file, "has_audio": track is not None})
