"""Helpers every command uses: the console, JSON output, opening the project, progress."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from reelgraph.orchestrator.events import Event
from reelgraph.project.folder import Project, open_project

console = Console(stderr=True, highlight=False)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def project_from(args: argparse.Namespace) -> Project:
    return open_project(Path(args.project))


class ProgressView:
    """A bar per running node (frames done, ETA) and a line with the money spent so far."""

    def __init__(self, quiet: bool = False) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:>5.0f}/{task.total:<5.0f} frames"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[cost]}"),
            console=console,
            transient=True,
            disable=quiet or not console.is_terminal,
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
