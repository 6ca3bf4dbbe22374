"""What people reviewing see, read from the store in a few queries: a row per shot (status,
QC verdict, cost, version of its master), one shot's evidence (findings, plan reasons,
notes, review history), per-source rights, and audit entries. The review app's pages and
API are built from these; they hold no SQL of their own."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from reelgraph.errors import ProjectError
from reelgraph.project.folder import Project
from reelgraph.project.store import NodeRecord
from reelgraph.review.decisions import (
    PENDING,
    Master,
    current_masters,
    history,
    latest_render_id,
    review_states,
)
from reelgraph.review.status import finding_fields

#: A shot's status in the grid, in the order a supervisor looks at them.
STATUSES = ("not rendered", "failed", "rendered", "qc failed", "approved", "rejected")


@dataclass(frozen=True)
class ShotRow:
    id: str
    scene: str
    source: str
    start_frame: int
    end_frame: int
    status: str
    review: str
    qc: str  # pass | warn | fail | none
    findings: int
    cost_usd: float
    version: int  # 1 for the first master ever made for the shot, 2 after a re-render…
    master_key: str | None
    run_id: int | None


@dataclass(frozen=True)
class ShotDetail:
    row: ShotRow
    master: Master | None
    frames: int
    frame_rate: str
    width: int
    height: int
    findings: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    history: list[dict[str, Any]]
    variables: dict[str, Any]
    source_key: str | None  # the conform output: the source as the pipeline read it
    previous_key: str | None  # the master before the current one, if any
    plots: list[tuple[str, str]] = field(default_factory=list)  # (artifact key, file)


def has_shot(project: Project, shot: str) -> bool:
    return project.store.has_shot(shot)


def shot_rows(project: Project) -> list[ShotRow]:
    store = project.store
    run_id = latest_render_id(store)
    nodes: dict[str | None, list[NodeRecord]] = defaultdict(list)
    findings: dict[str | None, list[str]] = defaultdict(list)
    if run_id is not None:
        for r in store.nodes(run_id):
            nodes[r.shot].append(r)
        for f in store.findings(run_id):
            findings[f.shot].append(f.severity)
    versions: dict[str, list[str]] = defaultdict(list)
    for version_shot, version_key in store.master_versions():
        versions[version_shot].append(version_key)
    masters = {
        shot: r.key
        for shot, rows in nodes.items()
        for r in rows
        if shot is not None and r.agent == "master" and r.key and r.outcome in ("ran", "cached")
    }
    states = review_states(store, masters)
    rows = []
    for s in sorted(store.shots(), key=lambda s: (s.scene, s.id)):
        shot = s.id
        mine = nodes.get(shot, [])
        severities = findings.get(shot, [])
        qc_nodes = [r for r in mine if r.agent == "qc"]
        if any(r.outcome not in ("ran", "cached") for r in qc_nodes) or "fail" in severities:
            qc = "fail"
        elif "warn" in severities:
            qc = "warn"
        else:
            qc = "pass" if qc_nodes else "none"
        key = masters.get(shot)
        review = states.get(shot, PENDING)
        if key is None:
            failed = any(r.outcome == "failed" for r in mine)
            status = "failed" if failed else "not rendered"
        elif review != PENDING:
            status = review
        else:
            status = "qc failed" if qc == "fail" else "rendered"
        rows.append(
            ShotRow(
                id=shot,
                scene=s.scene,
                source=s.source,
                start_frame=int(s.start_frame),
                end_frame=int(s.end_frame),
                status=status,
                review=review,
                qc=qc,
                findings=len(severities),
                cost_usd=round(sum(float(r.cost_usd) for r in mine), 6),
                version=versions[shot].index(key) + 1 if key in versions[shot] else 0,
                master_key=key,
                run_id=run_id,
            )
        )
    return rows


def _manifest(project: Project, key: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(
            (project.artifacts / key[:2] / key / "manifest.json").read_text()
        )
        return data
    except (OSError, ValueError):
        return {}


def shot_detail(project: Project, shot: str) -> ShotDetail:
    rows = {r.id: r for r in shot_rows(project)}
    if shot not in rows:
        raise ProjectError(f"no shot {shot!r}", hint=f"shots: {', '.join(sorted(rows)) or 'none'}")
    row = rows[shot]
    store = project.store
    master = current_masters(project).get(shot)
    output = _manifest(project, master.key).get("output", {}) if master else {}
    findings = (
        [finding_fields(f) for f in store.findings(row.run_id, shot=shot, by_frame=True)]
        if row.run_id is not None
        else []
    )
    nodes: list[dict[str, Any]] = (
        [
            {
                "node": r.node_id,
                "agent": r.agent,
                "outcome": r.outcome,
                "reason": r.reason or "",
                "cost_usd": round(float(r.cost_usd), 6),
                "estimate_usd": round(float(r.estimate_usd), 6),
                "key": r.key,
            }
            for r in store.nodes(row.run_id, shot=shot)
        ]
        if row.run_id is not None
        else []
    )
    why = _explanations(project, row.run_id)
    for n in nodes:
        n["why"] = why.get(n["node"], "")
    source_key = next((n["key"] for n in nodes if n["agent"] == "conform" and n["key"]), None)
    previous = [key for _, key in store.master_versions(shot)]
    previous_key = None
    if master and master.key in previous and previous.index(master.key) > 0:
        previous_key = previous[previous.index(master.key) - 1]
    plots = []
    for n in nodes:
        if n["agent"] in ("qc", "loudness_measure", "loudness_level") and n["key"]:
            for name in sorted(_manifest(project, n["key"]).get("files", {})):
                if name.endswith(".png") and "thumb" not in name:
                    plots.append((n["key"], name))
    return ShotDetail(
        row=row,
        master=master,
        frames=int(output.get("frames", 0)),
        frame_rate=str(output.get("frame_rate", "24")),
        width=int(output.get("width", 0)),
        height=int(output.get("height", 0)),
        findings=findings,
        nodes=nodes,
        history=history(store, shot),
        variables=project.variables(row.scene),
        source_key=source_key,
        previous_key=previous_key,
        plots=plots,
    )


def _explanations(project: Project, run_id: int | None) -> dict[str, str]:
    """Node id → the planner's explanation of it, from the run's plan."""
    if run_id is None:
        return {}
    plan_json = project.store.plan_json_of_run(run_id)
    if plan_json is None:
        return {}
    try:
        plan = json.loads(plan_json)
    except ValueError:
        return {}
    return {str(n.get("id")): str(n.get("explanation") or "") for n in plan.get("nodes", [])}


def sources_rights(project: Project) -> list[dict[str, Any]]:
    """Every source with its rights tags and whether they allow delivery."""
    out = []
    for r in sorted(project.store.sources(), key=lambda r: r.id):
        rights = r.rights
        if rights is None:
            problem = "no rights recorded"
        elif not rights.get("cleared"):
            problem = "rights not cleared"
        else:
            problem = None
        out.append({"id": r.id, "path": r.path, "rights": rights, "problem": problem})
    return out


def audit_entries(
    project: Project,
    *,
    actor: str | None = None,
    subject: str | None = None,
    action: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Newest first, filtered by who (the part before any ``@``), shot/subject and action."""
    return [
        {
            "seq": r.seq,
            "at": r.at,
            "actor": r.actor,
            "action": r.action,
            "subject": r.subject,
            "data": r.data,
        }
        for r in project.store.audit_log(
            actor=actor, subject=subject, action=action, newest_first=True, limit=limit
        )
    ]


def scene_rows(project: Project) -> list[dict[str, Any]]:
    """Scenes of the brief with their variables (brief values overridden by ``set``)."""
    brief = project.brief()
    return [
        {"id": s.id, "variables": project.variables(s.id), "shots": [shot.id for shot in s.shots]}
        for s in brief.scenes
    ]
