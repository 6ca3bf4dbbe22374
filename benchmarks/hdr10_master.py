"""What the ``hevc-hdr10`` master's x265 settings cost at 2160p, and what faster ones lose.

Run on demand: ``python benchmarks/hdr10_master.py [--frames 24]``.

Makes three 2160p 10-bit 4:2:0 clips in a temporary folder (a real photograph panned a few
pixels a frame; the same with film-like grain, σ 1.5 % of the code range, new every frame:
restoration puts grain back, so masters carry it; a dark PQ gradient, codes 110–250, with
a 0.6-code dither, where HDR masters band), then encodes each with FFmpeg's libx265
(imageio-ffmpeg's binary) using the ``hevc-hdr10`` preset's own parameters, at its x265
preset (``fast``) and at faster ones with a CRF that gives about the same file size on the
clean clip. For each it prints CPU seconds a frame, peak RSS, file size, PSNR against the
source (FFmpeg's ``psnr`` filter, luma) and the mean CAMBI banding score of the decoded
luma (QC's banding measure), and the CPU and PSNR against the preset.

The preset's own figures are the floor of any HDR10 master on this machine: reelgraph
hands x265 the frames and waits.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
from skimage import data

from _peak import measured
from reelgraph.algorithms.qc.banding_cambi_tandon2021 import cambi
from reelgraph.media.video import PRESETS, VideoReader

WIDTH, HEIGHT = 3840, 2160
GRAIN_SIGMA = 0.015
#: (x265 preset, CRF) beside the master's own.
CANDIDATES = (("veryfast", 18), ("superfast", 16), ("ultrafast", 15))


def make_gradient(path: Path, frames: int) -> None:
    """Raw yuv420p10le frames of a dark radial gradient drifting a few pixels a frame."""
    rng = np.random.default_rng(1)
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    neutral = np.full((HEIGHT // 2, WIDTH // 2), 512, "<u2").tobytes()
    with path.open("wb") as out:
        for index in range(frames):
            radius = np.hypot(columns - 0.3 * WIDTH - 4 * index, rows - 0.6 * HEIGHT) / (
                0.9 * WIDTH
            )
            y = 110 + 140 * np.clip(radius, 0, 1) + rng.normal(0.0, 0.6, radius.shape)
            out.write(np.rint(y).astype("<u2").tobytes() + neutral + neutral)


def make_clip(path: Path, frames: int, grain: bool) -> None:
    """Raw yuv420p10le frames of a panned photograph (limited range, BT.2020 matrix)."""
    photo = cv2.resize(data.astronaut(), (WIDTH + 6 * frames, HEIGHT), cv2.INTER_CUBIC)
    photo = photo.astype(np.float32) / 255.0
    rng = np.random.default_rng(0)
    k_r, k_b = 0.2627, 0.0593
    with path.open("wb") as out:
        for index in range(frames):
            rgb = photo[:, 6 * index : 6 * index + WIDTH]
            y = k_r * rgb[..., 0] + (1 - k_r - k_b) * rgb[..., 1] + k_b * rgb[..., 2]
            cb = (rgb[..., 2] - y) / (2 * (1 - k_b))
            cr = (rgb[..., 0] - y) / (2 * (1 - k_r))
            if grain:
                y = y + rng.normal(0.0, GRAIN_SIGMA, y.shape).astype(np.float32)
            half = (WIDTH // 2, HEIGHT // 2)
            planes = (
                64 + 876 * np.clip(y, 0, 1),
                512 + 896 * cv2.resize(cb, half, interpolation=cv2.INTER_AREA),
                512 + 896 * cv2.resize(cr, half, interpolation=cv2.INTER_AREA),
            )
            for plane in planes:
                out.write(np.rint(plane).astype("<u2").tobytes())


def source_cambi(clip: Path, frames: int) -> float:
    """Mean CAMBI of the raw clip's luma (limited range: code 64 is black, 940 white)."""
    size = WIDTH * HEIGHT * 3 // 2
    scores = []
    with clip.open("rb") as raw:
        for _ in range(frames):
            codes = np.frombuffer(raw.read(size * 2), "<u2")[: WIDTH * HEIGHT]
            scores.append(cambi(((codes.astype(np.float32) - 64) / 876).reshape(HEIGHT, WIDTH)))
    return float(np.mean(scores))


def encode(ffmpeg: str, clip: Path, out: Path, preset: str, crf: int) -> dict[str, float]:
    options = dict(PRESETS["hevc-hdr10"].options, preset=preset, crf=str(crf))
    pairs = [item for key, value in options.items() for item in (f"-{key}", value)]
    raw = ["-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-s", f"{WIDTH}x{HEIGHT}", "-r", "24"]
    usage, _ = measured(
        [ffmpeg, "-v", "error", *raw, "-i", str(clip), "-c:v", "libx265", *pairs,
         "-pix_fmt", "yuv420p10le", "-y", str(out)]
    )  # fmt: skip
    report = subprocess.run(
        [ffmpeg, "-hide_banner", *raw, "-i", str(clip), "-i", str(out),
         "-lavfi", "[1][0]psnr", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    psnr = float(re.findall(r"y:([0-9.]+)", report)[-1])
    banding = [cambi(frame.luma) for frame in VideoReader(out, luma=True, rgb_width=16)]
    return {**usage, "psnr": psnr, "size": out.stat().st_size, "cambi": float(np.mean(banding))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    args = parser.parse_args()
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    own = PRESETS["hevc-hdr10"].options
    runs = ((own["preset"], int(own["crf"])), *CANDIDATES)
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("clean", "grain", "dark gradient"):
            clip = Path(folder) / "clip.yuv"
            if kind == "dark gradient":
                make_gradient(clip, args.frames)
            else:
                make_clip(clip, args.frames, grain=kind == "grain")
            print(
                f"{WIDTH}x{HEIGHT} 10-bit, {args.frames} frames, {kind} "
                f"(source CAMBI {source_cambi(clip, args.frames):.2f})"
            )
            base: dict[str, float] = {}
            for preset, crf in runs:
                got = encode(ffmpeg, clip, Path(folder) / "out.mp4", preset, crf)
                base = base or got
                print(
                    f"  x265 {preset:9s} crf {crf}: {got['cpu_s'] / args.frames:5.2f} CPU-s/frame "
                    f"({got['cpu_s'] / base['cpu_s']:.2f}×), "
                    f"peak RSS {got['peak_rss_mb']:5.0f} MB, "
                    f"{got['size'] / 1e6:6.2f} MB, PSNR-Y {got['psnr']:.2f} dB "
                    f"({got['psnr'] - base['psnr']:+.2f}), CAMBI {got['cambi']:.2f}"
                )
            clip.unlink()


if __name__ == "__main__":
    main()
