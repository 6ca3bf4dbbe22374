"""Rotoscope a clip: per-frame alpha mattes of its subject, steady over time.

The first guess of each frame comes from a subject model (``person``: MediaPipe selfie
segmentation; ``salient``: U²-Net-p) or from your keyframe masks (``--keyframe
FRAME:MASK.png``, a greyscale mask with white = subject, at the clip's resolution). The
guess is refined into a soft matte whose edges follow the picture (trimap, guided
feathering) and steadied along the optical flow; a keyframe is reproduced exactly on its
frame and propagated to the frames after it. Frames where the chain cannot follow the
motion are listed as needing a new keyframe.

OUT is a new folder: NAME.NNNNNN.png (16-bit greyscale; or .exr, half float, channel A)
per frame, preview.mp4 (the subject over a checkerboard) and roto.json. It appears only
when complete. Exit status: 0 when OUT was written; 2 on bad input (nothing is written)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from reelgraph.agents.roto import (
    DEFAULT_FORMAT,
    DEFAULT_SUBJECT,
    ROTO_SCHEMA,
    SUBJECTS,
    SUMMARY_FILE,
    Roto,
    parse_keyframe,
    read_keyframes,
)
from reelgraph.cli.common import (
    add_json_option,
    add_quiet_option,
    console,
    emit_json,
    frames_bar,
    quiet,
    require_output_folder,
)
from reelgraph.errors import MediaError, UsageError
from reelgraph.ingest.sources import source_meta
from reelgraph.media.mattes import MATTE_FORMATS
from reelgraph.media.probe import probe
from reelgraph.media.roto_models import SUBJECT_MODELS, load_subject_model
from reelgraph.orchestrator.agent import Input, NodeContext

HELP = "per-frame subject mattes (person, salient or keyframe masks), steady over time"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="IN", help="video file to rotoscope")
    parser.add_argument("output", type=Path, metavar="OUT", help="folder to create")
    parser.add_argument(
        "--subject",
        choices=SUBJECTS,
        help=f"what to cut out (default: keyframe when --keyframe is given, else "
        f"{DEFAULT_SUBJECT})",
    )
    parser.add_argument(
        "--keyframe",
        action="append",
        default=[],
        metavar="FRAME:MASK",
        help="a mask for frame FRAME (from 0): greyscale PNG/TIFF/EXR, white = subject, at "
        "the clip's size; repeat for more keyframes",
    )
    parser.add_argument(
        "--format", choices=list(MATTE_FORMATS), default=DEFAULT_FORMAT, help="matte files"
    )
    parser.add_argument("--name", help="file name stem of the mattes (default: IN's name)")
    add_json_option(parser, ROTO_SCHEMA)
    add_quiet_option(parser)


def _check_output(out: Path) -> None:
    require_output_folder(out)
    if out.exists() and (out.is_file() or any(out.iterdir())):
        raise MediaError(
            f"{out}: exists and is not an empty folder",
            hint="choose a new folder name, or remove the old mattes first",
        )


def run(args: argparse.Namespace) -> int:
    source, out = Path(args.input), Path(args.output)
    info = probe(source)
    if not info.video:
        raise MediaError(f"{source}: has no video stream", hint="roto takes a video clip")
    _check_output(out)
    meta = source_meta(info)
    width, height, total = int(meta["width"]), int(meta["height"]), int(meta["frames"])
    keyframes = tuple(parse_keyframe(text) for text in args.keyframe)
    subject = args.subject or ("keyframe" if keyframes else DEFAULT_SUBJECT)
    if subject == "keyframe" and not keyframes:
        raise UsageError(
            "--subject keyframe needs at least one --keyframe FRAME:MASK",
            hint="paint the subject on one frame (white on black, the clip's size) and "
            "pass it, e.g. --keyframe 0:hero.png",
        )
    # Everything that can be refused is refused before OUT is touched.
    read_keyframes(keyframes, width, height, total, base=Path.cwd())
    if subject in SUBJECT_MODELS:
        load_subject_model(subject)
    absolute = tuple((frame, str(Path(path).resolve())) for frame, path in keyframes)
    params = Roto.make_params(
        {
            "subject": subject,
            "keyframes": absolute,
            "name": args.name or source.stem,
            "format": args.format,
        }
    )
    work = out.parent / f".{out.name}.{secrets.token_hex(4)}.tmp"
    work.mkdir()
    try:
        with frames_bar("roto", total=total, silent=quiet(args)) as progress:
            item = Input("source", source, meta)
            Roto().run(NodeContext("roto", [item], params, {}, work, 0, progress))
        if out.is_dir():
            out.rmdir()  # an empty folder given as OUT
        os.replace(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary: dict[str, Any] = json.loads((out / SUMMARY_FILE).read_text())
    if args.json:
        emit_json(summary)
    elif not quiet(args):
        _report(out, summary)
    return 0


def _report(out: Path, summary: dict[str, Any]) -> None:
    model = summary["model"]
    guess = f"{model['name']} model ({model['file']})" if model else "keyframes only"
    console.print(
        f"[bold]{out}[/]: {summary['frames']} mattes {summary['pattern']} from {guess}, "
        f"subject {100 * summary['mean_area']:.1f} % of the frame on average"
    )
    if summary["edge_jitter_px"] is not None:
        console.print(f"edge moves {summary['edge_jitter_px']:.2f} px per frame on average")
    for finding in summary["findings"]:
        console.print(f"  [yellow]warning[/] {finding['message']}")
    if not summary["findings"]:
        console.print("no frame needs a new keyframe")
