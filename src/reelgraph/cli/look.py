"""Give a clip the look of reference stills (a lookbook): its tone curve and colour
distribution, matched in CIELAB, with a strength.

The transfer is fitted once, on frames spread through SRC against every still given, so it
does not flicker; it is baked into a 33³ LUT that renders SRC and that --lut writes, so a
grading system (or FFmpeg's lut3d) applying the .cube gives the same picture. Methods:
idt (Pitié et al. iterative distribution transfer — the whole distribution, default), mkl
(Pitié & Kokaram's linear Monge–Kantorovitch map — means and covariances, smoothest),
reinhard (Reinhard et al. 2001 — the classic baseline).

Exit status: 0 when OUT was written; 2 on bad input (nothing is written)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from reelgraph.cli.common import console, emit_json
from reelgraph.cli.match import add_output_options, output_preset, render_with_progress
from reelgraph.colour import lut
from reelgraph.colour.continuity import SAMPLE_FRAMES
from reelgraph.colour.linear import check_transfer, to_linear
from reelgraph.colour.lookbook import (
    DEFAULT_METHOD,
    DEFAULT_STRENGTH,
    METHODS,
    fit_look,
    linear_to_lab,
    read_still,
)
from reelgraph.colour.render import check_video_source, sample_clip
from reelgraph.errors import MediaError, UsageError

HELP = "give a clip the look of reference stills (tone curve and colour), export a .cube"
SCHEMA = "reelgraph.Look.1"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, metavar="SRC", help="the clip to give the look")
    parser.add_argument(
        "--lookbook",
        type=Path,
        nargs="+",
        required=True,
        metavar="IMG",
        help="reference stills (PNG/TIFF/JPEG as sRGB, EXR as linear)",
    )
    # OUT after a variable-length --lookbook is taken from its end (argparse alone would
    # read it as one more still).
    parser.add_argument("output", type=Path, nargs="?", metavar="OUT", help="the clip to write")
    parser.add_argument(
        "--strength",
        type=float,
        default=DEFAULT_STRENGTH,
        metavar="S",
        help=f"0 (unchanged) to 1 (the full look); default {DEFAULT_STRENGTH:g}",
    )
    parser.add_argument(
        "--method", choices=METHODS, default=DEFAULT_METHOD, help="look-transfer method"
    )
    add_output_options(parser, SCHEMA)


def run(args: argparse.Namespace) -> int:
    lookbook = [Path(p) for p in args.lookbook]
    if args.output is None:
        if len(lookbook) < 2:
            raise UsageError("OUT is missing", hint="write: reelgraph look SRC --lookbook IMG… OUT")
        args.output = lookbook.pop()
    source, out = Path(args.source), Path(args.output)
    if not 0.0 <= args.strength <= 1.0:
        raise MediaError(f"--strength {args.strength:g}", hint="use a strength from 0 to 1")
    check_video_source(source)
    preset = output_preset(out, args.format, source)
    if args.lut is not None:
        lut.check_destination(args.lut, ".cube")
    stills = [read_still(p) for p in lookbook]  # refuses a bad still up front
    with console.status("fitting the look…"):
        frames, tag = sample_clip(source, SAMPLE_FRAMES)
        transfer = tag.transfer
        check_transfer(transfer)
        shot_linear = np.concatenate([to_linear(f, transfer).reshape(-1, 3) for f in frames])
        look = fit_look(
            shot_linear, stills, transfer=transfer, method=args.method, strength=args.strength
        )
        table = look.table()
    count = render_with_progress(source, out, table, preset, "look")
    if args.lut is not None:
        lut.write_cube(args.lut, table, f"{source.stem} look ({args.method})")
    before = linear_to_lab(np.clip(shot_linear, 0, None)).mean(axis=0)
    looked = np.concatenate([lut.apply(f, table).reshape(-1, 3) for f in frames])
    after = linear_to_lab(np.clip(to_linear(looked, transfer), 0, None)).mean(axis=0)
    book = linear_to_lab(np.clip(np.concatenate([s.reshape(-1, 3) for s in stills]), 0, None)).mean(
        axis=0
    )
    document = {
        "schema": SCHEMA,
        "source": str(source),
        "lookbook": [str(p) for p in lookbook],
        "output": str(out),
        "format": preset,
        "frames": count,
        "method": args.method,
        "strength": args.strength,
        "lut": str(args.lut) if args.lut else None,
        "lab_mean_before": np.round(before, 2).tolist(),
        "lab_mean_after": np.round(after, 2).tolist(),
        "lab_mean_lookbook": np.round(book, 2).tolist(),
    }
    if args.json:
        emit_json(document)
    else:
        console.print(
            f"mean L*a*b*: shot {document['lab_mean_before']} → {document['lab_mean_after']} "
            f"(lookbook {document['lab_mean_lookbook']}; {args.method}, strength "
            f"{args.strength:g})"
        )
        console.print(f"wrote {out} ({preset}, {count} frames)")
    return 0
