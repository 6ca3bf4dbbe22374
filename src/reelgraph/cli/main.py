"""The ``reelgraph`` command: dispatch to one module per command, turn errors into
``error:`` and ``hint:`` lines and a non-zero exit (no traceback unless ``--debug``)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence

from reelgraph import __version__
from reelgraph.errors import ReelgraphError

# command → module in reelgraph.cli; each module has register(parser) and run(args).
COMMANDS = {
    "init": "init",
    "demo": "demo",
    "probe": "probe",
    "ingest": "ingest",
    "analyse": "analyse",
    "plan": "plan",
    "run": "run",
    "status": "status",
    "qc": "qc",
    "set": "set_variable",
    "review": "review",
    "deliver": "deliver",
    "calibrate": "calibrate",
    "audit": "audit",
    "loudness": "loudness",
    "level": "level",
    "restore": "restore",
}

EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelgraph",
        description="AI-assisted post-production: restoration, loudness, QC and delivery.",
    )
    parser.add_argument("--version", action="version", version=f"reelgraph {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        mod = importlib.import_module(f"reelgraph.cli.{module}")
        command = sub.add_parser(name, help=mod.HELP, description=mod.__doc__)
        command.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show tracebacks and debug logs",
        )
        mod.register(command)
        command.set_defaults(handler=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except ReelgraphError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        print(f"hint: {exc.hint}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        print(
            "hint: finished nodes are cached; run the same command again to resume", file=sys.stderr
        )
        return 130
    except Exception as exc:  # the last line of defence: no traceback for users
        if debug:
            traceback.print_exc()
        print(f"error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("hint: re-run with --debug and report the traceback", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
