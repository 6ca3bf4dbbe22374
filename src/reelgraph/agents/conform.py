"""Conform: cut a shot's frame range out of its source into the working format.

Video becomes a view (:mod:`reelgraph.agents._io`) of the shot's frames of the source:
readers decode the source and apply its own matrix and range as they stream it, so the
cut costs no lossless round trip; the source's bytes are linked into the artifact, so the
cut stays valid whatever happens to the footage folder. Audio becomes 24-bit PCM of the
same time range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from reelgraph.agents._io import VIEW_FILE, content_tag, video_meta, view_over, write_view
from reelgraph.errors import MediaError
from reelgraph.media.audio import read_audio, write_audio
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output, Work


@dataclass(frozen=True)
class ShotFramesParams:
    """The shot's frame range in its source, for its picture and its sound alike (sound is
    cut at the same times).

    Attributes:
    first: first frame of the shot in the source (0-based).
    last: last frame (inclusive).
    """

    first: int = 0
    last: int = 0


class Conform(Agent):
    name = "conform"
    version = "2"
    description = "cut the shot's frames out of the source (a view: no intermediate written)"
    Params = ShotFramesParams
    # A view: nothing decoded. The link and view.json, then the store hashing the linked
    # camera file (SHA-256, ~0.5 ms a megabyte: a few ms for a short take).
    cost = Cost("node", 0.005, overhead_cpu_s=0.0)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        source = inputs[0]
        return video_meta(
            VIEW_FILE,
            params.last - params.first + 1,
            source["width"],
            source["height"],
            source["frame_rate"],
            content=content_tag(source),
            view=True,
        )

    def work(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> Work:
        source = inputs[0]
        count = params.last - params.first + 1
        return Work(frames=count, megapixels=count * source["width"] * source["height"] / 1e6)

    def calibration_job(self, synthetic: Any) -> tuple[list[Any], Any]:
        source = synthetic["source"]
        return [source], ShotFramesParams(0, int(source.meta["frames"]) - 1)

    def run(self, ctx: NodeContext) -> Output:
        p, source = ctx.params, ctx.inputs[0]
        total = p.last - p.first + 1
        available = int(source.meta.get("frames", 0))
        if p.first < 0 or p.last < p.first or p.last >= available:
            raise MediaError(
                f"source has {available} frames; the shot asks for [{p.first}, {p.last}]",
                hint="the source is shorter than the shot; fix the shot's frames in brief.yaml",
            )
        meta = self.describe_output([source.meta], p)
        view = view_over(source, ctx.out_dir, start=p.first, stop=p.last + 1)
        write_view(ctx.out_dir, view)
        ctx.progress(total, total)
        meta["source_colour"] = source.meta.get("colour")
        return Output(meta)


class ExtractAudio(Agent):
    name = "extract_audio"
    version = "1"
    description = "cut the shot's sound into 24-bit PCM WAV"
    Params = ShotFramesParams
    cost = Cost("audio_second", 0.002, overhead_cpu_s=0.05)

    def _span(self, meta: Any, params: Any) -> tuple[float, float]:
        rate = Fraction(str(meta.get("frame_rate", "24/1")))
        return float(params.first / rate), float((params.last + 1) / rate)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        start, end = self._span(inputs[0], params)
        return {
            "kind": "audio",
            "file": "audio.wav",
            "rate": inputs[0].get("audio_rate", 48000),
            "channels": inputs[0].get("audio_channels", 2),
            "duration_s": end - start,
        }

    def work(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> Work:
        """The source's whole sound, not the shot's span: that is what is decoded (the cut
        is taken from the decoded track), so a 5 s shot of a 10 min take costs 10 min."""
        start, end = self._span(inputs[0], params)
        return Work(audio_s=max(float(inputs[0].get("duration_s") or 0.0), end - start))

    def calibration_job(self, synthetic: Any) -> tuple[list[Any], Any]:
        source = synthetic["source"]
        return [source], ShotFramesParams(0, int(source.meta["frames"]) - 1)

    def run(self, ctx: NodeContext) -> Output:
        source = ctx.inputs[0]
        track = read_audio(source.file())
        start, end = self._span(source.meta, ctx.params)
        a, b = round(start * track.rate), round(end * track.rate)
        samples = track.samples[a:b]
        if samples.shape[0] < b - a:  # pad a short track with silence to the picture's length
            pad = np.zeros((b - a - samples.shape[0], track.channels), np.float32)
            samples = np.concatenate([samples, pad])
        write_audio(ctx.out_dir / "audio.wav", samples, track.rate, layout=track.layout)
        ctx.progress(1, 1)
        return Output(
            {
                "kind": "audio",
                "file": "audio.wav",
                "rate": track.rate,
                "channels": track.channels,
                "layout": track.layout,
                "duration_s": samples.shape[0] / track.rate,
            }
        )
