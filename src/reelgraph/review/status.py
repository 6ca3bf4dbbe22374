"""Status of a run and its cost report: every node with its outcome and cost, totals, cost
per frame, per shot and per finished minute, and the QC findings. The JSON form
(``reelgraph.Status.1``) is a stable schema that scripts rely on (docs/cli.md)."""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from reelgraph.errors import ProjectError
from reelgraph.project.folder import Project
from reelgraph.project.store import FindingRecord
from reelgraph.review.decisions import review_states

SCHEMA = "reelgraph.Status.1"


def finding_fields(row: FindingRecord) -> dict[str, Any]:
    """A QC finding of the store as status documents and the review app show it."""
    return {
        "check": row.check_name,
        "severity": row.severity,
        "start_frame": row.start_frame,
        "end_frame": row.end_frame,
        "start_tc": row.start_tc,
        "end_tc": row.end_tc,
        "value": row.value,
        "limit": row.limit_value,
        "standard": row.standard,
        "message": row.message,
    }


def run_status(project: Project, run_id: int | None = None) -> dict[str, Any]:
    store = project.store
    if run_id is None:
        run = store.latest_run()
        if run is None:
            raise ProjectError("no run yet", hint="start one with 'reelgraph run'")
    else:
        run = store.run(run_id)
        if run is None:
            last = store.last_run_id()
            raise ProjectError(
                f"no run {run_id}",
                hint=f"runs are numbered 1 to {last}" if last else "start one with 'reelgraph run'",
            )
    rid = run.id
    ledger = store.ledger_totals(rid)
    nodes: list[dict[str, Any]] = []
    for r in store.nodes(rid):
        led = ledger.get(r.node_id)
        nodes.append(
            {
                "id": r.node_id,
                "agent": r.agent,
                "shot": r.shot,
                "outcome": r.outcome,
                "cost_usd": round(r.cost_usd, 6),
                "estimate_usd": round(r.estimate_usd, 6),
                "key": r.key,
                "reason": r.reason,
                "wall_s": round(led.wall_s, 3) if led else 0.0,
                "cpu_s": round(led.cpu_s, 3) if led else 0.0,
                "executions": led.executions if led else 0,
            }
        )
    findings = [
        {"shot": f.shot, "node": f.node_id, **finding_fields(f)} for f in store.findings(rid)
    ]
    per_shot: dict[str, float] = {}
    for n in nodes:
        if n["shot"]:
            per_shot[n["shot"]] = round(per_shot.get(n["shot"], 0.0) + n["cost_usd"], 6)
    finished_s, finished_frames = 0.0, 0
    for n in nodes:
        if n["agent"] == "master" and n["outcome"] in ("ran", "cached") and n["key"]:
            manifest = project.artifacts / n["key"][:2] / n["key"] / "manifest.json"
            if manifest.exists():
                meta = json.loads(manifest.read_text())["output"]
                frames = int(meta.get("frames", 0))
                finished_frames += frames
                finished_s += frames / float(Fraction(str(meta.get("frame_rate", "24"))))
    total = round(sum(n["cost_usd"] for n in nodes), 6)
    masters = {
        n["shot"]: n["key"]
        for n in nodes
        if n["agent"] == "master" and n["outcome"] in ("ran", "cached") and n["key"] and n["shot"]
    }
    counts = {
        k: sum(1 for n in nodes if n["outcome"] == k)
        for k in ("ran", "cached", "failed", "skipped")
    }
    return {
        "schema": SCHEMA,
        "run": {
            "id": rid,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "executor": run.executor,
            "budget_usd": run.budget_usd,
            "estimate_usd": round(run.estimate_usd, 6),
        },
        "nodes": nodes,
        "findings": findings,
        "reviews": review_states(store, masters),
        "totals": {
            "nodes": len(nodes),
            **counts,
            "cost_usd": total,
            "finished_frames": finished_frames,
            "finished_seconds": round(finished_s, 3),
            "cost_per_frame_usd": round(total / finished_frames, 8) if finished_frames else None,
            "cost_per_finished_minute_usd": round(total / (finished_s / 60), 6)
            if finished_s
            else None,
            "cost_per_shot_usd": per_shot,
        },
    }


def collect_qc_reports(project: Project, artifacts: dict[str, Any]) -> list[Path]:
    """Copy each shot's QC report (HTML, plots, thumbnails, CSV) from its artifact to
    ``reports/qc/<shot>/`` where people look for it; returns the index pages."""
    import shutil

    pages = []
    for node_id, artifact in artifacts.items():
        report = artifact.meta.get("report") if artifact.meta.get("kind") == "qc" else None
        if not report:
            continue
        target = project.reports / "qc" / node_id.split("/")[0]
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(artifact.path, target, ignore=shutil.ignore_patterns("manifest.json"))
        pages.append(target / str(report))
    return pages


def write_cost_report(project: Project, status: dict[str, Any]) -> Path:
    """reports/cost.json and reports/cost.csv (one row per node) for a run."""
    folder = project.reports
    folder.mkdir(exist_ok=True)
    (folder / "cost.json").write_text(json.dumps(status, indent=2))
    with (folder / "cost.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["node", "agent", "shot", "outcome", "cost_usd", "estimate_usd", "wall_s", "cpu_s"]
        )
        for n in status["nodes"]:
            writer.writerow(
                [
                    n["id"],
                    n["agent"],
                    n["shot"],
                    n["outcome"],
                    n["cost_usd"],
                    n["estimate_usd"],
                    n["wall_s"],
                    n["cpu_s"],
                ]
            )
    return folder / "cost.json"
