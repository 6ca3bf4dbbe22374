"""Build the first cut from the brief's `edit` section and print it, with the reason for
every clip: which take fills each slot, its trims, the transition into it, and what pacing
did. The cut is held as an OpenTimelineIO timeline in .reelgraph/cut.otio (re-made at every
run of this command), which an editing system can open."""

from __future__ import annotations

import argparse
import json
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio
from numpy.typing import NDArray

from reelgraph.agents.takes import frame_activity
from reelgraph.cli.common import (
    add_project_option,
    console,
    emit_json,
    ingest_and_say,
    project_from,
)
from reelgraph.plan.rules.editorial import ShotMedia, cut_document, plan_cut, to_timeline
from reelgraph.project.folder import STATE_DIR, Project
from reelgraph.timecode import frames_to_timecode

HELP = "build the first cut (OpenTimelineIO) from the brief's edit section and explain it"

TIMELINE_FILE = "cut.otio"


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument(
        "--json", action="store_true", help="print reelgraph.Cut.1 JSON on stdout (docs/cli.md)"
    )


def _shots(project: Project) -> dict[str, ShotMedia]:
    rows = project.store.query(
        "SELECT shots.id AS id, sources.path AS path, start_frame, end_frame, "
        "sources.probe_json AS probe FROM shots JOIN sources ON sources.id = shots.source "
        "ORDER BY shots.rowid"
    )
    shots = {}
    for row in rows:
        rate = Fraction(str(json.loads(row["probe"]).get("frame_rate", "25/1")))
        shots[row["id"]] = ShotMedia(
            row["id"], Path(row["path"]), row["start_frame"], row["end_frame"], rate
        )
    return shots


def _chosen_takes(project: Project) -> dict[str, str]:
    """Shot → the take chosen for its setup by the latest ``reelgraph takes -p``."""
    rows = project.store.query(
        "SELECT shot, data_json FROM analysis WHERE kind = 'take' AND key = "
        "(SELECT key FROM analysis WHERE kind = 'take' ORDER BY rowid DESC LIMIT 1)"
    )
    data = {row["shot"]: json.loads(row["data_json"]) for row in rows}
    chosen_of_setup = {d["setup"]: shot for shot, d in data.items() if d.get("chosen")}
    return {
        shot: chosen_of_setup[d["setup"]]
        for shot, d in data.items()
        if d["setup"] in chosen_of_setup
    }


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    brief = project.brief()
    ingest_and_say(project, brief, silent=args.json)

    def activity(media: ShotMedia) -> NDArray[np.float64]:
        return frame_activity(media.path, media.first, media.last, float(media.rate))

    clips = plan_cut(brief, _shots(project), _chosen_takes(project), activity)
    timeline = to_timeline(brief.project, clips)
    path = project.root / STATE_DIR / TIMELINE_FILE
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    otio.adapters.write_to_file(timeline, str(tmp), adapter_name="otio_json")
    os.replace(tmp, path)  # never a half-written timeline
    document = cut_document(clips, path)
    if args.json:
        emit_json(document)
    else:
        _print(document)
    return 0


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
