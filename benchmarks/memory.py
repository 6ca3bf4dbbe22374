"""Peak memory of a pass-through agent over a 30 s and a 120 s 1080p clip.

Streaming means peak RSS must not grow with clip length. Each measurement runs in a fresh
process (so the peak is that run's alone) and, as the peer, FFmpeg decodes and re-encodes
the same clips in the same run.

    python benchmarks/memory.py [--seconds 30 120]
"""

from __future__ import annotations

import argparse
import json
import resource
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
from reelgraph.orchestrator.agent import Input, NodeContext
from reelgraph.agents.grade import Grade, GradeParams
from reelgraph.ingest import source_meta
from reelgraph.media.probe import probe
src, out = Path(sys.argv[1]), Path(sys.argv[2])
meta = source_meta(probe(src))
meta.update(file=src.name)
start = time.perf_counter()
# grade with strength 0 is a pass-through: decode, identity CDL, lossless 16-bit encode.
Grade().run(NodeContext("bench", [Input("k", src.parent, meta)], GradeParams(0.0), {}, out, 0))
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - start, "frames": meta["frames"]}))
"""


def make_clip(path: Path, seconds: int) -> None:
    from reelgraph.media.video import VideoWriter

    rng = np.random.default_rng(0)
    base = rng.uniform(0.1, 0.9, (1080, 1920, 3)).astype(np.float32)
    with VideoWriter(
        path,
        width=1920,
        height=1080,
        frame_rate=Fraction(24),
        preset="h264",
        extra_options={"preset": "ultrafast", "crf": "30"},
    ) as writer:
        for i in range(seconds * 24):
            writer.write(np.roll(base, i * 8, axis=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, nargs="+", default=[30, 120])
    args = parser.parse_args()
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in args.seconds:
            clip = Path(tmp) / f"clip{seconds}.mp4"
            make_clip(clip, seconds)
            out = Path(tmp) / f"out{seconds}"
            out.mkdir()
            child = subprocess.run(
                [sys.executable, "-c", CHILD, str(clip), str(out)],
                capture_output=True,
                text=True,
                check=True,
            )
            ours = json.loads(child.stdout)
            started = time.perf_counter()
            subprocess.run(
                [
                    ffmpeg,
                    "-v",
                    "error",
                    "-i",
                    str(clip),
                    "-c:v",
                    "ffv1",
                    "-pix_fmt",
                    "gbrp16le",
                    "-y",
                    str(out / "peer.mkv"),
                ],
                check=True,
            )
            peer_s = time.perf_counter() - started
            peer_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            results[seconds] = ours
            print(
                f"{seconds:>4} s clip: reelgraph peak RSS {ours['peak_rss_mb']:.0f} MB, "
                f"{ours['frames'] / ours['seconds']:.1f} fps; FFmpeg {peer_s:.1f} s "
                f"(peak RSS of children so far {peer_rss:.0f} MB)"
            )
    lengths = sorted(results)
    ratio = results[lengths[-1]]["peak_rss_mb"] / results[lengths[0]]["peak_rss_mb"]
    print(f"peak RSS ratio {lengths[-1]} s / {lengths[0]} s: {ratio:.3f} (flat is ~1.0)")


if __name__ == "__main__":
    main()
