"""Build the first cut from the brief's `edit` section and print it, with the reason for
every clip: which take fills each slot, its trims, the transition into it, and what pacing
did. The cut is held as an OpenTimelineIO timeline in .reelgraph/cut.otio (re-made at every
run of this command), which an editing system can open."""

from __future__ import annotations

import argparse
import os
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_or_show,
    ingest_and_say,
    project_from,
)
from reelgraph.plan.rules.editorial import cut_document, to_timeline
from reelgraph.plan.timeline import project_cut
from reelgraph.project.folder import STATE_DIR
from reelgraph.timecode import frames_to_timecode

HELP = "build the first cut (OpenTimelineIO) from the brief's edit section and explain it"

TIMELINE_FILE = "cut.otio"


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    add_json_option(parser, "reelgraph.Cut.1")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    brief = project.brief()
    ingest_and_say(project, brief, silent=args.json)

    clips = project_cut(project, brief)
    timeline = to_timeline(brief.project, clips)
    path = project.root / STATE_DIR / TIMELINE_FILE
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    otio.adapters.write_to_file(timeline, str(tmp), adapter_name="otio_json")
    os.replace(tmp, path)  # never a half-written timeline
    document = cut_document(clips, path)
    return emit_or_show(args, document, _print)


def _print(document: dict[str, Any]) -> None:
    rate = Fraction(document["frame_rate"])
    console.print(
        f"[bold]first cut[/]  {len(document['clips'])} clips, {document['frames']} frames "
        f"({frames_to_timecode(document['frames'], rate)}), timeline {document['timeline']}"
    )
    for n, clip in enumerate(document["clips"], start=1):
        transition = clip["transition"]
        into = "cut" if transition["kind"] == "cut" else f"dissolve {transition['frames']}"
        console.print(
            f"  {n:>3}  {frames_to_timecode(clip['record_in'], rate)}  {clip['slot']:<20} "
            f"take {clip['take']:<20} src {clip['source_in']}–{clip['source_out']}  {into}"
        )
        for reason in clip["why"]:
            console.print(f"         {reason}", style="dim")
