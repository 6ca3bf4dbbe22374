"""Build the per-shot plan from the brief and show it, each node with its explanation."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_json,
    ingest_and_say,
    project_from,
)
from reelgraph.orchestrator.executor import InlineExecutor
from reelgraph.orchestrator.runner import Runner
from reelgraph.plan.planner import build_plan


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    add_json_option(parser, "reelgraph.Plan.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    ingest_and_say(project, silent=args.json)
    plan = build_plan(project)
    estimates, keys = Runner(project, plan, InlineExecutor()).estimate()
    if args.json:
        data = plan.to_dict()
        for node in data["nodes"]:
            node["key"] = keys[node["id"]]
            node["cached"] = node["id"] not in estimates
            node["estimate_usd"] = round(estimates.get(node["id"], 0.0), 6)
        emit_json(data)
        return 0
    console.print(f"[bold]plan for {plan.project}[/] → {plan.delivery}")
    for node in plan.order():
        state = "cached" if node.id not in estimates else f"~${estimates[node.id]:.4f}"
        console.print(f"  {node.id:<28} {node.agent:<14} {state:>10}  {node.explanation}")
    console.print(f"estimated cost of what is not cached: ${sum(estimates.values()):.4f}")
    return 0
