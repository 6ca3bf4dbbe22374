"""Copy the latest run's approved, rights-cleared masters to deliverables/ with a manifest
(every source, agent, parameter and library behind each file) and SHA256SUMS."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_json,
    project_from,
)
from reelgraph.deliver.delivery import deliver
from reelgraph.errors import ProjectError
from reelgraph.review.status import LATEST_RENDER


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument(
        "--override-rights",
        action="store_true",
        help="deliver sources whose rights are not cleared (audited)",
    )
    add_json_option(parser, "reelgraph.Deliver.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    row = project.store.one(LATEST_RENDER)
    if row is None:
        raise ProjectError("nothing to deliver yet", hint="run 'reelgraph run' first")
    result = deliver(project, row["id"], override_rights=args.override_rights)
    if args.json:
        emit_json(
            {
                "schema": "reelgraph.Deliver.1",
                "run": row["id"],
                "folder": str(result.folder) if result.folder is not None else None,
                "delivered": result.delivered,
                "held": result.held,
            }
        )
        return 0 if not result.held else 1
    console.print(f"delivered {len(result.delivered)} shot(s) to {result.folder}")
    for shot, why in result.held.items():
        console.print(f"  held {shot}: {why}")
    return 0 if not result.held else 1
