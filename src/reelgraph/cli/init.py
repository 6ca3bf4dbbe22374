"""Create a project folder with a commented brief.yaml template and an empty store."""

from __future__ import annotations

import argparse
from pathlib import Path

from reelgraph.cli.common import console
from reelgraph.project.folder import init_project


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="project folder (created if missing)")


def run(args: argparse.Namespace) -> int:
    project = init_project(args.dir)
    console.print(f"project ready in {args.dir}")
    console.print(f"  edit {project.brief_path}, put media under {args.dir}/footage/, then:")
    console.print(f"  reelgraph run --project {args.dir}")
    project.close()
    return 0
