"""Approve or reject a shot's current master, with a note. Deliveries wait for approval when
the brief's review.require_approval is true; a decision applies to that exact master (its
artifact key), so a re-render needs a new decision."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_json,
    project_from,
)
from reelgraph.review.decisions import DECISIONS, STATE_OF_DECISION, decide

HELP = "approve or reject a shot's latest master"


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("decision", choices=DECISIONS)
    parser.add_argument("shots", nargs="+", help="shot ids, or 'all'")
    parser.add_argument("--note", default="", help="what the reviewer says")
    add_json_option(parser, "reelgraph.Review.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    masters = decide(project, list(args.shots), args.decision, args.note)
    if args.json:
        emit_json(
            {
                "schema": "reelgraph.Review.1",
                "decision": args.decision,
                "note": args.note,
                "masters": [
                    {"shot": m.shot, "key": m.key, "run": m.run_id, "file": m.file} for m in masters
                ],
            }
        )
        return 0
    console.print(
        f"{STATE_OF_DECISION[args.decision]}: {', '.join(m.shot for m in masters)}; "
        "'reelgraph deliver' copies approved masters"
    )
    return 0
