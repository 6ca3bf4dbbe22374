"""Group takes of one setup and rank them: sharpness, exposure and clipping, camera shake,
a face present and in focus, speech, QC defects (flash, black, freeze, flicker), each with
its score and the reason for it. The best take of each setup is chosen automatically; in a
project, a shot's `take:` in brief.yaml names the take to use instead (audited).

Either give video files (each file is a take), or -p DIR to rank the project's shots
(after ingest, so split rushes are ranked shot by shot)."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from reelgraph.agents.takes import Take, choose_takes, measure_take
from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_or_show,
    ingest_and_say,
    project_from,
)
from reelgraph.errors import UsageError
from reelgraph.project.folder import Project
from reelgraph.project.store import AnalysisRecord, dumps

HELP = "group takes of one setup, rank them with reasons, choose the best (--json)"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path, help="video files, one take each")
    add_project_option(parser, default=None, help="rank the shots of this project instead")
    add_json_option(parser, "reelgraph.Takes.1")


def run(args: argparse.Namespace) -> int:
    if bool(args.files) == bool(args.project):
        raise UsageError(
            "give either video files or --project DIR",
            hint="reelgraph takes take1.mov take2.mov …, or reelgraph takes -p DIR",
        )
    if args.project:
        document = _project_takes(project_from(args), quiet=args.json)
    else:
        takes = [Take(path.stem, path) for path in args.files]
        names = [t.name for t in takes]
        if len(set(names)) != len(names):
            takes = [Take(str(path), path) for path in args.files]
        document = choose_takes([measure_take(t) for t in takes])
    return emit_or_show(args, document, _print)


def _project_takes(project: Project, quiet: bool) -> dict[str, Any]:
    brief = project.brief()
    ingest_and_say(project, brief, silent=quiet)
    takes = [
        Take(r.id, Path(r.path), r.start_frame, r.end_frame) for r in project.store.shot_sources()
    ]
    overrides = {shot.id: shot.take for scene in brief.scenes for shot in scene.shots if shot.take}
    document = choose_takes([measure_take(t) for t in takes], overrides)
    key = hashlib.sha256(dumps(document).encode()).hexdigest()
    with project.store.transaction():
        for group in document["groups"]:
            for entry in group["takes"]:
                data = {
                    "setup": group["setup"],
                    "total": entry["total"],
                    "chosen": entry["take"] == group["chosen"],
                    "chosen_by": group["chosen_by"],
                }
                project.store.put_analysis(AnalysisRecord(entry["take"], "take", key, dumps(data)))
            if group["chosen_by"] == "brief":
                _audit_override(project, group)
    return document


def _audit_override(project: Project, group: dict[str, Any]) -> None:
    """Record a person's choice over the automatic one, once per distinct decision."""
    subject = ",".join(sorted(entry["take"] for entry in group["takes"]))
    data = {"automatic": group["best"], "chosen": group["chosen"]}
    if project.store.last_audit_data("take_override", subject) != data:
        project.audit.append("take_override", subject, data)


def _print(document: dict[str, Any]) -> None:
    for group in document["groups"]:
        how = "chosen in brief.yaml" if group["chosen_by"] == "brief" else "best"
        console.print(f"[bold]setup {group['setup']}[/]  {group['chosen']} ({how})")
        for entry in group["takes"]:
            mark = "★" if entry["take"] == group["chosen"] else " "
            console.print(f"  {mark} {entry['take']:<24} {entry['total']:.2f}")
            for name, criterion in entry["criteria"].items():
                console.print(
                    f"      {name:<10} {criterion['score']:.2f}  {criterion['why']}", style="dim"
                )
