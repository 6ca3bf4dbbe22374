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
from reelgraph.orchestrator.calibrate import calibrate
from reelgraph.orchestrator.registry import DEFAULT


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("--agents", help="comma-separated agent names (default: all)")
    add_json_option(parser, "reelgraph.Calibration.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    names = args.agents.split(",") if args.agents else None
    with console.status("calibrating agents on a synthetic clip…"):
        measured = calibrate(project.store, DEFAULT, names)
    project.audit.append("calibrate", "agents", {k: round(v, 6) for k, v in measured.items()})
    units = {name: DEFAULT.get(name).cost.unit for name in measured}
    if args.json:
        emit_json(
            {
                "schema": "reelgraph.Calibration.1",
                "agents": {
                    name: {"cpu_s_per_unit": value, "unit": units[name]}
                    for name, value in measured.items()
                },
            }
        )
    else:
        for name, value in measured.items():
            console.print(f"  {name:<16} {value:.5f} CPU s per {units[name].replace('_', '-')}")
    return 0
