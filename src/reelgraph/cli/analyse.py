"""Measure every shot before planning — noise, blockiness, banding, sharpness, loudness —
with cached analysis nodes, and show what was found (the planner reads the same results)."""

from __future__ import annotations

import argparse

from reelgraph.analyse.stage import run_analysis
from reelgraph.cli.common import (
    ProgressView,
    add_executor_options,
    add_json_option,
    add_project_option,
    add_quiet_option,
    console,
    emit_json,
    executor_from,
    ingest_and_say,
    project_from,
    quiet,
)


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    add_executor_options(parser)
    add_quiet_option(parser)
    add_json_option(parser, "reelgraph.Analysis.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    brief = project.brief()
    ingest_and_say(project, brief, silent=quiet(args))
    with ProgressView(quiet=quiet(args)) as view:
        _, results = run_analysis(project, brief, executor_from(args), sinks=[view])
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
