"""Probe and fingerprint every source named in brief.yaml and register scenes and shots.
Nothing is written unless every source is usable."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import (
    add_conform_option,
    add_json_option,
    add_project_option,
    emit_json,
    ingest_and_say,
    project_from,
)


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    add_conform_option(parser)
    parser.add_argument(
        "--split",
        action="store_true",
        help="raw footage: split every source into the shots found by shot detection "
        "(ids <source>.<first>-<last>; kept at later ingests; 'split: none' in the brief "
        "exempts a source)",
    )
    add_json_option(parser, "reelgraph.Ingest.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    found = ingest_and_say(project, conform=args.conform, silent=args.json, split=args.split)
    if args.json:
        emit_json(
            {
                "schema": "reelgraph.Ingest.1",
                "sources": [
                    {
                        "id": s.id,
                        "path": str(s.path),
                        "fingerprint": s.fingerprint,
                        "probe": s.info.to_dict(),
                    }
                    for s in found
                ],
            }
        )
    return 0
