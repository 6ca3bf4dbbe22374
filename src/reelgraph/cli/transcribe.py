"""Word-timed transcripts of dialogue, with PocketSphinx's US-English model (extra
[asr]: pip install 'reelgraph[asr]'; nothing is downloaded).

With FILE, prints the words of its first sound track with their times. With -p DIR,
transcribes every source of the project that has sound and stores the words per source,
for 'reelgraph search': a source is transcribed again only when its file or the model
changes (--force: always)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from reelgraph.analyse.transcripts import (
    TRANSCRIPTS_SCHEMA,
    SoundProgress,
    require_recogniser,
    transcribe_file,
    transcribe_project,
    transcript_document,
)
from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    add_quiet_option,
    console,
    emit_json,
    ingest_and_say,
    progress_bar,
    project_from,
    quiet,
)
from reelgraph.errors import UsageError
from reelgraph.project.folder import Project
from reelgraph.project.store import SourceRecord, TranscriptRecord

HELP = "word-timed transcripts of dialogue, per file or per project source (extra [asr])"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", type=Path, help="a media file with sound")
    add_project_option(parser, default=None, help="transcribe every source of this project instead")
    parser.add_argument(
        "--force", action="store_true", help="with -p: transcribe again even if unchanged"
    )
    add_json_option(parser, TRANSCRIPTS_SCHEMA)
    add_quiet_option(parser)


@contextmanager
def sound_bar(silent: bool) -> Iterator[Progress]:
    """A bar in seconds of sound decoded, on stderr when it is a terminal."""
    with progress_bar(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:>6.0f}/{task.total:<6.0f} s of sound"),
        TimeRemainingColumn(),
        silent=silent,
    ) as progress:
        yield progress


def bar_for(progress: Progress, name: str) -> SoundProgress:
    task = progress.add_task(f"transcribing {name}", total=None)

    def advance(done: float, total: float) -> None:
        progress.update(task, completed=done, total=total or None)

    return advance


def transcribe_sources(
    project: Project, *, silent: bool, force: bool = False
) -> list[tuple[TranscriptRecord, bool]]:
    """The project ingested (so a changed file is seen), then every source with sound
    transcribed where it is new or changed, a bar per source; (record, made now) each."""
    ingest_and_say(project, silent=silent)
    with sound_bar(silent) as progress:

        def on_source(source: SourceRecord) -> SoundProgress:
            return bar_for(progress, source.id)

        return transcribe_project(project, force=force, on_source=on_source)


def run(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.project):
        raise UsageError(
            "give either a media file or --project DIR",
            hint="reelgraph transcribe interview.wav, or reelgraph transcribe -p DIR",
        )
    if args.force and not args.project:
        raise UsageError("--force applies to a project", hint="add -p DIR")
    require_recogniser()  # before ingest or decoding: say what to install first
    silent = quiet(args)
    documents: list[dict[str, Any]] = []
    if args.file:
        with sound_bar(silent) as progress:
            transcript = transcribe_file(args.file, progress=bar_for(progress, args.file.name))
        documents.append({**transcript_document(args.file.name, transcript), "made": True})
    else:
        project = project_from(args)
        for record, made in transcribe_sources(project, silent=silent, force=args.force):
            words = record.words
            documents.append(
                {
                    "source": record.source,
                    "model": record.model,
                    "text": " ".join(w["text"] for w in words),
                    "words": words,
                    "made": made,
                }
            )
    if args.json:
        emit_json({"schema": TRANSCRIPTS_SCHEMA, "transcripts": documents})
    else:
        _print(documents, project=bool(args.project))
    return 0


def _print(documents: list[dict[str, Any]], *, project: bool) -> None:
    if project and not documents:
        console.print("no source with sound to transcribe")
    for document in documents:
        how = "transcribed" if document["made"] else "unchanged, stored transcript"
        console.print(
            f"[bold]{document['source']}[/]  {len(document['words'])} words  "
            f"({document['model']}; {how})"
        )
        line: list[str] = []
        start = None
        for word in document["words"]:
            start = word["start_s"] if start is None else start
            line.append(word["text"])
            if len(line) == 12:
                console.print(f"  {start:>8.2f} s  {' '.join(line)}")
                line, start = [], None
        if line and start is not None:
            console.print(f"  {start:>8.2f} s  {' '.join(line)}")
