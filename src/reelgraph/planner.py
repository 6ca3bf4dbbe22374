"""Plan: turn the brief (and what ingest and analysis found) into a per-shot DAG.

Each shot gets two chains that meet at the master:

    picture: conform → [restoration steps] → grade → master
    sound:   extract_audio → [loudness steps] ───────┘

Every node carries a sentence saying why it is there and why its parameters are what
they are; ``reelgraph plan`` prints them.
"""

from __future__ import annotations

import json
from typing import Any

from reelgraph.brief import Brief
from reelgraph.errors import PlanError
from reelgraph.orchestrator.graph import SOURCE_PREFIX, Node, Plan
from reelgraph.orchestrator.registry import DEFAULT, Registry
from reelgraph.project import Project
from reelgraph.specs import DeliverySpec, get_spec


def _variables(registry: Registry, agent: str, scene_values: dict[str, Any]) -> dict[str, Any]:
    return {name: scene_values[name] for name in registry.get(agent).reads if name in scene_values}


def build_plan(project: Project, brief: Brief | None = None, registry: Registry = DEFAULT) -> Plan:
    brief = brief or project.brief()
    spec = get_spec(brief.delivery)
    shots = {row["id"]: row for row in project.store.query("SELECT * FROM shots")}
    sources = {
        row["id"]: json.loads(row["probe_json"])
        for row in project.store.query("SELECT id, probe_json FROM sources")
    }
    if not shots:
        raise PlanError("no shots ingested", hint="run 'reelgraph ingest' first")
    nodes: list[Node] = []
    for scene in brief.scenes:
        values = project.variables(scene.id)
        for shot in scene.shots:
            row = shots.get(shot.id)
            if row is None:
                raise PlanError(
                    f"shot {shot.id!r} is in the brief but not ingested",
                    hint="run 'reelgraph ingest' again",
                )
            nodes.extend(_shot_nodes(registry, spec, scene.id, values, row, sources[row["source"]]))
    return Plan(project=brief.project, delivery=spec.name, nodes=tuple(nodes))


def _shot_nodes(
    registry: Registry,
    spec: DeliverySpec,
    scene: str,
    values: dict[str, Any],
    shot: Any,
    source: dict[str, Any],
) -> list[Node]:
    sid, first, last = shot["id"], shot["start_frame"], shot["end_frame"]
    src = f"{SOURCE_PREFIX}{shot['source']}"
    count = last - first + 1
    nodes = [
        Node(
            f"{sid}/conform",
            "conform",
            {"first": first, "last": last},
            (src,),
            f"cut frames {first}–{last} ({count} frames) of {shot['source']} into a lossless "
            "16-bit working copy; colour from the source's "
            f"{source.get('colour', {}).get('matrix', '?')} matrix"
            + (
                " (assumed: " + ", ".join(source["colour"]["assumed"]) + ")"
                if source.get("colour", {}).get("assumed")
                else ""
            ),
            sid,
            scene,
        ),
    ]
    picture = f"{sid}/conform"
    look = values.get("time_of_day", "day")
    nodes.append(
        Node(
            f"{sid}/grade",
            "grade",
            {},
            (picture,),
            f"scene {scene} look from time_of_day={look!r} as an ASC CDL",
            sid,
            scene,
            _variables(registry, "grade", values),
        )
    )
    picture = f"{sid}/grade"
    master_inputs: tuple[str, ...] = (picture,)
    if spec.audio is not None and source.get("audio_rate"):
        nodes.append(
            Node(
                f"{sid}/audio",
                "extract_audio",
                {"first": first, "last": last},
                (src,),
                f"cut the sound of frames {first}–{last} to 24-bit WAV",
                sid,
                scene,
            )
        )
        master_inputs += (f"{sid}/audio",)
    width, height = spec.width, spec.height
    size = f"{width}×{height}" if width else "the picture's own size"
    nodes.append(
        Node(
            f"{sid}/master",
            "master",
            {"preset": spec.video_preset, "width": width, "height": height, "name": sid},
            master_inputs,
            f"encode to {spec.name}: {spec.description}; fitted to {size}",
            sid,
            scene,
            deliverable=sid,
        )
    )
    return nodes
