"""Analyse: measure every shot before planning (noise, blockiness, loudness…).

Analysis nodes are ordinary cached nodes: they read the shot's conformed picture and sound
and write ``analysis.json``. Their results are stored per shot (table ``analysis``), where
``reelgraph analyse`` shows them and the planning rules read them.
"""

from __future__ import annotations

import json
from typing import Any

from reelgraph.orchestrator.events import EventSink
from reelgraph.orchestrator.executor import Executor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.registry import DEFAULT, Registry
from reelgraph.orchestrator.runner import Runner, RunSummary
from reelgraph.plan.planner import build_plan
from reelgraph.plan.rules import loudness, restore
from reelgraph.project.brief import Brief
from reelgraph.project.folder import Project
from reelgraph.project.store import AnalysisRecord, dumps


def analysis_plan(project: Project, brief: Brief, registry: Registry = DEFAULT) -> Plan:
    """The shots' conform/extract nodes (exactly as the main plan has them, so they are
    shared through the cache) and the analysis nodes the rules ask for."""
    from reelgraph.plan.planner import shot_contexts

    nodes: list[Node] = []
    full = build_plan(project, brief, registry)
    for ctx in shot_contexts(project, brief, registry):
        picture, sound = f"{ctx.shot}/conform", f"{ctx.shot}/audio"
        has_sound = any(n.id == sound for n in full.nodes)
        steps = restore.analysis_steps(ctx, picture, sound if has_sound else None)
        steps += loudness.analysis_steps(ctx, picture, sound if has_sound else None)
        if not steps:
            continue
        needed = {ref for step in steps for ref in step.inputs}
        nodes.extend(n for n in full.nodes if n.id in needed)
        nodes.extend(steps)
    return Plan(project=brief.project, delivery=brief.delivery, nodes=tuple(nodes))


def run_analysis(
    project: Project,
    brief: Brief,
    executor: Executor,
    *,
    budget_usd: float | None = None,
    sinks: list[EventSink] | None = None,
    registry: Registry = DEFAULT,
    keep_executor: bool = False,
) -> tuple[RunSummary | None, dict[str, dict[str, Any]]]:
    """Run (or replay from cache) every analysis node and store the results per shot
    (``keep_executor``: leave the workers running for the render that follows)."""
    plan = analysis_plan(project, brief, registry)
    results: dict[str, dict[str, Any]] = {}
    if not plan.nodes:
        return None, results
    summary = Runner(
        project,
        plan,
        executor,
        registry=registry,
        budget_usd=budget_usd,
        sinks=sinks,
        kind="analysis",
        keep_executor=keep_executor,
    ).run()
    with project.store.transaction():
        for node in plan.nodes:
            artifact = summary.artifacts.get(node.id)
            if artifact is None or artifact.meta.get("kind") != "analysis" or node.shot is None:
                continue
            data = json.loads((artifact.path / str(artifact.meta["file"])).read_text())
            kind = str(artifact.meta["analysis_kind"])
            results.setdefault(node.shot, {})[kind] = data
            project.store.put_analysis(AnalysisRecord(node.shot, kind, artifact.key, dumps(data)))
    return summary, results
