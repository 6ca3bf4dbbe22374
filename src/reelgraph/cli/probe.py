"""Describe a media file: container, duration and every stream (codec, size, rational frame
rate, frame count, pixel format, bit depth, colour primaries/transfer/matrix/range; audio
codec, rate, channels, layout)."""

from __future__ import annotations

import argparse
from pathlib import Path

from reelgraph.cli.common import add_json_option, console, emit_json
from reelgraph.media.probe import probe


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    add_json_option(parser, "reelgraph.Probe.1")


def run(args: argparse.Namespace) -> int:
    info = probe(args.file)
    data = info.to_dict()
    if args.json:
        emit_json(data)
        return 0
    console.print(f"[bold]{data['path']}[/]  {data['container']}  {data['duration_s']:.3f} s")
    for s in data["streams"]:
        if s["kind"] == "video":
            c = s["colour"]
            assumed = f" (assumed: {', '.join(c['assumed'])})" if c["assumed"] else ""
            console.print(
                f"  #{s['index']} video {s['codec']} {s['width']}×{s['height']} "
                f"{s['frame_rate']} fps, {s['frame_count']} frames, {s['pixel_format']} "
                f"{s['bit_depth']}-bit {s['chroma_subsampling']}, {c['primaries']}/"
                f"{c['transfer']}/{c['matrix']}/{c['range']}{assumed}"
                + (", VARIABLE frame rate" if s["variable_frame_rate"] else "")
            )
        else:
            console.print(
                f"  #{s['index']} audio {s['codec']} {s['sample_rate']} Hz "
                f"{s['channels']} ch ({s['layout']})"
            )
    return 0
