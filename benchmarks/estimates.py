"""Do cost estimates hold? Estimate against measured cost, per agent, on the pipeline
benchmark's shot (120 frames, 1080p24 H.264 with sound, default ``web-sdr`` plan).

Run on demand (not part of the test suite)::

    python benchmarks/estimates.py               # the pipeline benchmark's shot
    python benchmarks/estimates.py --frames 48   # a shorter cut of it, for a quick look
    python benchmarks/estimates.py --workers 2
    python benchmarks/estimates.py --keep DIR    # then: --report DIR prints the table again

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
import importlib.util
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

# Python puts this script's folder first on sys.path, where a benchmark module could shadow
# a library of the same name (benchmarks/colour.py and colour-science): take it off.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from reelgraph.orchestrator.agent import Work  # noqa: E402
from reelgraph.orchestrator.budget import Pricing, ledger_work  # noqa: E402
from reelgraph.orchestrator.registry import DEFAULT  # noqa: E402
from reelgraph.project.folder import open_project  # noqa: E402


def _pipeline_benchmark() -> ModuleType:
    """benchmarks/pipeline.py, for its shot and brief, loaded by path (putting benchmarks/
    on sys.path would let its colour.py shadow the colour-science package)."""
    path = Path(__file__).resolve().parent / "pipeline.py"
    spec = importlib.util.spec_from_file_location("pipeline_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pipeline = _pipeline_benchmark()  # the same shot as the pipeline benchmark

UNCALIBRATED_WITHIN = 2.0  # × either way
CALIBRATED_WITHIN = 0.25  # ± fraction


def ran_nodes(root: Path) -> list[tuple[str, Work, float]]:
    """(agent, work, CPU s) of every node execution that completed, analysis included,
    each job's work as the runner priced it (``budget.ledger_work``: a job of no units is a
    link, e.g. a one-take programme)."""
    with sqlite3.connect(root / ".reelgraph" / "project.sqlite") as db:
        rows = db.execute(
            "SELECT agent, frames, megapixels, audio_s, cpu_s FROM ledger WHERE outcome = 'ran'"
        ).fetchall()
    nodes = []
    for agent, frames, megapixels, audio_s, cpu in rows:
        work = ledger_work(DEFAULT.get(str(agent)).cost.unit, frames, megapixels, audio_s)
        nodes.append((str(agent), work, float(cpu)))
    return nodes


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


def run_and_calibrate(frames: int, root: Path, workers: int | None) -> tuple[float, float]:
    """Make the pipeline benchmark's shot, ``reelgraph run`` it in a fresh project at
    ``root``, then ``reelgraph calibrate`` there; (run wall s, calibrate wall s)."""
    exe = [sys.executable, "-m", "reelgraph.cli.main"]
    pipeline.FRAMES = frames
    (root / "footage").mkdir(parents=True)
    pipeline.make_clip(root / "footage" / "shot.mp4")
    (root / "brief.yaml").write_text(pipeline.BRIEF.format(look="day"), encoding="utf-8")
    subprocess.run([*exe, "init", str(root)], check=True, capture_output=True)
    command = [*exe, "run", "-p", str(root), "--no-deliver", "-q"]
    if workers:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    run_s = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([*exe, "calibrate", "-p", str(root)], check=True, capture_output=True)
    return run_s, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=pipeline.FRAMES, help="shot length")
    parser.add_argument("--workers", type=int, help="local executor processes")
    parser.add_argument("--keep", type=Path, help="keep the project in this (new) folder")
    parser.add_argument(
        "--report", type=Path, help="only print the table for a project run and calibrated"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        root = args.report or args.keep or Path(tmp_name) / "project"
        load = os.getloadavg()
        if args.report is None:
            run_s, calibrate_s = run_and_calibrate(args.frames, root, args.workers)
            print(
                f"{args.frames} frames 1080p, web-sdr: run {run_s:.1f} s wall, calibrate "
                f"{calibrate_s:.1f} s wall; load average {load[0]:.1f} before, "
                f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores"
            )
        project = open_project(root)
        rate_card = project.brief().rate_card
        defaults = per_agent(ran_nodes(root), Pricing(rate_card, {}))
        calibrated = per_agent(ran_nodes(root), Pricing.load(project.store, rate_card))
        project.close()
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
