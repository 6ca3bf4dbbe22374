"""The whole render path against FFmpeg on one 5 s 1080p24 H.264 shot with sound.

Run on demand (not part of the test suite)::

    python benchmarks/pipeline.py                 # makes the clip (120 frames, seeded)
    python benchmarks/pipeline.py --clip shot.mp4 # or takes yours (H.264 with sound)
    python benchmarks/pipeline.py --workers 2

reelgraph runs ``reelgraph run`` on a fresh project holding that one shot with the default
``web-sdr`` plan: conform → analyse_plate → restore → grade → master, plus audio extract,
loudness measure/level and QC. As the peer, FFmpeg (imageio-ffmpeg's binary) runs
``nlmeans=s=3:p=5:r=9,eq`` and ``libx264 -preset medium`` on the same clip in the same
run — a denoise, a grade and an H.264 master, with no analysis, levelling or QC. The script
prints both walls and their ratio (target ≤ 1.0), then per node the frames per second and
milliseconds per frame from the run's ledger beside the FFmpeg filters that do the same
job alone (restore vs ``nlmeans``, grade vs ``eq`` and ``lut3d``, master vs ``libx264``).

The machine's load is printed with the figures: on a shared machine compare ratios from
the same run, not walls across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FRAMES, WIDTH, HEIGHT = 120, 1920, 1080  # at 24 fps, the stand-in shot's rate
PEER_FILTER = "nlmeans=s=3:p=5:r=9,eq"

BRIEF = """\
schema: reelgraph.Brief.1
project: pipeline-benchmark
delivery: web-sdr
budget_usd: 100.0
review:
  require_approval: false
sources:
  - id: shot
    path: footage/shot.mp4
    rights: {{owner: benchmark, licence: CC0, origin: captured, cleared: true}}
scenes:
  - id: scene
    variables:
      time_of_day: {look}
    shots:
      - {{id: sh010, source: shot}}
"""


def make_clip(path: Path) -> None:
    """The shot: calibration's stand-in (a photograph under a slow pan and zoom, light sensor
    noise, x264 CRF 23, stereo dialogue) at this benchmark's length and size."""
    from reelgraph.orchestrator.calibrate import stand_in_shot

    stand_in_shot(path, FRAMES, WIDTH, HEIGHT)


def timed(command: list[str]) -> tuple[float, float]:
    """(wall s, CPU s of the command and every process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def run_reelgraph(clip: Path, root: Path, workers: int | None, look: str) -> tuple[float, float]:
    (root / "footage").mkdir(parents=True)
    os.link(clip, root / "footage" / "shot.mp4")
    (root / "brief.yaml").write_text(BRIEF.format(look=look), encoding="utf-8")
    exe = [sys.executable, "-m", "reelgraph.cli.main"]
    subprocess.run([*exe, "init", str(root)], check=True, capture_output=True)
    command = [*exe, "run", "-p", str(root), "--no-deliver", "-q"]
    if workers:
        command += ["--workers", str(workers)]
    return timed(command)


def ledger(root: Path) -> list[tuple[str, float, float, int]]:
    """(agent, wall s, CPU s, frames) of every node the render ran, in run order."""
    with sqlite3.connect(root / ".reelgraph" / "project.sqlite") as db:
        rows = db.execute(
            "SELECT agent, wall_s, cpu_s, frames FROM ledger WHERE outcome = 'ran' ORDER BY id"
        ).fetchall()
    return [(str(a), float(w), float(c), int(f)) for a, w, c, f in rows]


def ffmpeg(args: list[str]) -> tuple[float, float]:
    import imageio_ffmpeg

    return timed([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args])


def identity_cube(path: Path, size: int = 33) -> None:
    """A 33³ identity .cube (what a neutral look exports to), for FFmpeg's lut3d."""
    grid = np.linspace(0.0, 1.0, size)
    b, g, r = np.meshgrid(grid, grid, grid, indexing="ij")  # red varies fastest
    rows = np.stack([r, g, b], axis=-1).reshape(-1, 3)
    text = "\n".join(f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in rows)
    path.write_text(f"LUT_3D_SIZE {size}\n{text}\n", encoding="ascii")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, help="an H.264 clip with sound (default: made)")
    parser.add_argument("--workers", type=int, help="local executor processes")
    parser.add_argument("--look", default="day", help="time_of_day of the shot's scene")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = args.clip or tmp / "clip.mp4"
        if args.clip is None:
            make_clip(clip)
        load = os.getloadavg()
        src = ["-i", str(clip)]
        peer_args = [*src, "-vf", PEER_FILTER, "-c:v", "libx264", "-preset", "medium",
                     "-c:a", "aac", str(tmp / "peer.mp4")]  # fmt: skip
        # FFmpeg before and after reelgraph: on a shared machine the load drifts, and the
        # mean of the two brackets the conditions reelgraph ran under.
        peer_runs = [ffmpeg(peer_args)]
        ours, ours_cpu = run_reelgraph(clip, tmp / "project", args.workers, args.look)
        peer_runs.append(ffmpeg(peer_args))
        nodes = ledger(tmp / "project")
        cube = tmp / "identity.cube"
        identity_cube(cube)
        alone = {
            "decode": ffmpeg([*src, "-f", "null", "-"]),
            "nlmeans=s=3:p=5:r=9": ffmpeg([*src, "-vf", "nlmeans=s=3:p=5:r=9", "-f", "null", "-"]),
            "eq": ffmpeg([*src, "-vf", "eq", "-f", "null", "-"]),
            "lut3d (33³)": ffmpeg([*src, "-vf", f"lut3d={cube}", "-f", "null", "-"]),
            "libx264 medium": ffmpeg(
                [*src, "-c:v", "libx264", "-preset", "medium", "-an", str(tmp / "x264.mp4")]
            ),
        }
        load_after = os.getloadavg()
    peer = sum(w for w, _ in peer_runs) / len(peer_runs)
    peer_cpu = sum(c for _, c in peer_runs) / len(peer_runs)
    frames = FRAMES if args.clip is None else max((n[3] for n in nodes), default=1)
    print(
        f"load average {load[0]:.1f} before, {load_after[0]:.1f} after, on "
        f"{os.cpu_count()} cores (a loaded machine slows both sides; compare the ratios)"
    )
    print(f"reelgraph run (web-sdr):               {ours:7.1f} s wall {ours_cpu:7.1f} s CPU")
    print(
        f"FFmpeg {PEER_FILTER},libx264 medium: {peer:7.1f} s wall {peer_cpu:7.1f} s CPU "
        f"(mean of {', '.join(f'{w:.1f}' for w, _ in peer_runs)} s)"
    )
    print(
        f"ratio reelgraph / FFmpeg: {ours / peer:.2f} wall, {ours_cpu / peer_cpu:.2f} CPU "
        "(target <= 1.0)"
    )
    print()
    print(f"{'node':<20}{'wall s':>8}{'CPU s':>8}{'fps':>8}{'ms/frame':>10}  (CPU ms/frame)")
    for agent, wall, cpu, count in nodes:
        count = count or frames
        fps = count / wall if wall > 0 else float("inf")
        print(
            f"{agent:<20}{wall:8.2f}{cpu:8.2f}{fps:8.1f}{1000 * wall / count:10.1f}"
            f"  ({1000 * cpu / count:.1f})"
        )
    print()
    header = f"{'FFmpeg alone':<20}{'wall s':>8}{'CPU s':>8}{'fps':>8}{'ms/frame':>10}"
    print(f"{header}  (decode included)")
    for name, (wall, cpu) in alone.items():
        print(
            f"{name:<20}{wall:8.2f}{cpu:8.2f}{frames / wall:8.1f}{1000 * wall / frames:10.1f}"
            f"  ({1000 * cpu / frames:.1f})"
        )
    print(json.dumps({"reelgraph_s": ours, "ffmpeg_s": peer, "ratio": ours / peer,
                      "reelgraph_cpu_s": ours_cpu, "ffmpeg_cpu_s": peer_cpu}))  # fmt: skip


if __name__ == "__main__":
    main()
