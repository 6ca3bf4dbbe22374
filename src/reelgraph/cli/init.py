"""Create a project folder with a commented brief.yaml template and an empty store."""

from __future__ import annotations

import argparse
from pathlib import Path

from reelgraph.cli.common import add_json_option, console, emit_json
from reelgraph.project.folder import Project, init_project


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="project folder (created if missing)")
    add_json_option(parser, "reelgraph.Init.1")


def init_document(project: Project) -> dict[str, str]:
    """reelgraph.Init.1: where the project's parts are."""
    return {
        "schema": "reelgraph.Init.1",
        "project": str(project.root.resolve()),
        "brief": str(project.brief_path.resolve()),
        "store": str(project.state.resolve()),
    }


def run(args: argparse.Namespace) -> int:
    project = init_project(args.dir)
    if args.json:
        emit_json(init_document(project))
    console.print(f"project ready in {args.dir}")
    console.print(f"  edit {project.brief_path}, put media under {args.dir}/footage/, then:")
    console.print(f"  reelgraph run --project {args.dir}")
    project.close()
    return 0
