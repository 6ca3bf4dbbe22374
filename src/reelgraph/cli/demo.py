"""Build the demo project (real photographs degraded like generative-model output, with
synthesised dialogue at uneven levels) and run the whole flow on it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from reelgraph.cli.common import (
    add_executor_options,
    add_json_option,
    add_quiet_option,
    console,
    emit_json,
)
from reelgraph.cli.init import init_document
from reelgraph.cli.run import execute
from reelgraph.demo.build import build_demo
from reelgraph.project.folder import init_project


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=Path("reelgraph-demo"),
        help="where to build it (default: ./reelgraph-demo)",
    )
    parser.add_argument("--no-run", action="store_true", help="only build the project")
    add_executor_options(parser)
    add_quiet_option(parser)
    add_json_option(parser, "reelgraph.Status.1 (of the run; with --no-run reelgraph.Init.1)")


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    project = init_project(args.dir)
    with console.status("building the demo footage from scikit-image photographs…"):
        build_demo(args.dir)
    console.print(f"demo project: {args.dir} (brief.yaml, footage/)")
    if args.no_run:
        if args.json:
            emit_json(init_document(project))
        console.print(f"run it with: reelgraph run --project {args.dir}")
        project.close()
        return 0
    run_args = argparse.Namespace(
        budget=None,
        executor=args.executor,
        workers=args.workers,
        shots=None,
        conform=False,
        no_deliver=False,
        override_rights=False,
        quiet=args.quiet,
        json=args.json,
    )
    try:
        code = execute(project, run_args)
    finally:
        project.close()
    console.print(f"reports: {args.dir / 'reports'}   audit: reelgraph audit verify -p {args.dir}")
    console.print(
        f"try: reelgraph set -p {args.dir} launch.time_of_day=night && "
        f"reelgraph run -p {args.dir}   (only the launch scene re-renders)"
    )
    console.print(f"done in {time.perf_counter() - started:.1f} s")
    return code
