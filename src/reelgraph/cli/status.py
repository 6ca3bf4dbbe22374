"""Show the latest run: every node with its outcome (ran, cached, failed, skipped) and cost,
totals with cost per frame, per shot and per finished minute, and QC findings."""

from __future__ import annotations

import argparse
from typing import Any

from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_or_show,
    project_from,
)
from reelgraph.review.status import run_status


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("--run", type=int, help="run id (default: the latest)")
    add_json_option(parser, "reelgraph.Status.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    return emit_or_show(args, run_status(project, args.run), _print)


def _print(status: dict[str, Any]) -> None:
    r, t = status["run"], status["totals"]
    console.print(
        f"[bold]run {r['id']}[/] {r['status']} ({r['executor']}), started {r['started_at']}"
    )
    for n in status["nodes"]:
        console.print(
            f"  {n['outcome']:>7} {n['id']:<28} {n['agent']:<14} ${n['cost_usd']:.4f}"
            + (f"  {n['reason']}" if n["reason"] else "")
        )
    console.print(
        f"total ${t['cost_usd']:.4f}; per frame {t['cost_per_frame_usd']}; "
        f"per finished minute {t['cost_per_finished_minute_usd']}"
    )
    for shot, cost in t["cost_per_shot_usd"].items():
        review = status["reviews"].get(shot)
        console.print(f"  {shot}: ${cost:.4f}" + (f"  review: {review}" if review else ""))
    for f in status["findings"]:
        console.print(
            f"  [{'red' if f['severity'] == 'fail' else 'yellow'}]{f['severity']}[/] "
            f"{f['shot']} {f['check']}"
            + (f" {f['start_tc']}–{f['end_tc']}" if f["start_tc"] else "")
            + f": {f['message']}"
        )
