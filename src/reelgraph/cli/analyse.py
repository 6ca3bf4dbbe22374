"""Measure every shot before planning — noise, blockiness, banding, sharpness, loudness —
with cached analysis nodes, and show what was found (the planner reads the same results)."""

from __future__ import annotations

import argparse

from reelgraph.analyse.stage import run_analysis
from reelgraph.cli.common import ProgressView, console, emit_json, project_from
from reelgraph.cli.ingest import add_project_option
from reelgraph.ingest.sources import ingest
from reelgraph.orchestrator.executor import make_executor


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("--executor", default="local", choices=["local", "inline", "ray"])
    parser.add_argument("--json", action="store_true", help="print reelgraph.Analysis.1 JSON")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    brief = project.brief()
    ingest(project, brief)
    with ProgressView(quiet=args.json) as view:
        _, results = run_analysis(project, brief, make_executor(args.executor), sinks=[view])
    if args.json:
        emit_json({"schema": "reelgraph.Analysis.1", "shots": results})
        return 0
    if not results:
        console.print("no analysis agents are installed")
    for shot, kinds in results.items():
        console.print(f"[bold]{shot}[/]")
        for kind, data in kinds.items():
            summary = data.get("summary") if isinstance(data, dict) else None
            console.print(f"  {kind}: {summary or data}")
    return 0
