"""Measure this machine's speed for every agent, so cost estimates match what runs cost."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_json,
    project_from,
)
from reelgraph.orchestrator.calibrate import calibrate_project
from reelgraph.orchestrator.registry import DEFAULT


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("--agents", help="comma-separated agent names (default: all)")
    add_json_option(parser, "reelgraph.Calibration.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    names = args.agents.split(",") if args.agents else None
    with console.status("calibrating: the plan on excerpts of the first shot, then the rest…"):
        measured = calibrate_project(project, project.store, DEFAULT, names)
    project.audit.append(
        "calibrate",
        "agents",
        {k: round(v.cpu_seconds_per_unit, 6) for k, v in measured.items()},
    )
    if args.json:
        emit_json(
            {
                "schema": "reelgraph.Calibration.1",
                "agents": {
                    name: {
                        "cpu_s_per_unit": fit.cpu_seconds_per_unit,
                        "unit": fit.unit,
                        "overhead_cpu_s": fit.overhead_cpu_s,
                    }
                    for name, fit in measured.items()
                },
            }
        )
    else:
        for name, fit in sorted(measured.items()):
            overhead = "declared" if fit.overhead_cpu_s is None else f"{fit.overhead_cpu_s:.2f}"
            console.print(
                f"  {name:<18} {fit.cpu_seconds_per_unit:.5f} CPU s per "
                f"{fit.unit.replace('_', '-')}, overhead {overhead} CPU s"
            )
    return 0
