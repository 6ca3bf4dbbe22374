"""Plan: turn the brief (and what ingest and analysis found) into a per-shot DAG.

Each shot gets two chains that meet at the master, and checks after it:

    picture: conform → restoration steps… → grade → [SDR→HDR] → master ─→ checks…
    sound:   extract_audio → loudness steps… ──────────────────────┘
    mattes:  conform → roto            (when the brief asks for them, :mod:`.rules.roto`)

and the cut of the brief's ``edit`` section becomes one ``programme`` node over the takes'
finished pictures and sounds, with its own QC (:mod:`reelgraph.plan.timeline`).

The craft-specific steps come from :mod:`reelgraph.plan.rules`. Every node carries a sentence
saying why it is there and why its parameters are what they are; ``reelgraph plan``
prints them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reelgraph.errors import PlanError
from reelgraph.orchestrator.graph import SOURCE_PREFIX, Node, Plan
from reelgraph.orchestrator.registry import DEFAULT, Registry
from reelgraph.plan.rules import ShotContext, loudness, qc, restore, roto
from reelgraph.plan.rules.colour import grade_nodes
from reelgraph.plan.timeline import programme_nodes
from reelgraph.project.brief import Brief
from reelgraph.project.folder import Project


def shot_contexts(
    project: Project, brief: Brief, registry: Registry = DEFAULT
) -> list[ShotContext]:
    """What the rules may read about each shot of the brief, in brief order."""
    spec = brief.delivery_spec()
    shots = {row.id: row for row in project.store.shots()}
    sources = {row.id: row.probe for row in project.store.sources()}
    analysis: dict[str, dict[str, Any]] = {}
    for a in project.store.analyses():
        analysis.setdefault(a.shot, {})[a.kind] = json.loads(a.data_json)
    if not shots:
        raise PlanError("no shots ingested", hint="run 'reelgraph ingest' first")
    contexts = []
    for scene in brief.scenes:
        values = project.variables(scene.id)
        for shot in scene.shots:
            if shot.id not in shots:
                raise PlanError(
                    f"shot {shot.id!r} is in the brief but not ingested",
                    hint="run 'reelgraph ingest' again",
                )
            row = shots[shot.id]
            if sources[row.source].get("kind") != "video":
                raise PlanError(
                    f"shot {shot.id!r}: source {row.source!r} has no picture",
                    hint="shots are cut from video sources; to level or measure sound on its "
                    "own use 'reelgraph loudness' / 'reelgraph level'",
                )
            contexts.append(
                ShotContext(
                    registry=registry,
                    brief=brief,
                    spec=spec,
                    scene=scene.id,
                    variables=values,
                    shot=shot.id,
                    source=row.source,
                    first=row.start_frame,
                    last=row.end_frame,
                    source_meta=sources[row.source],
                    analysis=analysis.get(shot.id, {}),
                )
            )
    return contexts


def build_plan(project: Project, brief: Brief | None = None, registry: Registry = DEFAULT) -> Plan:
    brief = brief or project.brief()
    nodes: list[Node] = []
    for ctx in shot_contexts(project, brief, registry):
        nodes.extend(shot_nodes(ctx, project.root))
        nodes.extend(roto.matte_steps(ctx, f"{ctx.shot}/conform", project.root))
    # The cut of those shots, rendered as one programme and checked as one.
    nodes.extend(programme_nodes(project, brief, nodes))
    return Plan(project=brief.project, delivery=brief.delivery, nodes=tuple(nodes))


def _chain(nodes: list[Node], steps: list[Node], upstream: str) -> str:
    nodes.extend(steps)
    return steps[-1].id if steps else upstream


def shot_nodes(ctx: ShotContext, project_root: Path) -> list[Node]:
    sid, spec = ctx.shot, ctx.spec
    src = f"{SOURCE_PREFIX}{ctx.source}"
    colour = ctx.source_meta.get("colour", {})
    assumed = colour.get("assumed") or []
    nodes = [
        Node(
            f"{sid}/conform",
            "conform",
            {"first": ctx.first, "last": ctx.last},
            (src,),
            f"cut frames {ctx.first}–{ctx.last} ({ctx.frames} frames) of {ctx.source} into a "
            f"lossless 16-bit working copy, converting with the source's "
            f"{colour.get('matrix', '?')} matrix and {colour.get('range', '?')} range"
            + (f" (assumed by convention: {', '.join(assumed)})" if assumed else ""),
            sid,
            ctx.scene,
        )
    ]
    picture = _chain(nodes, restore.picture_steps(ctx, f"{sid}/conform"), f"{sid}/conform")
    nodes.extend(grade_nodes(ctx, picture, project_root))
    finished = _chain(nodes, restore.display_steps(ctx, f"{sid}/grade"), f"{sid}/grade")
    master_inputs: tuple[str, ...] = (finished,)
    sound: str | None = None
    if spec.audio is not None and ctx.source_meta.get("audio_rate"):
        nodes.append(
            Node(
                f"{sid}/audio",
                "extract_audio",
                {"first": ctx.first, "last": ctx.last},
                (src,),
                f"cut the sound of frames {ctx.first}–{ctx.last} to 24-bit WAV",
                sid,
                ctx.scene,
            )
        )
        sound = _chain(nodes, loudness.sound_steps(ctx, f"{sid}/audio"), f"{sid}/audio")
        master_inputs += (sound,)
    size = f"{spec.width}×{spec.height}" if spec.width else "the picture's own size"
    if spec.video_preset == "exr":
        bits = "32-bit float" if spec.exr_pixel_type == "float" else "16-bit half float"
        size += f", {bits} samples"
    nodes.append(
        Node(
            f"{sid}/master",
            "master",
            {
                "preset": spec.video_preset,
                "width": spec.width,
                "height": spec.height,
                "name": sid,
                "exr_pixel_type": spec.exr_pixel_type,
            },
            master_inputs,
            f"encode to {spec.name} ({spec.description}), fitted to {size}",
            sid,
            ctx.scene,
            deliverable=sid,
        )
    )
    nodes.extend(qc.check_steps(ctx, f"{sid}/master", sound))
    return nodes
