"""Progress events: what the runner tells front ends (terminal, web app, scripts).

Events are also appended, one JSON object a line, to ``.reelgraph/events.jsonl`` so other
processes can follow a run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Event:
    kind: str  # run_start, node_start, progress, node_done, variant, run_done
    node: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


EventSink = Callable[[Event], None]


class EventLog:
    """Fans events out to the callbacks and the JSONL file."""

    def __init__(self, path: Path | None, sinks: list[EventSink]) -> None:
        self.path = path
        self.sinks = sinks
        self._handle = path.open("a", encoding="utf-8") if path else None

    def __call__(self, event: Event) -> None:
        for sink in self.sinks:
            sink(event)
        if self._handle and event.kind != "progress":
            self._handle.write(json.dumps(asdict(event), default=str) + "\n")
            self._handle.flush()

    def close(self) -> None:
        if self._handle:
            self._handle.close()
