"""Run the whole flow: ingest → plan → render (cached, budgeted) → deliver, with progress.

Finished nodes are cached: run again after a change (``reelgraph set``, an edited brief)
and only what depends on it re-renders; run again after an interruption and it resumes.
"""

from __future__ import annotations

import argparse

from reelgraph.analyse.stage import run_analysis
from reelgraph.cli.common import (
    EXIT_NOT_PASSED,
    ProgressView,
    add_conform_option,
    add_executor_options,
    add_json_option,
    add_override_rights_option,
    add_project_option,
    add_quiet_option,
    console,
    emit_json,
    executor_from,
    ingest_and_say,
    project_from,
    quiet,
)
from reelgraph.deliver.delivery import deliver
from reelgraph.errors import UsageError
from reelgraph.orchestrator.events import EventLog
from reelgraph.orchestrator.graph import Plan
from reelgraph.orchestrator.runner import Runner
from reelgraph.plan.planner import build_plan
from reelgraph.project.folder import Project
from reelgraph.review.status import collect_qc_reports, run_status, write_cost_report


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("--budget", type=float, help="USD limit (default: brief's budget_usd)")
    add_executor_options(parser)
    parser.add_argument("--shots", help="comma-separated shot ids to run (default: all)")
    add_conform_option(parser)
    parser.add_argument("--no-deliver", action="store_true", help="stop after rendering")
    add_override_rights_option(parser)
    add_quiet_option(parser)
    add_json_option(parser, "reelgraph.Status.1")


def select_shots(plan: Plan, shots: str | None) -> Plan:
    if not shots:
        return plan
    wanted = {s.strip() for s in shots.split(",") if s.strip()}
    known = {n.shot for n in plan.nodes}
    unknown = wanted - known
    if unknown:
        raise UsageError(
            f"--shots: unknown shot(s): {', '.join(sorted(unknown))}",
            hint=f"shots: {', '.join(sorted(s for s in known if s))}",
        )
    # The chosen shots' nodes and every node they read (a scene's hero, another shot's
    # picture a continuity match samples), so the smaller plan is complete.
    by_id = {n.id: n for n in plan.nodes}
    keep = {n.id for n in plan.nodes if n.shot in wanted}
    stack = list(keep)
    while stack:
        for upstream in by_id[stack.pop()].inputs:
            if upstream in by_id and upstream not in keep:
                keep.add(upstream)
                stack.append(upstream)
    return Plan(
        plan.project, plan.delivery, tuple(n for n in plan.nodes if n.id in keep), plan.notes
    )


def execute(project: Project, args: argparse.Namespace) -> int:
    brief = project.brief()
    ingest_and_say(project, brief, conform=args.conform, silent=quiet(args))
    select_shots(build_plan(project, brief), args.shots)  # refuse unknown shots before any work
    budget = args.budget if args.budget is not None else brief.budget_usd
    events = EventLog(project.state / "events.jsonl", [])
    # One pool of workers for the analysis and the render: each worker starts (and imports
    # the agents) once per command, not once per stage.
    executor = executor_from(args)
    with ProgressView(quiet=quiet(args)) as view:
        events.sinks.append(view)
        try:
            analysed, _ = run_analysis(
                project, brief, executor, budget_usd=budget, sinks=[events], keep_executor=True
            )
            if analysed is not None and analysed.status == "budget_exhausted":
                executor = executor_from(args)  # the watchdog stopped the analysis workers
            if analysed is not None and budget is not None:
                budget = max(0.0, budget - analysed.spent_usd)
            plan = select_shots(build_plan(project, brief), args.shots)
            runner = Runner(
                project,
                plan,
                executor,
                budget_usd=budget,
                max_variants=brief.iteration.max_variants,
                sinks=[events],
            )
            summary = runner.run()
        finally:
            executor.shutdown()  # already done by a render that ran; not by one refused
    events.close()
    status = run_status(project, summary.run_id)
    report = write_cost_report(project, status)
    qc_pages = collect_qc_reports(project, summary.artifacts)
    delivered = None
    if not args.no_deliver:
        delivered = deliver(project, summary.run_id, override_rights=args.override_rights)
    if args.json:
        emit_json(status)
    elif not args.quiet:
        t = status["totals"]
        console.print(
            f"run {summary.run_id} {summary.status}: {t['ran']} ran, {t['cached']} cached, "
            f"{t['failed']} failed, {t['skipped']} skipped; ${t['cost_usd']:.4f} spent"
            + (f" of ${budget:.2f}" if budget is not None else "")
        )
        console.print(f"cost report: {report}")
        if qc_pages:
            console.print(f"QC reports: {qc_pages[0].parent.parent}/<shot>/index.html")
        if delivered is not None:
            if delivered.delivered:
                console.print(
                    f"deliverables: {delivered.folder} ({len(delivered.delivered)} shots)"
                )
            for shot, why in delivered.held.items():
                console.print(f"  held {shot}: {why}")
    for outcome in summary.nodes.values():
        if outcome.outcome == "failed" and not args.json:
            console.print(f"[red]failed[/] {outcome.node_id}: {outcome.reason}")
            if outcome.hint:
                console.print(f"  hint: {outcome.hint}")
    return 0 if summary.status == "completed" else EXIT_NOT_PASSED


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    try:
        return execute(project, args)
    finally:
        project.close()
