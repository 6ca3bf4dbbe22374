"""The ``reelgraph`` command: dispatch to one module per command, turn errors into
``error:`` and ``hint:`` lines and a non-zero exit (no traceback unless ``--debug``).

The top-level parser is built from the static table below without importing any command
module, so ``reelgraph --help`` starts at once; only the chosen command's module (and the
numpy, SciPy, PyAV it needs) is imported."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from reelgraph import __version__
from reelgraph.errors import ReelgraphError, UsageError

# command → (module in reelgraph.cli, one-line help). Each module has register(parser) and
# run(args); its docstring is the command's description.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "create a project (brief.yaml template + store)"),
    "demo": ("demo", "build a sample project and run everything on it"),
    "probe": ("probe", "describe a media file's streams"),
    "ingest": ("ingest", "probe, fingerprint and register the brief's sources"),
    "analyse": ("analyse", "measure every shot (cached) and show the analysis the planner uses"),
    "plan": ("plan", "show the plan (DAG) with an explanation for every node"),
    "run": ("run", "ingest, plan, render, QC and deliver (resumable, budgeted)"),
    "status": ("status", "outcome and cost of every node of the latest run"),
    "qc": ("qc", "frame-level QC of a file against a delivery spec (exit 1: it fails)"),
    "set": ("set_variable", "set a scene variable: SCENE.VARIABLE=VALUE"),
    "review": ("review", "approve or reject a shot's latest master"),
    "deliver": ("deliver", "copy approved masters to deliverables/ with manifest and checksums"),
    "calibrate": ("calibrate", "measure CPU seconds per unit of work for each agent here"),
    "audit": ("audit", "verify or show the tamper-evident audit log"),
    "loudness": ("loudness", "measure loudness (BS.1770 / EBU R 128) of an audio or video file"),
    "level": ("level", "level and normalise a file's sound to a loudness spec"),
    "restore": ("restore", "restore a clip (deblock, denoise, upscale, deband, grain, SDR→HDR)"),
    "match": ("match", "match a shot's colour to a hero shot; export the CDL (.cc) and a .cube"),
    "look": ("look", "give a clip the look of reference stills; export a .cube"),
    "roto": ("roto", "per-frame subject mattes (person, salient or keyframe), steady over time"),
    "user": ("user", "add, list or remove review app users (viewer, reviewer, admin)"),
    "serve": ("serve", "the review web app: shots, player, approvals, scenes, costs"),
    "shots": ("shots", "find hard cuts, dissolves, fades and wipes in a video (--json, --csv)"),
    "takes": ("takes", "group takes of one setup, rank them with reasons, choose the best"),
    "cut": ("cut", "build the first cut (OpenTimelineIO) from the brief's edit and explain it"),
    "transcribe": ("transcribe", "word-timed transcripts of dialogue (extra [asr])"),
    "search": ("search", "find where a phrase is said: takes and timecodes (extra [asr])"),
}

EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """Bad arguments become a :class:`UsageError` (``error:`` + ``hint:``, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint=f"see '{self.prog} --help'")


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the line: the first word that is not an option (the top-level
    options take no value), or None."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command is listed with its help; only ``command``'s module is imported and
    its arguments registered."""
    parser = _Parser(
        prog="reelgraph",
        description="AI-assisted post-production: restoration, colour, loudness, editorial, "
        "rotoscoping, QC, review and delivery.",
    )
    parser.add_argument("--version", action="version", version=f"reelgraph {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        if name != command:
            sub.add_parser(name, help=help_text)
            continue
        mod = importlib.import_module(f"reelgraph.cli.{module}")
        parsed = sub.add_parser(
            name,
            help=help_text,
            description=mod.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parsed.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show tracebacks and debug logs",
        )
        mod.register(parsed)
        parsed.set_defaults(handler=mod.run)
    return parser


def _report(exc: ReelgraphError, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(f"error: {exc}", file=sys.stderr)
    print(f"hint: {exc.hint}", file=sys.stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser(chosen_command(argv)).parse_args(argv)
    except ReelgraphError as exc:  # a bad argument, or a command module that cannot load
        return _report(exc, debug)
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except ReelgraphError as exc:
        return _report(exc, debug)
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
