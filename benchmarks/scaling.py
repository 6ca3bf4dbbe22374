"""Throughput of the same multi-shot project at 1 and 2 workers, on the local process pool
and on a local Ray cluster, in one run.

Run on demand (not part of the test suite)::

    python benchmarks/scaling.py                 # the demo project (4 shots)
    python benchmarks/scaling.py --workers 1 2 4

Each configuration renders a fresh copy of the demo project (``reelgraph demo``'s four
photographic shots, ``web-sdr``) with ``reelgraph run --no-deliver``, so nothing comes from
cache. For each it prints the command's wall (process start, Ray's start-up and analysis
included), the render run's wall from the project's runs table, frames per second of the
render (source frames of all shots over its wall), the speed-up over one worker on the
same executor, and Ray against the local pool at the same worker count.

The machine's load is printed with the figures: on a shared machine compare the ratios
from one run, not walls across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from reelgraph.demo.build import FRAMES, SHOTS, build_demo

EXE = [sys.executable, "-m", "reelgraph.cli.main"]


def render_wall(root: Path) -> float:
    """Wall of the project's render run (started → finished), from its runs table."""
    with sqlite3.connect(root / ".reelgraph" / "project.sqlite") as db:
        started, finished = db.execute(
            "SELECT started_at, finished_at FROM runs WHERE kind = 'render' ORDER BY id DESC"
        ).fetchone()
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def run(template: Path, root: Path, executor: str, workers: int) -> tuple[float, float]:
    """(command wall, render wall) of one configuration on a fresh copy of the project."""
    shutil.copytree(template, root)
    command = [*EXE, "run", "-p", str(root), "-q", "--no-deliver"]
    command += ["--executor", executor, "--workers", str(workers)]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started, render_wall(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--executors", nargs="+", default=["local", "ray"])
    args = parser.parse_args()
    frames = FRAMES * len(SHOTS)
    results: dict[tuple[str, int], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        template = tmp / "template"
        subprocess.run([*EXE, "init", str(template)], check=True, capture_output=True)
        build_demo(template)
        load = os.getloadavg()
        for executor in args.executors:
            for workers in args.workers:
                root = tmp / f"{executor}-{workers}"
                results[executor, workers] = run(template, root, executor, workers)
        load_after = os.getloadavg()
    print(
        f"demo project: {len(SHOTS)} shots, {frames} frames; load average {load[0]:.1f} "
        f"before, {load_after[0]:.1f} after, on {os.cpu_count()} cores"
    )
    print(
        f"{'executor':<10}{'workers':>8}{'command s':>11}{'render s':>10}{'fps':>7}"
        f"{'speed-up':>10}{'vs local':>10}"
    )
    for (executor, workers), (command_s, render_s) in results.items():
        one = results.get((executor, min(args.workers)))
        local = results.get(("local", workers))
        speed_up = one[1] / render_s if one else float("nan")
        versus = local[1] / render_s if local else float("nan")
        print(
            f"{executor:<10}{workers:>8}{command_s:11.1f}{render_s:10.1f}"
            f"{frames / render_s:7.2f}{speed_up:9.2f}×{versus:9.2f}×"
        )
    print(
        json.dumps(
            {
                f"{e}-{w}": {"command_s": c, "render_s": r, "fps": frames / r}
                for (e, w), (c, r) in results.items()
            }
        )
    )


if __name__ == "__main__":
    main()
