"""Dialogue and loudness rules: steps between extract_audio and master."""

from __future__ import annotations

from reelgraph.orchestrator.graph import Node
from reelgraph.rules import ShotContext


def sound_steps(ctx: ShotContext, upstream: str) -> list[Node]:
    """Loudness nodes for this shot (none until the loudness agents exist)."""
    return []
