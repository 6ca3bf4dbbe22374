"""Throughput of the full frame-level video QC set against FFmpeg on the same 1080p clip.

Run on demand: ``python benchmarks/qc.py [--seconds 10] [--repeats 3]
[--banding-interval 0.2]``.

Makes a 1080p25 H.264 clip (a real photograph panned a few pixels per frame) in a
temporary folder, then times, in this one process run:

* reelgraph: PyAV decode (inside the timing) to 8-bit ``R′G′B′`` converted to float32 in
  [0, 1] (the frame contract) plus the decoded ``Y′C′bC′r`` planes, through
  :class:`reelgraph.algorithms.qc.VideoQC` with every check (black, freeze, flash, red
  flash, flicker with motion compensation, legal range, banding, letterbox);
* FFmpeg (the binary from ``imageio_ffmpeg``): ``-vf signalstats,blackdetect,freezedetect
  -f null -``.

The two are run alternately ``--repeats`` times and the best run of each is compared (on
a shared machine the best run is the one least disturbed by other load); the median ratio
is printed too. Then the peak resident memory of a child process analysing a 5 s and a
10 s clip (flat in clip length when streaming works).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import imageio_ffmpeg
import numpy as np
from skimage import data

from reelgraph.algorithms.qc import VideoQC, VideoQCConfig, YCbCrPlanes

WIDTH, HEIGHT, FPS = 1920, 1080, 25


def make_clip(path: Path, seconds: float) -> None:
    """A panned photograph, H.264 yuv420p BT.709, ``seconds`` long at 25 fps."""
    photo = cv2.resize(data.astronaut(), (3840, 2160), interpolation=cv2.INTER_CUBIC)
    frames = round(seconds * FPS)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for index in range(frames):
            x = 6 * index % (photo.shape[1] - WIDTH)
            rgb = np.ascontiguousarray(photo[540 : 540 + HEIGHT, x : x + WIDTH])
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def run_reelgraph(path: Path, banding_interval: float) -> tuple[int, float, int]:
    """Decode and QC the clip; returns frames, seconds, number of findings."""
    config = VideoQCConfig(banding_interval=banding_interval)
    start = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        qc = VideoQC(float(stream.average_rate or FPS), config)
        for frame in container.decode(stream):
            planes = frame.to_ndarray()  # yuv420p: Y then U then V rows
            height, width = frame.height, frame.width
            y = planes[:height]
            chroma = planes[height:].reshape(2, height // 2, width // 2)
            rgb = frame.to_ndarray(format="rgb24")
            qc.push(
                np.multiply(rgb, np.float32(1.0 / 255.0), dtype=np.float32),
                YCbCrPlanes(y, chroma[0], chroma[1], bit_depth=8),
            )
        report = qc.finish()
    seconds = time.perf_counter() - start
    return report.frames, seconds, len(report.findings)


def run_ffmpeg(path: Path) -> tuple[int, float]:
    """FFmpeg's signalstats + blackdetect + freezedetect over the clip."""
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path),
        "-vf", "signalstats,blackdetect,freezedetect", "-f", "null", "-",
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    return frames, seconds


def peak_rss_child(path: Path, banding_interval: float) -> float:
    """Peak RSS (MiB) of a fresh process that analyses ``path``."""
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(path),
            "--banding-interval",
            str(banding_interval),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(output.strip().splitlines()[-1])["peak_rss_mib"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--banding-interval", type=float, default=0.2)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        frames, seconds, _ = run_reelgraph(args.child, args.banding_interval)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(json.dumps({"frames": frames, "seconds": seconds, "peak_rss_mib": peak}))
        return

    with tempfile.TemporaryDirectory() as folder:
        long_clip = Path(folder) / "pan_10s.mp4"
        short_clip = Path(folder) / "pan_5s.mp4"
        make_clip(long_clip, args.seconds)
        make_clip(short_clip, args.seconds / 2)
        run_ffmpeg(short_clip)  # warm the page cache and the binary

        ff_runs, rg_runs = [], []
        for _ in range(args.repeats):
            ff_frames, ff_seconds = run_ffmpeg(long_clip)
            rg_frames, rg_seconds, findings = run_reelgraph(long_clip, args.banding_interval)
            ff_runs.append(ff_frames / ff_seconds)
            rg_runs.append(rg_frames / rg_seconds)
        ff_fps, rg_fps = max(ff_runs), max(rg_runs)
        ratios = sorted(rg / ff for rg, ff in zip(rg_runs, ff_runs, strict=True))
        print(f"clip: {WIDTH}x{HEIGHT} {FPS} fps H.264, {rg_frames} frames (panned photograph)")
        print(
            f"ffmpeg signalstats,blackdetect,freezedetect: {ff_fps:7.1f} fps (best of "
            f"{args.repeats}: {', '.join(f'{v:.1f}' for v in ff_runs)})"
        )
        print(
            f"reelgraph VideoQC (8 checks, PyAV decode, banding every "
            f"{args.banding_interval:g} s): {rg_fps:7.1f} fps (best of {args.repeats}: "
            f"{', '.join(f'{v:.1f}' for v in rg_runs)}), {findings} findings"
        )
        print(
            f"ratio reelgraph / ffmpeg: {rg_fps / ff_fps:.2f} best-to-best, "
            f"{ratios[len(ratios) // 2]:.2f} median of paired runs"
        )
        for clip in (short_clip, long_clip):
            rss = peak_rss_child(clip, args.banding_interval)
            print(f"peak RSS analysing {clip.name}: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
