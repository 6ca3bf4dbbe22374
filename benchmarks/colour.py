"""Benchmark: shot matching against the simple methods, on photographs with known
linear-light mis-grades and a second angle that shares only part of the hero's view.

Run on demand (not part of the test suite)::

    python benchmarks/colour.py            # 4 photographs x 5 mis-grades x 2 angles
    python benchmarks/colour.py --quick    # 2 photographs x 5 mis-grades x 1 angle
    python benchmarks/colour.py --lut      # cost of applying a 33³ LUT to a 1080p frame

Recipe (seeded, deterministic):

1. Truth: a photograph from ``skimage.data`` (astronaut, coffee, chelsea, rocket), read as
   BT.709-encoded R'G'B'. The hero is a window of it (two-thirds of the width, the full
   height); a short clip of 4 frames pans that window by 4 pixels a frame.
2. Second angle: another window, shifted and scaled (``shift`` of the picture, ``zoom``),
   so it shares only part of the hero's view (``coverage`` printed), panning the same way.
3. Mis-grade in scene-linear light (inverse BT.709 OETF): white balance (per-channel
   gains), exposure (a common gain, in stops) and saturation about BT.709 luminance; the
   result clipped to [0, 1] as an encoded file would be. The ``clipped`` column is the
   fraction of the mis-graded pixels with a channel at 0 or 1: what they held is lost to
   every method (a saturated, bright photograph pushed further clips most of its pixels,
   which is why no "+exposure, +saturation" case is here: its error measures the loss,
   not the matcher).
4. Methods, each given the mis-graded second angle and the hero's frames:

   * ``reelgraph``: :func:`reelgraph.colour.continuity.match_shot` — SIFT/RANSAC overlap
     pairs, Huber fit in linear light, one CDL (+ residual) for the clip, rendered through
     its 33³ LUT, exactly as ``reelgraph match`` renders;
   * ``reinhard``: Reinhard et al. 2001 lαβ statistics transfer from the hero's frames;
   * ``histogram``: ``skimage.exposure.match_histograms`` per channel against the hero.

5. Mean CIEDE2000 (``colour.delta_E``, CIE 2000) of each result against the truth (the
   second angle before the mis-grade), over every pixel of every frame.

``--lut`` times what a graded view pays per frame for its 33³ LUT (the ``lut3d`` picture
operation, :func:`reelgraph.colour.lut.tetrahedral`, OpenColorIO's CPU processor) on
1080p float32 R'G'B', in CPU seconds, beside colour-science's
``table_interpolation_tetrahedral`` and FFmpeg's ``lut3d=interp=tetrahedral`` (16-bit
RGB through a pipe, one thread) on the same frames, and the largest difference between
reelgraph's result and colour-science's.

The script prints a table (one row per case) and, per method, the mean and the worst case;
the target for ``reelgraph`` is mean ΔE2000 ≤ 2.0 on every case, and the ratio of the
simple methods' error to reelgraph's.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder leads sys.path and its name would shadow the
# colour-science package ("import colour"); drop the folder before anything imports it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import skimage.data  # noqa: E402
from skimage.exposure import match_histograms  # noqa: E402

from reelgraph.algorithms.colour.standards import LUMA_BT709  # noqa: E402
from reelgraph.algorithms.colour.transfer_reinhard2001 import fit_reinhard  # noqa: E402
from reelgraph.colour import lut  # noqa: E402
from reelgraph.colour.continuity import delta_e_2000, match_shot  # noqa: E402
from reelgraph.colour.linear import from_linear, to_linear  # noqa: E402

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
#: name → (white-balance gains R, G, B; exposure in stops; saturation).
MISGRADES: dict[str, tuple[tuple[float, float, float], float, float]] = {
    "warm wb": ((1.2, 1.0, 0.8), 0.0, 1.0),
    "cool wb": ((0.85, 1.0, 1.25), 0.0, 1.0),
    "-1 stop": ((1.0, 1.0, 1.0), -1.0, 1.0),
    "desaturated": ((1.0, 1.0, 1.0), 0.0, 0.7),
    "oversaturated": ((1.0, 1.0, 1.0), 0.0, 1.2),
    "warm+under+flat": ((1.1, 1.0, 0.85), -0.5, 0.8),
}
#: angle name → (row shift, column shift as fractions of the picture, zoom).
ANGLES = {"shifted": (0.1, 0.35, 1.0), "shifted+zoomed": (0.15, 0.3, 1.25)}
FRAMES = 4
PAN = 4


def misgrade(
    encoded: np.ndarray, gains: tuple[float, float, float], stops: float, sat: float
) -> np.ndarray:
    linear = to_linear(encoded, "bt709") * np.float32(gains) * np.float32(2.0**stops)
    luma = linear @ LUMA_BT709
    linear = luma[..., None] + np.float32(sat) * (linear - luma[..., None])
    return np.clip(from_linear(linear, "bt709"), 0.0, 1.0)


def views(
    image: np.ndarray, angle: tuple[float, float, float]
) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """Hero frames, second-angle truth frames, and the fraction of the second view that
    the hero's first frame shows."""
    h, w = image.shape[:2]
    hero_w = int(w * 2 / 3) - FRAMES * PAN
    hero = [image[:, i * PAN : i * PAN + hero_w] for i in range(FRAMES)]
    dy, dx, zoom = angle
    top, left = int(h * dy), int(w * dx)
    span_h = int((h - top) / zoom) if zoom > 1 else h - top
    span_w = int((w - left - FRAMES * PAN) / zoom)
    size = (int(span_w * zoom), int(span_h * zoom))
    truth = [
        cv2.resize(
            image[top : top + span_h, left + i * PAN : left + i * PAN + span_w],
            size,
            interpolation=cv2.INTER_AREA,
        )
        for i in range(FRAMES)
    ]
    shared = max(0, min(left + span_w, hero_w) - left) * span_h / (span_w * span_h)
    return hero, truth, shared


def mean_de(frames: list[np.ndarray], truth: list[np.ndarray]) -> float:
    return float(
        np.mean([delta_e_2000(a, b, "bt709").mean() for a, b in zip(frames, truth, strict=True)])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 photographs, 1 angle")
    parser.add_argument("--lut", action="store_true", help="only the cost of a 33³ LUT")
    args = parser.parse_args()
    if args.lut:
        lut_speed()
        return
    photos = PHOTOS[:2] if args.quick else PHOTOS
    angles = dict(list(ANGLES.items())[:1]) if args.quick else ANGLES
    header = (
        f"{'photo':<10} {'angle':<15} {'mis-grade':<16} {'shared':>6} {'clipped':>7} {'input':>6} "
        f"{'reelgraph':>9} {'reinhard':>8} {'histogram':>9} {'method':<14} {'s':>5}"
    )
    print(header)
    print("-" * len(header))
    results: dict[str, list[float]] = {
        "input": [],
        "reelgraph": [],
        "reinhard": [],
        "histogram": [],
    }
    for name in photos:
        image = getattr(skimage.data, name)().astype(np.float32) / 255.0
        for angle_name, angle in angles.items():
            hero, truth, shared = views(image, angle)
            for grade_name, (gains, stops, sat) in MISGRADES.items():
                shot = [misgrade(t, gains, stops, sat) for t in truth]
                clipped = float(
                    np.mean([((f.max(-1) >= 0.999) | (f.min(-1) <= 0.001)).mean() for f in shot])
                )
                start = time.perf_counter()
                result = match_shot(shot, hero)
                table = result.decision.table()
                ours = [lut.apply(f, table) for f in shot]
                seconds = time.perf_counter() - start
                hero_linear = np.concatenate([to_linear(f, "bt709").reshape(-1, 3) for f in hero])
                shot_linear = np.concatenate([to_linear(f, "bt709").reshape(-1, 3) for f in shot])
                reinhard = fit_reinhard(shot_linear, hero_linear)
                theirs = [
                    np.clip(
                        from_linear(
                            reinhard.apply(to_linear(f, "bt709").reshape(-1, 3)), "bt709"
                        ).reshape(f.shape),
                        0,
                        1,
                    )
                    for f in shot
                ]
                hero_all = np.concatenate([f.reshape(-1, 1, 3) for f in hero])
                histogram = [
                    match_histograms(f, hero_all.reshape(-1, 1, 3), channel_axis=-1).astype(
                        np.float32
                    )
                    for f in shot
                ]
                row = {
                    "input": mean_de(shot, truth),
                    "reelgraph": mean_de(ours, truth),
                    "reinhard": mean_de(theirs, truth),
                    "histogram": mean_de(histogram, truth),
                }
                for key, value in row.items():
                    results[key].append(value)
                flag = "" if row["reelgraph"] <= 2.0 else "  ✗ above 2.0"
                print(
                    f"{name:<10} {angle_name:<15} {grade_name:<16} {shared:>6.0%} {clipped:>7.1%} "
                    f"{row['input']:>6.2f} {row['reelgraph']:>9.2f} {row['reinhard']:>8.2f} "
                    f"{row['histogram']:>9.2f} {result.method:<14} {seconds:>5.1f}{flag}",
                    flush=True,
                )
    print()
    for key, values in results.items():
        print(f"{key:<10} mean ΔE2000 {np.mean(values):6.2f}   worst {np.max(values):6.2f}")
    ours = np.mean(results["reelgraph"])
    print(
        f"\nerror ratio against reelgraph: reinhard ×{np.mean(results['reinhard']) / ours:.1f}, "
        f"histogram matching ×{np.mean(results['histogram']) / ours:.1f}, "
        f"uncorrected ×{np.mean(results['input']) / ours:.1f}"
    )
    worst = max(results["reelgraph"])
    print(
        f"target mean ΔE2000 ≤ 2.0 on every case: {'met' if worst <= 2.0 else 'NOT met'}"
        f" (worst {worst:.2f})"
    )


def lut_speed(frames: int = 8) -> None:
    """CPU seconds per 1080p frame of applying a 33³ LUT, three ways."""
    import colour
    import imageio_ffmpeg

    rng = np.random.default_rng(0)
    table = lut.bake(lambda x: np.clip(x**1.2 @ np.array([[1.1, 0.05, 0], [0, 1, 0.05],
                                                           [0.1, 0, 0.8]]), 0, 1))  # fmt: skip
    picture = [rng.random((1080, 1920, 3), dtype=np.float32) for _ in range(2)]
    apply_table = lut.tetrahedral(table)
    start = time.process_time()
    ours = [apply_table(picture[i % 2]) for i in range(frames)]
    reelgraph_s = (time.process_time() - start) / frames
    start = time.process_time()
    theirs = colour.algebra.table_interpolation_tetrahedral(picture[0].astype(np.float64), table)
    colour_s = time.process_time() - start
    raw = np.rint(picture[0] * 65535).astype("<u2").tobytes()
    with tempfile.TemporaryDirectory() as folder:
        cube = Path(folder) / "bench.cube"
        lut.write_cube(cube, table, "benchmark")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-threads", "1",
             "-f", "rawvideo", "-pix_fmt", "rgb48le", "-s", "1920x1080", "-i", "pipe:",
             "-vf", f"lut3d=file={cube}:interp=tetrahedral", "-filter_threads", "1",
             "-f", "rawvideo", "-pix_fmt", "rgb48le", "-"],
            input=raw * frames, stdout=subprocess.DEVNULL, check=True,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ffmpeg_s = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / frames
    print("33³ LUT, tetrahedral, one 1080p frame (CPU seconds):")
    print(f"  reelgraph (OpenColorIO, float32)   {reelgraph_s:.3f}")
    print(f"  colour-science (float64)           {colour_s:.3f}  ×{colour_s / reelgraph_s:.1f}")
    print(f"  FFmpeg lut3d (16-bit, incl. pipe)  {ffmpeg_s:.3f}  ×{ffmpeg_s / reelgraph_s:.1f}")
    print(f"  largest difference from colour-science: {np.abs(ours[0] - theirs).max():.2e}")


if __name__ == "__main__":
    main()
