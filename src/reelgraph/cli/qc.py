"""Check a finished file against a delivery spec's QC profile: black and frozen frames,
photosensitive flashes (ITU-R BT.1702), motion-compensated flicker, broadcast legal range
(EBU R 103), banding, letterbox; loudness and true peak against the spec's target,
clipping, digital silence, phase; and the file's format (codec, size, frame rate, bit
depth, pixel format, colour tags, duration, sound layout).

Exit status: 0 when the file passes (no finding of severity ``fail``), 1 when it fails,
2 on error (the file cannot be read, an unknown spec)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

from reelgraph.cli.common import (
    EXIT_NOT_PASSED,
    add_json_option,
    add_quiet_option,
    console,
    emit_json,
    progress_bar,
    quiet,
    refused_as_usage,
)
from reelgraph.qc.profiles import CHECKS, profile_for_spec
from reelgraph.qc.result import QCResult
from reelgraph.qc.run import DEFAULT_SPEC, check_file, profile_without
from reelgraph.specs.delivery import SPECS

_COLOUR = {"fail": "red", "warning": "yellow", "info": "cyan"}


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the file to check (a finished master)")
    parser.add_argument(
        "--spec",
        default=DEFAULT_SPEC,
        metavar="NAME",
        help=f"delivery spec whose QC profile applies: {', '.join(SPECS)} "
        f"(default: {DEFAULT_SPEC})",
    )
    add_json_option(parser, "reelgraph.QC.1")
    add_quiet_option(parser)
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write an HTML report (plots, thumbnails, failures.csv) into DIR",
    )
    parser.add_argument(
        "--skip",
        default="",
        metavar="CHECKS",
        help="comma-separated checks not to run, e.g. spec,banding "
        f"(any of: {', '.join(c for c in CHECKS if c != 'decode')})",
    )


def run(args: argparse.Namespace) -> int:
    skip = tuple(s.strip() for s in args.skip.split(",") if s.strip())
    with refused_as_usage("--spec"):
        profile = profile_for_spec(args.spec)
    with refused_as_usage("--skip"):
        profile_without(profile, skip)
    progress = progress_bar(
        TextColumn(f"qc {args.file.name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames"),
        TimeRemainingColumn(),
        silent=quiet(args),
    )
    with progress:
        task = progress.add_task("qc", total=None)

        def advance(done: int, total: int) -> None:
            if done % 8 == 0 or done == total:
                progress.update(task, completed=done, total=total)

        result = check_file(
            args.file, args.spec, report_dir=args.report, progress=advance, skip=skip
        )
    if args.json:
        emit_json(result.to_dict())
    elif not args.quiet:
        show(result)
    return 0 if result.passed else EXIT_NOT_PASSED


def show(result: QCResult) -> None:
    """The verdict, every finding and what did not run, on stderr."""
    counts = result.counts()
    verdict = "[green]PASSED[/]" if result.passed else "[red]FAILED[/]"
    console.print(
        f"{verdict} {result.path} against {result.spec}: {counts['fail']} fail, "
        f"{counts['warning']} warning, {counts['info']} info "
        f"({result.frames_analysed} frames in {result.elapsed_s:.1f} s)"
    )
    for f in result.findings:
        console.print(
            f"  [{_COLOUR[f.severity]}]{f.severity:>7}[/] {f.check:<11} "
            f"{f.start_tc}–{f.end_tc}  {f.message}",
            highlight=False,
        )
    for check, why in sorted(result.skipped.items()):
        console.print(f"  [dim]not run {check}: {why}[/]")
    if result.report is not None:
        console.print(f"report: {result.report}")
