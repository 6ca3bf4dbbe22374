"""Approve or reject a shot's current master, with a note. Deliveries wait for approval when
the brief's review.require_approval is true; a decision applies to that exact master (its
artifact key), so a re-render needs a new decision."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import add_project_option, console, project_from
from reelgraph.review.decisions import DECISIONS, STATE_OF_DECISION, decide

HELP = "approve or reject a shot's latest master"


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("decision", choices=DECISIONS)
    parser.add_argument("shots", nargs="+", help="shot ids, or 'all'")
    parser.add_argument("--note", default="", help="what the reviewer says")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    masters = decide(project, list(args.shots), args.decision, args.note)
    console.print(
        f"{STATE_OF_DECISION[args.decision]}: {', '.join(m.shot for m in masters)}; "
        "'reelgraph deliver' copies approved masters"
    )
    return 0
