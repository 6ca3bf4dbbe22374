"""Measure this machine's speed for every agent, so cost estimates match what runs cost."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import console, emit_json, project_from
from reelgraph.cli.ingest import add_project_option
from reelgraph.orchestrator.calibrate import calibrate
from reelgraph.orchestrator.registry import DEFAULT


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("--agents", help="comma-separated agent names (default: all)")
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    names = args.agents.split(",") if args.agents else None
    with console.status("calibrating agents on a synthetic clip…"):
        measured = calibrate(project.store, DEFAULT, names)
    project.audit.append("calibrate", "agents", {k: round(v, 6) for k, v in measured.items()})
    if args.json:
        emit_json(measured)
    else:
        for name, value in measured.items():
            unit = DEFAULT.get(name).cost.unit.replace("_", "-")
            console.print(f"  {name:<16} {value:.5f} CPU s per {unit}")
    return 0
