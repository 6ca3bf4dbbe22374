"""Helpers every command uses: the shared options (``-p/--project``, ``--json``,
``--executor``, ``--workers``, ``-q/--quiet``, ``--conform``, ``--override-rights``, each
defined here once), the console, JSON output, opening the project, saying what ingest did,
progress bars (when one shows is decided here once)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from reelgraph.errors import MediaError, ReelgraphError, UsageError
from reelgraph.ingest.sources import IngestedSource, ingest
from reelgraph.orchestrator.events import Event
from reelgraph.orchestrator.executor import Executor, make_executor
from reelgraph.project.brief import Brief
from reelgraph.project.folder import Project, open_project

#: Exit status when the work was done but its result did not pass: not compliant, QC
#: failed, shots held, a run not completed (docs/cli.md, "Exit codes"). Errors exit 2.
EXIT_NOT_PASSED = 1

console = Console(stderr=True, highlight=False)

#: Where nodes run: a process pool on this machine, in this process, or a Ray cluster.
EXECUTORS = ("local", "inline", "ray")


# -- the shared options --------------------------------------------------------------------


def add_project_option(
    parser: argparse.ArgumentParser,
    *,
    default: str | None = ".",
    help: str = "project folder (default: .)",
) -> None:
    """``-p/--project DIR``; a command on files that may record its work in a project passes
    ``default=None`` and says where the work goes without one."""
    parser.add_argument("--project", "-p", default=default, metavar="DIR", help=help)


def add_json_option(parser: argparse.ArgumentParser, schema: str) -> None:
    """``--json``: print one document labelled ``schema`` (see docs/cli.md) on stdout."""
    parser.add_argument(
        "--json", action="store_true", help=f"print {schema} JSON on stdout (docs/cli.md)"
    )


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bars or per-step lines"
    )


def add_conform_option(parser: argparse.ArgumentParser) -> None:
    """``--conform``, for commands that ingest (ingest, run)."""
    parser.add_argument(
        "--conform",
        action="store_true",
        help="accept variable-frame-rate sources, resampled to their average rate",
    )


def add_override_rights_option(parser: argparse.ArgumentParser) -> None:
    """``--override-rights``, for commands that deliver (deliver, run)."""
    parser.add_argument(
        "--override-rights",
        action="store_true",
        help="deliver even shots whose sources' rights are not cleared (each override is audited)",
    )


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """``--executor`` and ``--workers``, for commands that run nodes."""
    parser.add_argument(
        "--executor",
        default="local",
        choices=EXECUTORS,
        help="where nodes run: local process pool (default), inline (this process) or ray",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="processes for the local executor (default: one per core)",
    )


@contextmanager
def refused_as_usage(option: str) -> Iterator[None]:
    """An option's value that the library refuses (an unknown spec name…) is a usage
    error: ``error: OPTION: why`` with the library's hint, exit 2, before any work."""
    try:
        yield
    except ReelgraphError as exc:
        raise UsageError(f"{option}: {exc.message}", hint=exc.hint) from None


def executor_from(args: argparse.Namespace) -> Executor:
    return make_executor(args.executor, args.workers)


def quiet(args: argparse.Namespace) -> bool:
    """No chatter on stderr: asked for, or stdout carries JSON for a script."""
    return bool(getattr(args, "quiet", False) or getattr(args, "json", False))


# -- output and the project ----------------------------------------------------------------


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def emit_or_show(
    args: argparse.Namespace, document: dict[str, Any], show: Callable[[dict[str, Any]], None]
) -> int:
    """The command's document as JSON on stdout with ``--json``, else ``show`` writes it for
    a person; exit status 0."""
    if args.json:
        emit_json(document)
    else:
        show(document)
    return 0


def require_output_folder(out: Path) -> None:
    """OUT's folder must exist: refused before any work (nothing is created on the way)."""
    if not out.parent.is_dir():
        raise MediaError(
            f"{out.parent}: the output folder does not exist",
            hint="create it first, or write OUT into an existing folder",
        )


def refuse_input_as_output(
    out: Path, source: Path, hint: str = "write the result under a new name"
) -> None:
    """OUT must not be the input: writing over it would lose the original (refused before
    any work, as a bad argument)."""
    if out.exists() and source.exists() and out.resolve() == source.resolve():
        raise UsageError(f"{out}: OUT is the input file", hint=hint)


def project_from(args: argparse.Namespace) -> Project:
    return open_project(Path(args.project))


def ingest_and_say(
    project: Project,
    brief: Brief | None = None,
    *,
    conform: bool = False,
    silent: bool = False,
    split: bool = False,
) -> list[IngestedSource]:
    """Ingest the brief's sources (commands that read the store do so first, so that an
    edited brief or a replaced file is seen) and say which sources were new or changed."""
    before = {row.id: row.fingerprint for row in project.store.sources()}
    found = ingest(project, brief, conform=conform, split=split)
    if not silent:
        changed = [s for s in found if before.get(s.id) != s.fingerprint]
        if changed:
            for s in changed:
                state = "new" if s.id not in before else "changed"
                console.print(
                    f"ingested {s.id} ({state}): {s.path.name} sha256:{s.fingerprint[:12]}…"
                )
        else:
            console.print(
                f"ingest: {len(found)} source(s) unchanged since the last ingest", style="dim"
            )
    return found


# -- progress ------------------------------------------------------------------------------

#: The count a bar of frames shows beside it.
FRAMES_DONE = "{task.completed:>5.0f}/{task.total:<5.0f} frames"

#: Advances a bar: (frames done, frames in all).
FrameProgress = Callable[[int, int], None]


def progress_bar(*columns: str | ProgressColumn, silent: bool = False) -> Progress:
    """A bar on stderr that is gone when the work is; none when ``silent`` or when stderr
    is not a terminal (a log or a pipe would keep every redraw)."""
    return Progress(
        *columns,
        console=console,
        transient=True,
        disable=silent or not console.is_terminal,
    )


@contextmanager
def frames_bar(label: str, *, total: int = 1, silent: bool = False) -> Iterator[FrameProgress]:
    """One bar of frames done for one piece of work, with time left; yields the callback
    that advances it (a total of 0 is shown as 1, so the bar never divides by zero)."""
    with progress_bar(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn(FRAMES_DONE),
        TimeRemainingColumn(),
        silent=silent,
    ) as bar:
        task = bar.add_task(label, total=max(1, total))

        def update(done: int, count: int) -> None:
            bar.update(task, completed=done, total=max(1, count))

        yield update


class ProgressView:
    """A bar per running node (frames done, ETA) and a line with the money spent so far."""

    def __init__(self, quiet: bool = False) -> None:
        self.progress = progress_bar(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn(FRAMES_DONE),
            TimeRemainingColumn(),
            TextColumn("{task.fields[cost]}"),
            silent=quiet,
        )
        self.tasks: dict[str, TaskID] = {}
        self.quiet = quiet
        self.spent = 0.0

    def __enter__(self) -> ProgressView:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, event: Event) -> None:
        spent = event.data.get("spent_usd")
        if spent is not None:
            self.spent = float(spent)
        cost = f"${self.spent:.4f} spent"
        if event.kind == "node_start" and event.node:
            total = max(1, int(event.data.get("frames") or 1))
            self.tasks[event.node] = self.progress.add_task(event.node, total=total, cost=cost)
        elif event.kind == "progress" and event.node in self.tasks:
            self.progress.update(
                self.tasks[event.node],
                completed=event.data["done"],
                total=event.data["total"],
                cost=cost,
            )
        elif event.kind == "node_done" and event.node:
            task = self.tasks.pop(event.node, None)
            if task is not None:
                self.progress.remove_task(task)
            if not self.quiet:
                outcome = event.data["outcome"]
                colour = {"ran": "green", "cached": "cyan", "failed": "red"}.get(outcome, "yellow")
                reason = f" — {event.data['reason']}" if event.data.get("reason") else ""
                console.print(
                    f"  [{colour}]{outcome:>7}[/] {event.node}"
                    f"  ${event.data.get('cost_usd', 0):.4f}{reason}"
                )
        elif event.kind == "variant" and not self.quiet:
            console.print(f"  [magenta]variant[/] {event.node} #{event.data['variant']}")
