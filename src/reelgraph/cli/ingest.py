"""Probe and fingerprint every source named in brief.yaml and register scenes and shots.
Nothing is written unless every source is usable."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import console, emit_json, project_from
from reelgraph.ingest.sources import ingest


def add_project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", "-p", default=".", help="project folder (default: .)")


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument(
        "--conform",
        action="store_true",
        help="accept variable-frame-rate sources by resampling to their average rate",
    )
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    found = ingest(project, conform=args.conform)
    if args.json:
        emit_json(
            [
                {
                    "id": s.id,
                    "path": str(s.path),
                    "fingerprint": s.fingerprint,
                    "probe": s.info.to_dict(),
                }
                for s in found
            ]
        )
    else:
        for s in found:
            console.print(f"ingested {s.id}: {s.path.name} sha256:{s.fingerprint[:12]}…")
    return 0
