"""The plan: a versioned, serialisable DAG of nodes, each with the reason it is there."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from reelgraph.errors import PlanError
from reelgraph.project.store import dumps

SCHEMA = "reelgraph.Plan.1"
SOURCE_PREFIX = "source:"


@dataclass(frozen=True)
class Node:
    """An agent applied to concrete inputs and parameters.

    ``inputs`` are node ids or ``source:<id>`` references, in order. ``variables`` are the
    scene variables the agent reads, with the values they had when the plan was made.
    """

    id: str
    agent: str
    params: dict[str, Any]
    inputs: tuple[str, ...]
    explanation: str
    shot: str | None = None
    scene: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    deliverable: str | None = None  # file name under deliverables/ for masters

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent,
            "shot": self.shot,
            "scene": self.scene,
            "params": self.params,
            "inputs": list(self.inputs),
            "variables": self.variables,
            "deliverable": self.deliverable,
            "explanation": self.explanation,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Node:
        return cls(
            id=data["id"],
            agent=data["agent"],
            params=dict(data["params"]),
            inputs=tuple(data["inputs"]),
            explanation=data["explanation"],
            shot=data.get("shot"),
            scene=data.get("scene"),
            variables=dict(data.get("variables", {})),
            deliverable=data.get("deliverable"),
        )


@dataclass(frozen=True)
class Plan:
    project: str
    delivery: str
    nodes: tuple[Node, ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ids = [n.id for n in self.nodes]
        if len(ids) != len(set(ids)):
            raise PlanError("plan has duplicate node ids")
        known = set(ids)
        for node in self.nodes:
            for ref in node.inputs:
                if not ref.startswith(SOURCE_PREFIX) and ref not in known:
                    raise PlanError(f"node {node.id} reads unknown node {ref!r}")
        self.order()  # raises on cycles

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise PlanError(f"no node {node_id!r} in the plan")

    def order(self) -> list[Node]:
        """Nodes in a deterministic topological order (inputs first, then plan order)."""
        sorter: TopologicalSorter[str] = TopologicalSorter()
        for node in self.nodes:
            sorter.add(node.id, *[r for r in node.inputs if not r.startswith(SOURCE_PREFIX)])
        try:
            sorter.prepare()
        except CycleError as exc:
            raise PlanError(f"plan has a cycle: {' → '.join(exc.args[1])}") from exc
        position = {n.id: i for i, n in enumerate(self.nodes)}
        ordered: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=position.__getitem__)
            ordered.extend(ready)
            sorter.done(*ready)
        return [self.node(i) for i in ordered]

    def children(self, node_id: str) -> list[Node]:
        return [n for n in self.nodes if node_id in n.inputs]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "project": self.project,
            "delivery": self.delivery,
            "notes": list(self.notes),
            "nodes": [n.to_dict() for n in self.nodes],
        }

    def digest(self) -> str:
        return hashlib.sha256(dumps(self.to_dict()).encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        data = upgrade(data)
        return cls(
            project=data["project"],
            delivery=data["delivery"],
            nodes=tuple(Node.from_dict(n) for n in data["nodes"]),
            notes=tuple(data.get("notes", ())),
        )


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older serialised plan to the current schema (``Plan.1`` is the first)."""
    schema = data.get("schema")
    if schema != SCHEMA:
        raise PlanError(
            f"plan schema {schema!r} is not supported",
            hint=f"this version reads {SCHEMA}; re-plan with 'reelgraph plan'",
        )
    return data
