"""Find the shots of a video file: hard cuts and gradual transitions (dissolve, fade in,
fade out, wipe), each with its frames and a confidence, and the shot ranges between them.
Camera flashes, strobes and whip-pans are not cuts.

Frames are 0-based indices of the decoded frames. The detector is chosen with --detector
(default: classical) and named in the output; it never falls back to another."""

from __future__ import annotations

import argparse
import csv
import sys
from fractions import Fraction
from pathlib import Path

from reelgraph.agents.shots import detect_file, shots_document
from reelgraph.algorithms.shots import DEFAULT_SHOT_METHOD, SHOT_METHODS
from reelgraph.cli.common import console, emit_json
from reelgraph.media.probe import probe
from reelgraph.timecode import frames_to_timecode

HELP = "find hard cuts, dissolves, fades and wipes in a video (--json, --csv)"

CSV_FIELDS = ("kind", "start_frame", "end_frame", "start_tc", "end_tc", "confidence")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="video file")
    parser.add_argument(
        "--detector",
        choices=sorted(SHOT_METHODS),
        default=DEFAULT_SHOT_METHOD,
        help=f"shot-boundary detector (default: {DEFAULT_SHOT_METHOD}; transnetv2 needs the "
        "[ml] extra)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help="print reelgraph.Shots.1 JSON on stdout (docs/cli.md)"
    )
    output.add_argument(
        "--csv", action="store_true", help="print one row per transition as CSV on stdout"
    )


def run(args: argparse.Namespace) -> int:
    rate = probe(args.file).first_video.frame_rate
    result = detect_file(args.file, args.detector)
    document = shots_document(result, rate, str(args.file))
    if args.json:
        emit_json(document)
        return 0
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for t in result.transitions:
            writer.writerow(
                {
                    **t.to_dict(),
                    "start_tc": frames_to_timecode(t.start_frame, rate),
                    "end_tc": frames_to_timecode(t.end_frame, rate),
                }
            )
        return 0
    _print_table(document, rate)
    return 0


def _print_table(document: dict[str, object], rate: Fraction) -> None:
    shots = document["shots"]
    transitions = document["transitions"]
    assert isinstance(shots, list) and isinstance(transitions, list)
    console.print(
        f"[bold]{document['file']}[/]  {document['frames']} frames, {len(shots)} shots, "
        f"detector {document['detector']}"
    )
    for t in transitions:
        span = (
            f"{t['start_frame']}"
            if t["start_frame"] == t["end_frame"]
            else f"{t['start_frame']}–{t['end_frame']}"
        )
        console.print(
            f"  {t['kind']:<9} frame {span:<11} {frames_to_timecode(t['start_frame'], rate)}"
            f"  confidence {t['confidence']:.2f}"
        )
    if not transitions:
        console.print("  no transitions: one shot")
