"""Master: encode the finished picture (and sound) to the delivery spec's format.

For video presets the frames are fitted to the spec's size (Lanczos, aspect kept, padded
with black when the aspect differs) and encoded with the preset's fixed settings; sound is
muxed in. For ``exr`` (vfx-plates) every frame becomes a linear-light half- or full-float
OpenEXR file (chromaticities in the header): SDR pictures by inverting the BT.709 OETF
(scene-linear, 1.0 = white), PQ/HLG pictures by their EOTF divided by the HDR reference
white (display-linear, 1.0 = 203 cd/m² diffuse white, highlights above 1.0 kept). HEVC HDR10
masters carry SMPTE ST 2086 mastering-display and CTA-861.3 MaxCLL/MaxFALL metadata when the
picture's description has them (``sdr_to_hdr`` measures them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reelgraph.agents._io import INTERMEDIATE, content_tag, frames, open_writer, video_meta
from reelgraph.algorithms.colour.standards import HDR_NOMINAL_PEAK
from reelgraph.algorithms.restore.transfer_bt2100 import exr_linear_light
from reelgraph.algorithms.restore.upscale_lanczos_duchon1979 import (
    fit_lanczos_duchon1979 as fit,
)
from reelgraph.errors import AgentError
from reelgraph.media.audio import read_audio
from reelgraph.media.exr import write_exr
from reelgraph.media.prefetch import read_ahead
from reelgraph.media.video import PRESETS, hdr10_params
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output


@dataclass(frozen=True)
class MasterParams:
    """Attributes:
    preset: video preset of the delivery spec (``h264``, ``prores``, ``hevc-hdr10``,
        ``ffv1``…) or ``exr`` for per-frame OpenEXR plates.
    width: master width in pixels (0 keeps the picture's width).
    height: master height in pixels (0 keeps the picture's height).
    name: file name (without extension) of the deliverable.
    exr_pixel_type: ``half`` or ``float`` samples for ``exr`` plates.
    """

    preset: str = "h264"
    width: int = 0
    height: int = 0
    name: str = "master"
    exr_pixel_type: str = "half"

    def __post_init__(self) -> None:
        if self.preset != "exr" and self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; valid: exr, {', '.join(PRESETS)}")
        if self.width < 0 or self.height < 0 or (self.width == 0) != (self.height == 0):
            raise ValueError("width and height must both be positive, or both 0 (keep)")
        if self.exr_pixel_type not in ("half", "float"):
            raise ValueError(f"exr_pixel_type {self.exr_pixel_type!r}; valid: half, float")


# Transfers and primaries that encode the same kind of picture (SDR gamma, Rec.709-like
# gamut); a master may carry any of a family, but never turns one family into another.
_TRANSFER_FAMILY = {"smpte2084": "pq", "arib-std-b67": "hlg", "linear": "linear"}
_WIDE_GAMUT = {"bt2020", "smpte432"}


def _family(transfer: str, primaries: str) -> tuple[str, str]:
    return (_TRANSFER_FAMILY.get(transfer, "sdr"), "wide" if primaries in _WIDE_GAMUT else "709")


class Master(Agent):
    name = "master"
    version = "3"  # 3: chroma subsampled from the area-averaged picture, rounded once
    description = "encode picture and sound to the delivery spec's master format"
    Params = MasterParams
    # x264 medium at 1080p (30 ms a megapixel-frame with the conversion) and x265 fast at
    # 2160p (54) either side: calibration learns the machine's mix.
    cost = Cost("megapixel_frame", 0.04)

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
            content=content_tag(video) if params.preset == INTERMEDIATE else None,
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
        have = video.meta.get("colour", {})
        if p.preset == "exr":
            transfer = str(have.get("transfer", "bt709"))
            primaries = str(have.get("primaries", "bt709"))
            peak = float(video.meta.get("peak_luminance", HDR_NOMINAL_PEAK))
            files = []
            for frame in frames(video):
                name = f"{p.name}.{frame.index:04d}.exr"
                linear = exr_linear_light(fit(frame.rgb, width, height), transfer, peak)
                write_exr(
                    ctx.out_dir / name, linear, pixel_type=p.exr_pixel_type, primaries=primaries
                )
                files.append(name)
                ctx.progress(frame.index + 1, total)
            return Output(
                {**meta, "files": files, "primaries": primaries, "pixel_type": p.exr_pixel_type}
            )
        want = PRESETS[p.preset].tag
        # The lossless intermediate carries the picture's own primaries and transfer.
        if p.preset != INTERMEDIATE and _family(
            have.get("transfer", "bt709"), have.get("primaries", "bt709")
        ) != _family(want.transfer, want.primaries):
            raise AgentError(
                f"picture is {have.get('primaries')}/{have.get('transfer')} but {p.preset} "
                f"masters are {want.primaries}/{want.transfer}",
                hint="plan a conversion step first (SDR→HDR for HDR deliveries); reelgraph "
                "does not re-tag pictures without converting them",
            )
        audio = ctx.inputs[1] if len(ctx.inputs) > 1 else None
        track = read_audio(audio.file()) if audio else None
        extra: dict[str, Any] = {}
        hdr10: dict[str, Any] | None = None
        if p.preset == "hevc-hdr10" and "max_cll" in video.meta:
            max_cll, max_fall = int(video.meta["max_cll"]), int(video.meta["max_fall"])
            peak = float(video.meta.get("peak_luminance", HDR_NOMINAL_PEAK))
            hdr10 = {"max_cll": max_cll, "max_fall": max_fall, "peak_luminance": peak}
            extra["extra_options"] = {"x265-params": hdr10_params(max_cll, max_fall, peak)}
        writer, file = open_writer(
            ctx.out_dir,
            p.name,
            video.meta,
            width,
            height,
            preset=p.preset,
            audio=(track.rate, track.layout) if track else None,
            **extra,
        )
        # Decoding, fitting and conversion to the coded format (GIL released) run ahead in
        # a thread while the encoder works.
        coded = (
            (frame.index, writer.frame(fit(frame.rgb, width, height))) for frame in frames(video)
        )
        with writer:
            for index, ready in read_ahead(coded):
                writer.write_frame(ready)
                ctx.progress(index + 1, total)
            if track is not None:
                writer.write_audio(track.samples, track.rate)
        return Output({**meta, "file": file, "has_audio": track is not None, "hdr10": hdr10})
