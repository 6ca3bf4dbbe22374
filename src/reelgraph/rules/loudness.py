"""Dialogue and loudness rules: steps between extract_audio and master."""

from __future__ import annotations

from reelgraph.orchestrator.graph import Node
from reelgraph.rules import ShotContext


def sound_steps(ctx: ShotContext, upstream: str) -> list[Node]:
    """Loudness nodes for this shot (none until the loudness agents exist)."""
    return []


def analysis_steps(ctx: ShotContext, picture: str, sound: str | None) -> list[Node]:
    """Analysis nodes run before planning (``reelgraph analyse``); each writes
    ``analysis.json`` and its output meta names the ``analysis_kind`` stored for the shot."""
    return []
