"""Peak memory of a pass-through agent over a 30 s and a 120 s 1080p clip, and a 2160p one;
and of the HDR10 master (the streaming-hdr deliverable) at 2160p.

Streaming means peak RSS must not grow with clip length. Each measurement runs in a fresh
process (so the peak is that run's alone): the pass-through decodes every frame to float
R'G'B' and encodes it again (H.264 ultrafast); the HDR10 run is the ``master`` agent itself
encoding a BT.2100 PQ picture with the ``hevc-hdr10`` preset (x265), whose lookahead and
reference frames are most of a UHD master's memory. As the peer, FFmpeg does the same jobs
(libx264 ultrafast; libx265 with the preset's own parameters) on the same clips in the same
run.

    python benchmarks/memory.py [--seconds 30 120] [--uhd-seconds 5]

The 2160p clips check the other limit: peak RSS under 1.5 GB for UHD pictures. CPU seconds
(user + system) are printed beside each peak, for a shared machine where walls drift.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from _peak import measured

CHILD = r"""
import json, sys, time
from pathlib import Path
from reelgraph.agents._io import frames, open_writer
from reelgraph.ingest.sources import source_meta
from reelgraph.media.probe import probe
from reelgraph.orchestrator.agent import Agent, Cost, Input, NodeContext, Output


class PassThrough(Agent):
    # Decode every frame to float R'G'B' and encode it again: the streaming path every
    # picture agent uses, with no processing of its own.
    name, version, cost = "pass_through", "1", Cost("megapixel_frame", 0.01)

    def run(self, ctx):
        source = ctx.inputs[0]
        meta = dict(source.meta)
        writer, file = open_writer(ctx.out_dir, "video", meta, meta["width"], meta["height"],
                                   preset="h264", extra_options={"preset": "ultrafast"})
        with writer:
            for frame in frames(source):
                writer.write(frame.rgb)
        return Output({**meta, "file": file})


src, out, job = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
meta = source_meta(probe(src))
start = time.perf_counter()
if job == "hdr10-master":
    from reelgraph.agents.master import Master
    params = Master.Params(preset="hevc-hdr10", width=meta["width"], height=meta["height"])
    Master().run(NodeContext("bench", [Input("k", src, meta)], params, {}, out, 0))
else:
    PassThrough().run(NodeContext("bench", [Input("k", src, meta)], None, {}, out, 0))
print(json.dumps({"seconds": time.perf_counter() - start, "frames": meta["frames"]}))
"""


def make_clip(
    path: Path, seconds: int, width: int = 1920, height: int = 1080, *, hdr: bool = False
) -> None:
    """A moving noise picture (H.264); ``hdr`` tags it BT.2020 PQ, as an SDR→HDR step's
    picture is, so the HDR10 master takes it."""
    from reelgraph.media.colour import BT2020_PQ
    from reelgraph.media.video import VideoWriter

    rng = np.random.default_rng(0)
    base = rng.uniform(0.1, 0.9, (height, width, 3)).astype(np.float32)
    with VideoWriter(
        path,
        width=width,
        height=height,
        frame_rate=Fraction(24),
        preset="h264",
        extra_options={"preset": "ultrafast", "crf": "30"},
        content=BT2020_PQ if hdr else None,
    ) as writer:
        for i in range(seconds * 24):
            writer.write(np.roll(base, i * 8, axis=1))


def peer_command(ffmpeg: str, clip: Path, out: Path, job: str) -> list[str]:
    """FFmpeg doing the child's job: libx264 ultrafast, or libx265 with the HDR10 preset's
    own settings (reelgraph's table, so the two encoders are configured alike)."""
    head = [ffmpeg, "-v", "error", "-i", str(clip)]
    if job != "hdr10-master":
        return [*head, "-c:v", "libx264", "-preset", "ultrafast", "-y", str(out / "peer.mp4")]
    from reelgraph.media.video import PRESETS

    preset = PRESETS["hevc-hdr10"]
    pairs = [item for key, value in preset.options.items() for item in (f"-{key}", value)]
    return [*head, "-c:v", "libx265", *pairs, "-pix_fmt", preset.pix_fmt,
            "-y", str(out / "peer.mp4")]  # fmt: skip


def measure(ffmpeg: str, clip: Path, out: Path, job: str) -> dict[str, float]:
    """Our child's and FFmpeg's peak RSS and CPU seconds, each in its own fresh process."""
    usage, stdout = measured([sys.executable, "-c", CHILD, str(clip), str(out), job])
    ours = json.loads(stdout)  # the agent's own time, without Python's start-up
    peer, _ = measured(peer_command(ffmpeg, clip, out, job))
    return {
        **ours,
        "peak_rss_mb": usage["peak_rss_mb"],
        "cpu_s": usage["cpu_s"],
        "peer_seconds": peer["seconds"],
        "peer_rss_mb": peer["peak_rss_mb"],
        "peer_cpu_s": peer["cpu_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, nargs="+", default=[30, 120])
    parser.add_argument("--uhd-seconds", type=int, default=5, help="2160p clips (0: skip)")
    args = parser.parse_args()
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    results: dict[int, dict[str, float]] = {}
    uhd: dict[str, dict[str, float]] = {}
    runs = [(f"{s} s 1080p pass-through", s, 1920, 1080, "pass") for s in args.seconds]
    if args.uhd_seconds:
        runs += [
            (f"{args.uhd_seconds} s 2160p pass-through", args.uhd_seconds, 3840, 2160, "pass"),
            (f"{args.uhd_seconds} s 2160p HDR10 master", args.uhd_seconds, 3840, 2160,
             "hdr10-master"),
        ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for label, seconds, width, height, job in runs:
            clip = Path(tmp) / f"clip{seconds}x{height}{job}.mp4"
            make_clip(clip, seconds, width, height, hdr=job == "hdr10-master")
            out = Path(tmp) / f"out{seconds}x{height}{job}"
            out.mkdir()
            got = measure(ffmpeg, clip, out, job)
            if height == 1080:
                results[seconds] = got
            else:
                uhd[label] = got
            frames = got["frames"]
            print(
                f"{label}: reelgraph peak RSS {got['peak_rss_mb']:.0f} MB, "
                f"{frames / got['seconds']:.1f} fps, "
                f"{1000 * got['cpu_s'] / frames:.0f} CPU-ms/frame; "
                f"FFmpeg peak RSS {got['peer_rss_mb']:.0f} MB, {frames / got['peer_seconds']:.1f} "
                f"fps, {1000 * got['peer_cpu_s'] / frames:.0f} CPU-ms/frame"
            )
    lengths = sorted(results)
    if len(lengths) > 1:
        ratio = results[lengths[-1]]["peak_rss_mb"] / results[lengths[0]]["peak_rss_mb"]
        peer = results[lengths[-1]]["peer_rss_mb"] / results[lengths[0]]["peer_rss_mb"]
        print(
            f"peak RSS ratio {lengths[-1]} s / {lengths[0]} s: reelgraph {ratio:.3f}, "
            f"FFmpeg {peer:.3f} (flat is ~1.0)"
        )
    for label, got in uhd.items():
        print(
            f"{label} peak RSS: reelgraph {got['peak_rss_mb']:.0f} MB (limit 1536 MB), "
            f"FFmpeg {got['peer_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
