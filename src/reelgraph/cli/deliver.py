"""Copy the latest run's approved, rights-cleared masters to deliverables/ with a manifest
(every source, agent, parameter and library behind each file), SHA256SUMS and an ASC MHL
history; with ``--sign KEY CERT`` each MP4/MOV master carries a signed C2PA manifest."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reelgraph.cli.common import (
    EXIT_NOT_PASSED,
    add_json_option,
    add_override_rights_option,
    add_project_option,
    console,
    emit_or_show,
    project_from,
)
from reelgraph.deliver.delivery import deliver
from reelgraph.deliver.provenance import load_credentials
from reelgraph.errors import ProjectError
from reelgraph.review.decisions import latest_render_id


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    add_override_rights_option(parser)
    parser.add_argument(
        "--sign",
        nargs=2,
        type=Path,
        metavar=("KEY", "CERT"),
        help="embed a signed C2PA manifest (recipe, rights, approvals) in each MP4/MOV "
        "master: a PEM private key and its PEM certificate chain (needs reelgraph[sign])",
    )
    add_json_option(parser, "reelgraph.Deliver.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    # Key and certificate are checked before anything is copied.
    credentials = load_credentials(*args.sign) if args.sign else None
    run_id = latest_render_id(project.store)
    if run_id is None:
        raise ProjectError("nothing to deliver yet", hint="run 'reelgraph run' first")
    result = deliver(project, run_id, override_rights=args.override_rights, sign=credentials)
    document = {
        "schema": "reelgraph.Deliver.1",
        "run": run_id,
        "folder": str(result.folder) if result.folder is not None else None,
        "delivered": result.delivered,
        "held": result.held,
    }
    emit_or_show(args, document, _print)
    return EXIT_NOT_PASSED if result.held else 0


def _print(document: dict[str, Any]) -> None:
    console.print(f"delivered {len(document['delivered'])} shot(s) to {document['folder']}")
    for shot, why in document["held"].items():
        console.print(f"  held {shot}: {why}")
