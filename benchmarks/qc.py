"""Throughput of the full frame-level video QC set against FFmpeg on the same 1080p clip.

Run on demand: ``python benchmarks/qc.py [--seconds 10] [--repeats 3] [--uhd]``.

Makes a 1080p25 (``--uhd``: 2160p25) H.264 clip (a real photograph panned a few pixels per
frame) in a temporary folder, then times, in this one process run:

* reelgraph: :func:`reelgraph.qc.check_file` against the ``web-sdr`` profile, as
  ``reelgraph qc`` runs it (the format check skipped: the clip is not a delivery): decoding
  inside the timing, luma read from the coded plane, every video check (black, freeze,
  flash, red flash, flicker with motion compensation, legal range, banding, letterbox);
* FFmpeg (the binary from ``imageio_ffmpeg``): ``-vf signalstats,blackdetect,freezedetect
  -f null -``.

The two are run alternately ``--repeats`` times and the best run of each is compared (on
a shared machine the best run is the one least disturbed by other load); the median ratio
is printed too. Then the peak resident memory of a child process analysing a 5 s and a
10 s clip (flat in clip length when streaming works).
"""

from __future__ import annotations

import argparse
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

from _peak import measured
from reelgraph.qc import check_file

FPS = 25


def make_clip(path: Path, seconds: float, width: int, height: int) -> None:
    """A panned photograph, H.264 yuv420p BT.709, ``seconds`` long at 25 fps."""
    photo = cv2.resize(data.astronaut(), (2 * width, 2 * height), interpolation=cv2.INTER_CUBIC)
    frames = round(seconds * FPS)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for index in range(frames):
            x = 6 * index % (photo.shape[1] - width)
            rgb = np.ascontiguousarray(photo[height // 2 : height // 2 + height, x : x + width])
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def run_reelgraph(path: Path) -> tuple[int, float, int]:
    """QC the clip as ``reelgraph qc`` does; returns frames, seconds, number of findings."""
    start = time.perf_counter()
    result = check_file(path, "web-sdr", skip=("spec",), stamp=False)
    seconds = time.perf_counter() - start
    return result.frames_analysed, seconds, len(result.findings)


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


def peak_rss_child(path: Path) -> float:
    """Peak RSS (MiB) of a fresh process that analyses ``path``."""
    usage, _ = measured([sys.executable, __file__, "--child", str(path)])
    return usage["peak_rss_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--uhd", action="store_true", help="3840x2160 instead of 1920x1080")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_reelgraph(args.child)
        return

    with tempfile.TemporaryDirectory() as folder:
        long_clip = Path(folder) / "pan_10s.mp4"
        short_clip = Path(folder) / "pan_5s.mp4"
        width, height = (3840, 2160) if args.uhd else (1920, 1080)
        make_clip(long_clip, args.seconds, width, height)
        make_clip(short_clip, args.seconds / 2, width, height)
        run_ffmpeg(short_clip)  # warm the page cache and the binary

        ff_runs, rg_runs = [], []
        for _ in range(args.repeats):
            ff_frames, ff_seconds = run_ffmpeg(long_clip)
            rg_frames, rg_seconds, findings = run_reelgraph(long_clip)
            ff_runs.append(ff_frames / ff_seconds)
            rg_runs.append(rg_frames / rg_seconds)
        ff_fps, rg_fps = max(ff_runs), max(rg_runs)
        ratios = sorted(rg / ff for rg, ff in zip(rg_runs, ff_runs, strict=True))
        print(f"clip: {width}x{height} {FPS} fps H.264, {rg_frames} frames (panned photograph)")
        print(
            f"ffmpeg signalstats,blackdetect,freezedetect: {ff_fps:7.1f} fps (best of "
            f"{args.repeats}: {', '.join(f'{v:.1f}' for v in ff_runs)})"
        )
        print(
            f"reelgraph qc (web-sdr video checks, decode included): {rg_fps:7.1f} fps "
            f"(best of {args.repeats}: "
            f"{', '.join(f'{v:.1f}' for v in rg_runs)}), {findings} findings"
        )
        print(
            f"ratio reelgraph / ffmpeg: {rg_fps / ff_fps:.2f} best-to-best, "
            f"{ratios[len(ratios) // 2]:.2f} median of paired runs"
        )
        for clip in (short_clip, long_clip):
            rss = peak_rss_child(clip)
            print(f"peak RSS analysing {clip.name}: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
