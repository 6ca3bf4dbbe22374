"""Peak memory of a pass-through agent over a 30 s and a 120 s 1080p clip, and a 2160p one.

Streaming means peak RSS must not grow with clip length. Each measurement runs in a fresh
process (so the peak is that run's alone): the pass-through decodes every frame to float
R'G'B' and encodes it again (H.264 ultrafast); as the peer, FFmpeg does the same job on
the same clips in the same run.

    python benchmarks/memory.py [--seconds 30 120] [--uhd-seconds 5]

The 2160p clip checks the other limit: peak RSS under 1.5 GB for UHD pictures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
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


src, out = Path(sys.argv[1]), Path(sys.argv[2])
meta = source_meta(probe(src))
start = time.perf_counter()
PassThrough().run(NodeContext("bench", [Input("k", src, meta)], None, {}, out, 0))
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - start, "frames": meta["frames"]}))
"""


def make_clip(path: Path, seconds: int, width: int = 1920, height: int = 1080) -> None:
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
    ) as writer:
        for i in range(seconds * 24):
            writer.write(np.roll(base, i * 8, axis=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, nargs="+", default=[30, 120])
    parser.add_argument("--uhd-seconds", type=int, default=5, help="2160p clip (0: skip)")
    args = parser.parse_args()
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    results = {}
    uhd: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(f"{seconds} s 1080p", seconds, 1920, 1080) for seconds in args.seconds]
        if args.uhd_seconds:
            runs.append((f"{args.uhd_seconds} s 2160p", args.uhd_seconds, 3840, 2160))
        for label, seconds, width, height in runs:
            clip = Path(tmp) / f"clip{seconds}x{height}.mp4"
            make_clip(clip, seconds, width, height)
            out = Path(tmp) / f"out{seconds}x{height}"
            out.mkdir()
            ours = json.loads(
                subprocess.run(
                    [sys.executable, "-c", CHILD, str(clip), str(out)],
                    capture_output=True, text=True, check=True,
                ).stdout
            )  # fmt: skip
            peer = [ffmpeg, "-v", "error", "-i", str(clip), "-c:v", "libx264",
                    "-preset", "ultrafast", "-y", str(out / "peer.mp4")]  # fmt: skip
            started = time.perf_counter()
            process = subprocess.Popen(peer)
            _, status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS
            process.returncode = os.waitstatus_to_exitcode(status)
            peer_s = time.perf_counter() - started
            peer_rss = usage.ru_maxrss / 1024
            if height == 1080:
                results[seconds] = {**ours, "peer_rss_mb": peer_rss}
            else:
                uhd = {**ours, "peer_rss_mb": peer_rss}
            print(
                f"{label} clip: reelgraph peak RSS {ours['peak_rss_mb']:.0f} MB, "
                f"{ours['frames'] / ours['seconds']:.1f} fps; FFmpeg peak RSS {peer_rss:.0f} MB, "
                f"{ours['frames'] / peer_s:.1f} fps"
            )
    lengths = sorted(results)
    if len(lengths) > 1:
        ratio = results[lengths[-1]]["peak_rss_mb"] / results[lengths[0]]["peak_rss_mb"]
        peer = results[lengths[-1]]["peer_rss_mb"] / results[lengths[0]]["peer_rss_mb"]
        print(
            f"peak RSS ratio {lengths[-1]} s / {lengths[0]} s: reelgraph {ratio:.3f}, "
            f"FFmpeg {peer:.3f} (flat is ~1.0)"
        )
    if uhd:
        print(
            f"2160p peak RSS: reelgraph {uhd['peak_rss_mb']:.0f} MB (limit 1536 MB), "
            f"FFmpeg {uhd['peer_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
