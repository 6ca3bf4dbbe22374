"""Restoration rules (plate restoration issue): steps between conform and grade."""

from __future__ import annotations

from reelgraph.orchestrator.graph import Node
from reelgraph.rules import ShotContext


def picture_steps(ctx: ShotContext, upstream: str) -> list[Node]:
    """Restoration nodes for this shot (none until the restoration agents exist)."""
    return []
