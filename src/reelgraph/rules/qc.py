"""QC rules: checks that run on each shot's master (and sound)."""

from __future__ import annotations

from reelgraph.orchestrator.graph import Node
from reelgraph.rules import ShotContext


def check_steps(ctx: ShotContext, master: str, sound: str | None) -> list[Node]:
    """QC nodes for this shot (none until the QC agent exists)."""
    return []
