"""Planning rules: which steps a shot gets, with which parameters, and why.

The planner (:mod:`reelgraph.plan.planner`) builds each shot as

    picture: conform → picture_steps… → grade → display_steps… → master
    sound:   extract_audio → sound_steps… ─────────────────────────┘
    checks:  check_steps(master, sound)

and asks each craft's rule module for its steps. A rule returns nodes chained from the
``upstream`` node id it is given (the last returned node becomes the new upstream) and
explains every decision in the node's ``explanation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelgraph.orchestrator.registry import Registry
from reelgraph.project.brief import Brief
from reelgraph.specs.delivery import DeliverySpec


@dataclass(frozen=True)
class ShotContext:
    """What a rule may read about one shot."""

    registry: Registry
    brief: Brief
    spec: DeliverySpec
    scene: str
    variables: dict[str, Any]  # the scene's variables (brief + ``reelgraph set``)
    shot: str
    source: str  # source id
    first: int
    last: int
    source_meta: dict[str, Any]  # probe essentials (frames, width, height, audio_rate…)
    analysis: dict[str, Any] = field(default_factory=dict)  # kind → data, from the store

    @property
    def frames(self) -> int:
        return self.last - self.first + 1

    def reads(self, agent: str) -> dict[str, Any]:
        """The values of the scene variables that ``agent`` declares it reads."""
        names = self.registry.get(agent).reads
        return {name: self.variables[name] for name in names if name in self.variables}
