"""Find where a phrase is said in a project's dialogue: each hit with its source, the
shots (takes) whose frames hold it, and SMPTE timecode at the source's frame rate.
Matching ignores case and punctuation and tolerates words split or joined differently
("someone" finds "some one"). Sources not yet transcribed, or changed since, are
transcribed first (extra [asr]: pip install 'reelgraph[asr]')."""

from __future__ import annotations

import argparse
from typing import Any

from reelgraph.analyse.transcripts import SEARCH_SCHEMA, require_recogniser, search_project
from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    add_quiet_option,
    console,
    emit_or_show,
    project_from,
    quiet,
)
from reelgraph.cli.transcribe import transcribe_sources
from reelgraph.errors import UsageError

HELP = "find where a phrase is said: takes and timecodes (extra [asr])"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("phrase", help='the words to find, e.g. "best of times"')
    add_project_option(parser)
    add_json_option(parser, SEARCH_SCHEMA)
    add_quiet_option(parser)


def run(args: argparse.Namespace) -> int:
    if not any(ch.isalnum() for ch in args.phrase):
        raise UsageError(
            f"the phrase {args.phrase!r} has no word to search for",
            hint='reelgraph search -p DIR "best of times"',
        )
    require_recogniser()
    project = project_from(args)
    transcribe_sources(project, silent=quiet(args))  # new or changed sources first
    document = search_project(project, args.phrase)
    return emit_or_show(args, document, _print)


def _print(document: dict[str, Any]) -> None:
    hits = document["hits"]
    console.print(f"[bold]{document['phrase']!r}[/]: {len(hits)} hit{'s' * (len(hits) != 1)}")
    for hit in hits:
        where = (
            ", ".join(f"{s['shot']}{' ★' if s['chosen_take'] else ''}" for s in hit["shots"])
            or "outside every shot"
        )
        tc = f"{hit['start_tc']}–{hit['end_tc']}" if hit["start_tc"] else f"{hit['start_s']:.2f} s"
        console.print(
            f"  {hit['source']:<16} {tc}  {where}  “{hit['text']}”  "
            f"(confidence {hit['confidence']:.2f})"
        )
