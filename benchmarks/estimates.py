"""Do cost estimates hold? Estimate against measured cost, per agent, on the pipeline
benchmark's shot (120 frames, 1080p24 H.264 with sound, default ``web-sdr`` plan).

Run on demand (not part of the test suite)::

    python benchmarks/estimates.py               # the pipeline benchmark's shot
    python benchmarks/estimates.py --frames 48   # a shorter cut of it, for a quick look
    python benchmarks/estimates.py --workers 2

It runs ``reelgraph run`` once on a fresh project, then ``reelgraph calibrate`` in the same
project, and prints for every agent that ran: the CPU seconds its nodes really used (the
ledger), what the agent's declared defaults estimated before any calibration, and what
the estimate is after calibrating — each with its ratio to the measured cost. Targets:
within 2× uncalibrated, within ±25 % calibrated. The estimates are computed for the very
jobs that ran (the ledger keeps each node's frames, megapixels and audio seconds), through
the same pricing the runner uses, so no second render is needed.

The machine's load is printed with the figures: CPU seconds suffer less than walls from a
busy machine, but not nothing.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The same shot and the same run as the pipeline benchmark.
import pipeline
from reelgraph.orchestrator.agent import Work
from reelgraph.orchestrator.budget import Pricing
from reelgraph.orchestrator.registry import DEFAULT
from reelgraph.project.folder import open_project

UNCALIBRATED_WITHIN = 2.0  # × either way
CALIBRATED_WITHIN = 0.25  # ± fraction


def ran_nodes(root: Path) -> list[tuple[str, Work, float]]:
    """(agent, work, CPU s) of every node execution that completed, analysis included."""
    with sqlite3.connect(root / ".reelgraph" / "project.sqlite") as db:
        rows = db.execute(
            "SELECT agent, frames, megapixels, audio_s, cpu_s FROM ledger WHERE outcome = 'ran'"
        ).fetchall()
    return [(str(a), Work(int(f), float(m), float(s)), float(c)) for a, f, m, s, c in rows]


def per_agent(
    nodes: list[tuple[str, Work, float]], pricing: Pricing
) -> dict[str, tuple[int, float, float]]:
    """agent → (executions, measured CPU s, estimated CPU s) summed over its nodes."""
    table: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for agent, work, cpu in nodes:
        row = table[agent]
        row[0] += 1
        row[1] += cpu
        row[2] += pricing.estimate_cpu_s(DEFAULT.get(agent), work)
    return {a: (int(n), m, e) for a, (n, m, e) in table.items()}


def verdict(ratio: float, calibrated: bool) -> str:
    if calibrated:
        return "ok" if abs(ratio - 1.0) <= CALIBRATED_WITHIN else "OUT"
    return "ok" if 1 / UNCALIBRATED_WITHIN <= ratio <= UNCALIBRATED_WITHIN else "OUT"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=pipeline.FRAMES, help="shot length")
    parser.add_argument("--workers", type=int, help="local executor processes")
    parser.add_argument("--keep", type=Path, help="keep the project in this (new) folder")
    args = parser.parse_args()
    pipeline.FRAMES = args.frames
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root = args.keep or tmp / "project"
        clip = tmp / "clip.mp4"
        pipeline.make_clip(clip)
        load = os.getloadavg()
        wall = pipeline.run_reelgraph(clip, root, args.workers, "day")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "reelgraph.cli.main", "calibrate", "-p", str(root)],
            check=True,
            capture_output=True,
        )
        calibrate_s = time.perf_counter() - started
        load_after = os.getloadavg()
        project = open_project(root)
        rate_card = project.brief().rate_card
        defaults = per_agent(ran_nodes(root), Pricing(rate_card, {}))
        calibrated = per_agent(ran_nodes(root), Pricing.load(project.store, rate_card))
        project.close()
    print(
        f"{args.frames} frames 1080p, web-sdr: run {wall:.1f} s wall, calibrate "
        f"{calibrate_s:.1f} s wall; load average {load[0]:.1f} before, {load_after[0]:.1f} "
        f"after, on {os.cpu_count()} cores"
    )
    print(
        f"{'agent':<18}{'runs':>5}{'measured':>10}{'default':>10}{'ratio':>7}{'':>5}"
        f"{'calibrated':>12}{'ratio':>7}{'':>5}   (CPU s; ratio = estimate / measured)"
    )
    worst = {"default": 1.0, "calibrated": 1.0}
    for agent in sorted(defaults):
        runs, measured, default = defaults[agent]
        after = calibrated[agent][2]
        r_default = default / measured if measured > 0 else float("inf")
        r_after = after / measured if measured > 0 else float("inf")
        worst["default"] = max(worst["default"], r_default, 1 / r_default if r_default else 0)
        worst["calibrated"] = max(worst["calibrated"], r_after, 1 / r_after if r_after else 0)
        print(
            f"{agent:<18}{runs:>5}{measured:10.2f}{default:10.2f}{r_default:7.2f}"
            f"{verdict(r_default, False):>5}{after:12.2f}{r_after:7.2f}{verdict(r_after, True):>5}"
        )
    print(
        f"worst factor: {worst['default']:.2f}× uncalibrated (target ≤ {UNCALIBRATED_WITHIN:g}×), "
        f"{worst['calibrated']:.2f}× calibrated (target ≤ {1 + CALIBRATED_WITHIN:g}×)"
    )


if __name__ == "__main__":
    main()
