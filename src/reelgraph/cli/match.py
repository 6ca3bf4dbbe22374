"""Match a shot's colour to a hero shot (or a frame grab of it), for continuity within a
scene, and export the decision as an ASC CDL and a 33³ .cube.

The correction is estimated from what the two share: SIFT features verified by a RANSAC
homography give colour pairs over the whole overlap, pooled over frames spread through the
shot; a robust (Huber) fit in scene-linear light gives one transform for the whole shot —
no frame-to-frame flicker. Where the views share nothing, masked statistics of neutrals
(and skin, where both show it) are used, and the report says so. The decision is an ASC CDL
in scene-linear BT.709 (OpenColorIO's CDL_NO_CLAMP style), plus a residual only when the CDL
cannot reach the match; it never clips more of the picture than the shot or the hero do.

SRC is rendered through the same 33³ LUT that --lut writes (so the .cube in a grading
system or FFmpeg's lut3d gives the same picture). A continuity report (HTML + JSON:
CIEDE2000 on the matched regions before/after, thumbnails side by side) is written beside
OUT. OUT, the LUT and the CDL appear only when complete.

Exit status: 0 when OUT was written; 2 on bad input (nothing is written)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reelgraph.cli.common import (
    add_json_option,
    console,
    emit_json,
    frames_bar,
    refuse_input_as_output,
)
from reelgraph.colour import lut
from reelgraph.colour.continuity import SAMPLE_FRAMES, WORKING_SPACE, match_shot
from reelgraph.colour.linear import check_transfer, from_linear, to_linear
from reelgraph.colour.lookbook import read_still
from reelgraph.colour.render import STILL_EXTENSIONS, check_video_source, render, sample_clip
from reelgraph.errors import MediaError, MediaNotFoundError
from reelgraph.media.video import PRESETS
from reelgraph.review.continuity_report import ContinuityEntry, write_continuity_report

HELP = "match a shot's colour to a hero shot; export the CDL (.cc) and a .cube"
SCHEMA = "reelgraph.Match.1"

#: --format → writer preset.
FORMATS = {"ffv1": "ffv1", "h264": "h264", "prores": "prores"}
#: OUT's extension → --format when none is given.
BY_EXTENSION = {".mkv": "ffv1", ".mp4": "h264", ".mov": "prores"}


def add_output_options(parser: argparse.ArgumentParser, schema: str) -> None:
    """Options shared by match and look (``schema``: the command's ``--json`` document)."""
    parser.add_argument("--lut", type=Path, metavar="OUT.cube", help="write the 33³ .cube too")
    parser.add_argument(
        "--format",
        choices=list(FORMATS),
        help="output format (default from OUT: .mkv ffv1, .mp4 h264, .mov prores)",
    )
    add_json_option(parser, schema)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, metavar="SRC", help="the shot to correct")
    parser.add_argument(
        "--to",
        dest="reference",
        type=Path,
        required=True,
        metavar="REF",
        help="the hero: a clip, or a still of it (PNG/TIFF/JPEG as sRGB, EXR as linear)",
    )
    parser.add_argument("output", type=Path, metavar="OUT", help="the matched clip to write")
    parser.add_argument(
        "--cdl", type=Path, metavar="OUT.cc", help="write the decision as .cc, .ccc or .cdl"
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="continuity report folder (default: OUT's name + .continuity beside OUT)",
    )
    add_output_options(parser, SCHEMA)


def output_preset(out: Path, fmt: str | None, source: Path) -> str:
    """The writer preset for OUT, refusing what cannot be written before any work."""
    if fmt is None:
        if out.suffix.lower() not in BY_EXTENSION:
            raise MediaError(
                f"{out}: cannot tell the output format from '{out.suffix}'",
                hint=f"name OUT .mkv, .mp4 or .mov, or pass --format ({', '.join(FORMATS)})",
            )
        fmt = BY_EXTENSION[out.suffix.lower()]
    preset = FORMATS[fmt]
    extension = PRESETS[preset].extension
    if out.suffix.lower() != extension:
        raise MediaError(
            f"{out}: {fmt} is written as {extension}",
            hint=f"name OUT {out.with_suffix(extension).name}",
        )
    lut.check_destination(out, "video")
    refuse_input_as_output(out, source)
    return preset


def render_with_progress(source: Path, out: Path, table: Any, preset: str, label: str) -> int:
    with frames_bar(label) as update:
        return render(source, out, table, preset, update)


def _reference(path: Path, transfer: str) -> tuple[list[Any], str]:
    if path.suffix.lower() in STILL_EXTENSIONS:
        # A still is read as scene-linear and compared in the shot's own encoding.
        return [from_linear(read_still(path), transfer)], transfer
    frames, tag = sample_clip(path, SAMPLE_FRAMES)
    return frames, tag.transfer


def run(args: argparse.Namespace) -> int:
    source, reference, out = Path(args.source), Path(args.reference), Path(args.output)
    check_video_source(source)
    if not reference.is_file():
        raise MediaNotFoundError(
            f"{reference}: the hero does not exist",
            path=reference,
            hint="give --to the hero shot's clip, or a still of it (PNG, TIFF, JPEG, EXR)",
        )
    if reference.suffix.lower() not in STILL_EXTENSIONS:
        check_video_source(reference)
    preset = output_preset(out, args.format, source)
    if args.lut is not None:
        lut.check_destination(args.lut, ".cube")
    if args.cdl is not None:
        lut.check_cdl_destination(args.cdl)
    report_dir = args.report or out.parent / f"{out.stem}.continuity"
    if not report_dir.parent.is_dir():
        raise MediaError(
            f"{report_dir}: the folder {report_dir.parent} does not exist",
            hint="create it first, or pass --report in an existing folder",
        )
    with console.status("reading the shot and the hero…"):
        shot_frames, tag = sample_clip(source, SAMPLE_FRAMES)
        transfer = tag.transfer
        check_transfer(transfer)
        hero_frames, hero_transfer = _reference(reference, transfer)
    with console.status("matching…"):
        result = match_shot(
            shot_frames,
            hero_frames,
            transfer=transfer,
            hero_transfer=hero_transfer,
            primaries=tag.primaries,
        )
        table = result.decision.table()
    frames = render_with_progress(source, out, table, preset, "match")
    title = f"{source.stem} matched to {reference.stem}"
    if args.lut is not None:
        lut.write_cube(args.lut, table, title)
    if args.cdl is not None:
        lut.write_cdl(args.cdl, source.stem, result.decision.cdl, f"{title}; {WORKING_SPACE}")
        residual = result.decision.residual_table()
        if residual is not None:
            lut.write_cube(args.cdl.with_suffix(".residual.cube"), residual, f"{title} residual")
    middle = len(shot_frames) // 2
    hero_view = hero_frames[len(hero_frames) // 2]
    if hero_transfer != transfer:
        hero_view = from_linear(to_linear(hero_view, hero_transfer), transfer)
    entry = ContinuityEntry(
        source.stem,
        reference.stem,
        result.to_dict(),
        hero_view,
        shot_frames[middle],
        lut.apply(shot_frames[middle], table),
    )
    index = write_continuity_report(report_dir, [entry], f"Continuity: {title}")
    document = {
        "schema": SCHEMA,
        "source": str(source),
        "reference": str(reference),
        "output": str(out),
        "format": preset,
        "frames": frames,
        "lut": str(args.lut) if args.lut else None,
        "cdl_file": str(args.cdl) if args.cdl else None,
        "report": str(index),
        **result.to_dict(),
    }
    if args.json:
        emit_json(document)
    else:
        for note in result.notes:
            console.print(f"  {note}")
        cdl = result.decision.cdl
        console.print(
            f"ΔE2000 to the hero on matched regions: {result.delta_e_before:.2f} → "
            f"{result.delta_e_after:.2f} ({result.method})"
        )
        console.print(
            "CDL (scene-linear): slope "
            + " ".join(f"{v:.4f}" for v in cdl.slope)
            + " offset "
            + " ".join(f"{v:.4f}" for v in cdl.offset)
            + f" sat {cdl.saturation:.4f}"
        )
        console.print(f"wrote {out} ({preset}, {frames} frames); report {index}")
    return 0
