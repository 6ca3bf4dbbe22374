"""Run a plan: keys, cache, budget, execution, iteration, ledger, findings and audit.

The runner walks the DAG. A node becomes ready when all its inputs are resolved; its key
is computed from the resolved input keys; an intact artifact under that key is a cache
hit; otherwise the node is estimated, checked against the budget and submitted to the
executor. While nodes run, a watchdog reads the workers' CPU time and stops the run before
measured spending passes the budget. Nodes with objectives are re-run with proposed
variants until met, up to the variant limit and within budget; the best variant is kept
and the decision recorded.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from reelgraph.errors import BudgetError
from reelgraph.orchestrator.agent import Agent, Work
from reelgraph.orchestrator.budget import Pricing
from reelgraph.orchestrator.cache import Artifact, ArtifactStore, cache_key, model_digest
from reelgraph.orchestrator.events import Event, EventSink
from reelgraph.orchestrator.executor import Executor, NodeResult, NodeTask
from reelgraph.orchestrator.graph import SOURCE_PREFIX, Node, Plan
from reelgraph.orchestrator.registry import DEFAULT, Registry
from reelgraph.project.folder import Project
from reelgraph.project.store import (
    DecisionRecord,
    FindingRecord,
    LedgerEntry,
    NodeRecord,
    dumps,
)


@dataclass(frozen=True)
class SourceRef:
    id: str
    path: Path
    fingerprint: str
    meta: dict[str, Any]


@dataclass
class NodeOutcome:
    node_id: str
    agent: str
    shot: str | None
    outcome: str  # ran | cached | failed | skipped
    key: str | None = None
    cost_usd: float = 0.0
    estimate_usd: float = 0.0
    reason: str | None = None
    hint: str | None = None


@dataclass
class RunSummary:
    run_id: int
    status: str  # completed | failed | budget_exhausted
    nodes: dict[str, NodeOutcome]
    spent_usd: float
    estimate_usd: float
    artifacts: dict[str, Artifact] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(1 for n in self.nodes.values() if n.outcome == outcome)


@dataclass
class _Variant:
    index: int
    params: dict[str, Any]
    key: str
    estimate: float
    cost: float = 0.0


def load_sources(project: Project) -> dict[str, SourceRef]:
    return {
        row.id: SourceRef(row.id, Path(row.path), row.fingerprint, row.probe)
        for row in project.store.sources()
    }


class Runner:
    def __init__(
        self,
        project: Project,
        plan: Plan,
        executor: Executor,
        *,
        registry: Registry = DEFAULT,
        budget_usd: float | None = None,
        max_variants: int = 3,
        sinks: list[EventSink] | None = None,
        sources: Mapping[str, SourceRef] | None = None,
        kind: str = "render",
        keep_executor: bool = False,
    ) -> None:
        """``kind`` is ``render`` for the work whose masters are reviewed and delivered, or
        ``analysis`` for the measuring pass before planning (status and review skip it).
        The executor is shut down when the run ends, unless ``keep_executor`` (a run that
        another run follows on the same workers) — a run stopped by the budget watchdog
        always stops its workers."""
        self.project = project
        self.plan = plan
        self.executor = executor
        self.registry = registry
        self.kind = kind
        self.keep_executor = keep_executor
        self.budget = budget_usd
        self.max_variants = max_variants
        self.emit = _fanout(sinks or [])
        self.store = ArtifactStore(project.artifacts, project.tmp)
        self.pricing = Pricing.load(project.store, project.brief().rate_card)
        self.sources = dict(sources) if sources is not None else load_sources(project)
        self.agents: dict[str, type[Agent]] = {n.agent: registry.get(n.agent) for n in plan.nodes}

    # -- keys and descriptions -------------------------------------------------------------

    def _agent_ref(self, name: str) -> str:
        # The class the registry resolved (an ``extra`` agent may replace a built-in name).
        cls = self.agents[name]
        return f"{cls.__module__}:{cls.__qualname__}"

    def _inputs(
        self, node: Node, resolved: Mapping[str, tuple[str, Path | None, dict[str, Any]]]
    ) -> tuple[list[tuple[str, Path | None, dict[str, Any]]], list[str]]:
        """(key, path, meta) per input, and the fingerprints of sources read directly."""
        items: list[tuple[str, Path | None, dict[str, Any]]] = []
        fingerprints: list[str] = []
        for ref in node.inputs:
            if ref.startswith(SOURCE_PREFIX):
                source = self.sources[ref[len(SOURCE_PREFIX) :]]
                items.append((f"source:{source.fingerprint}", source.path, source.meta))
                fingerprints.append(source.fingerprint)
            else:
                items.append(resolved[ref])
        return items, fingerprints

    def _key(self, node: Node, params: dict[str, Any], inputs: list[Any], prints: list[str]) -> str:
        agent = self.agents[node.agent]
        made = agent.make_params(params)
        models = [model_digest(path) for path in agent.model_files(made)]
        return cache_key(
            agent.name,
            agent.version,
            agent.params_dict(made),
            node.variables,
            [k for k, _, _ in inputs],
            prints,
            models,
        )

    def _work(self, node: Node, params: dict[str, Any], metas: list[dict[str, Any]]) -> Work:
        agent = self.agents[node.agent]
        return agent().work(metas, agent.make_params(params))

    def _resolution(self, first_key: str) -> str | None:
        """The variant an earlier run kept for the node whose first variant has this key."""
        return self.project.store.resolution(first_key)

    def estimate(self) -> tuple[dict[str, float], dict[str, str]]:
        """Estimated cost of every node that is not already cached, and every node's key
        as far as it can be known before running."""
        resolved: dict[str, tuple[str, Path | None, dict[str, Any]]] = {}
        estimates: dict[str, float] = {}
        keys: dict[str, str] = {}
        for node in self.plan.order():
            agent = self.agents[node.agent]
            inputs, prints = self._inputs(node, resolved)
            key = self._key(node, node.params, inputs, prints)
            key = self._resolution(key) or key
            same = [m for k, _, m in resolved.values() if k == key]
            keys[node.id] = key
            artifact = self.store.load(key, verify=False)
            if artifact is not None:
                meta = artifact.meta
            elif same:  # another node makes the same artifact: paid once
                meta = same[0]
            else:
                metas = [m for _, _, m in inputs]
                params = agent.make_params(node.params)
                meta = agent().describe_output(metas, params)
                estimates[node.id] = self.pricing.estimate_usd(
                    agent, self._work(node, node.params, metas)
                )
            resolved[node.id] = (key, None, meta)
        return estimates, keys

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> RunSummary:
        if self.budget is not None:
            self.executor.check_budget_watch()  # refuse before any work if it cannot be kept
        plan_id = self._save_plan()
        estimates, _ = self.estimate()
        total = sum(estimates.values())
        if self.budget is not None and total > self.budget + 1e-12:
            self._refuse(estimates, total)
        self._close_interrupted_runs()
        self.store.sweep_tmp()
        run_id = self.project.store.add_run(
            plan_id, _now(), self.executor.name, self.budget, total, os.getpid(), self.kind
        )
        self.project.audit.append(
            "run_start",
            f"run {run_id}",
            {"plan": plan_id, "estimate_usd": round(total, 6), "budget_usd": self.budget},
        )
        self.emit(
            Event(
                "run_start",
                data={
                    "run": run_id,
                    "nodes": len(self.plan.nodes),
                    "estimate_usd": total,
                    "to_run": len(estimates),
                },
            )
        )
        state = _RunState(run_id=run_id)
        try:
            self._loop(state)
        finally:
            if state.status == "budget_exhausted" or not self.keep_executor:
                self.executor.shutdown(kill=state.status == "budget_exhausted")
        status = state.status
        if status == "completed" and any(o.outcome == "failed" for o in state.outcomes.values()):
            status = "failed"
        self.project.store.finish_run(run_id, _now(), status, state.spent)
        self.project.audit.append(
            "run_done",
            f"run {run_id}",
            {
                "status": status,
                "spent_usd": round(state.spent, 6),
                **{
                    k: sum(1 for o in state.outcomes.values() if o.outcome == k)
                    for k in ("ran", "cached", "failed", "skipped")
                },
            },
        )
        self.emit(
            Event("run_done", data={"run": run_id, "status": status, "spent_usd": state.spent})
        )
        return RunSummary(run_id, status, state.outcomes, state.spent, total, state.artifacts)

    def _close_interrupted_runs(self) -> None:
        """Runs still marked running whose process is gone were killed: say so."""
        for row in self.project.store.running_runs():
            if row.pid is None or not psutil.pid_exists(row.pid):
                self.project.store.mark_interrupted(
                    row.id, "the process ended before the run finished (killed or crashed)"
                )

    def _save_plan(self) -> int:
        digest = self.plan.digest()
        known = self.project.store.plan_id(digest)
        if known is not None:
            return known
        with self.project.store.transaction():
            plan_id = self.project.store.add_plan(_now(), digest, dumps(self.plan.to_dict()))
            self.project.audit.append(
                "plan", f"plan {plan_id}", {"digest": digest, "nodes": len(self.plan.nodes)}
            )
        return plan_id

    def _refuse(self, estimates: dict[str, float], total: float) -> None:
        budget = self.budget or 0.0
        fits, spent = [], 0.0
        by_shot: dict[str, float] = {}
        for node in self.plan.nodes:
            if node.id in estimates:
                shot = node.shot or "(project)"
                by_shot[shot] = by_shot.get(shot, 0.0) + estimates[node.id]
        for shot, cost in by_shot.items():
            if spent + cost <= budget:
                fits.append(shot)
                spent += cost
        what_fits = (
            f"within ${budget:.4f} these shots fit: {', '.join(fits)} (${spent:.4f})"
            if fits
            else f"no shot fits within ${budget:.4f}"
        )
        self.project.audit.append(
            "run_refused", "budget", {"estimate_usd": round(total, 6), "budget_usd": budget}
        )
        raise BudgetError(
            f"estimated cost ${total:.4f} for {len(estimates)} node(s) exceeds the budget "
            f"${budget:.4f}; {what_fits}",
            hint=f"raise the budget to at least ${total:.4f} (--budget or brief.yaml "
            "budget_usd), or run fewer shots with --shots",
        )

    def _loop(self, state: _RunState) -> None:
        order = self.plan.order()
        waiting = [n.id for n in order]
        while waiting or state.in_flight:
            progressed = False
            for node_id in list(waiting):
                node = self.plan.node(node_id)
                refs = [r for r in node.inputs if not r.startswith(SOURCE_PREFIX)]
                if any(
                    state.outcomes.get(r) and state.outcomes[r].outcome in ("failed", "skipped")
                    for r in refs
                ):
                    self._finish(state, node, "skipped", reason="an input failed or was skipped")
                    waiting.remove(node_id)
                    progressed = True
                elif all(r in state.resolved for r in refs) and state.status == "completed":
                    waiting.remove(node_id)
                    self._start(state, node)
                    progressed = True
                elif state.status != "completed":
                    self._finish(state, node, "skipped", reason=state.status.replace("_", " "))
                    waiting.remove(node_id)
                    progressed = True
            if state.in_flight:
                done, _ = wait(list(state.in_flight), timeout=0.1, return_when=FIRST_COMPLETED)
                self._drain_events(state)
                self._watchdog(state)
                for future in done:
                    self._complete(state, future)
            elif not progressed and waiting:
                raise RuntimeError(f"plan cannot progress: {waiting}")  # a bug, not user error

    def _start(self, state: _RunState, node: Node) -> None:
        state.variants[node.id] = []
        self._submit_variant(state, node, dict(node.params))

    def _submit_variant(self, state: _RunState, node: Node, params: dict[str, Any]) -> None:
        agent = self.agents[node.agent]
        inputs, prints = self._inputs(node, state.resolved)
        key = self._key(node, params, inputs, prints)
        variants = state.variants[node.id]
        if not variants:
            chosen = self._resolution(key)
            if chosen and (artifact := self.store.load(chosen)):
                # An earlier run already iterated this node; reuse its decision.
                self._resolve(state, node, artifact, "cached")
                return
        metas = [m for _, _, m in inputs]
        estimate = self.pricing.estimate_usd(agent, self._work(node, params, metas))
        variant = _Variant(len(variants), params, key, estimate)
        variants.append(variant)
        artifact = self.store.load(key)
        if artifact is not None:
            self.project.audit.append("cache_hit", node.id, {"key": key, "variant": variant.index})
            self._after_variant(state, node, variant, artifact, ran=False)
            return
        if any(running.key == key for _, running in state.in_flight.values()):
            # Another node of this run is making this very artifact (one recipe, e.g. the
            # QC of a shot master that is also the programme): wait for it, then reuse it.
            variants.pop()
            state.same_key.setdefault(key, []).append((node, params))
            return
        if self.budget is not None and state.spent + state.reserved + estimate > self.budget:
            if variant.index == 0:
                state.status = "budget_exhausted"
                self._finish(
                    state,
                    node,
                    "skipped",
                    reason=f"estimate ${estimate:.4f} does not fit the budget left",
                )
            else:
                variants.pop()
                self._decide(state, node, f"variant {variant.index} would exceed the budget")
            return
        task = NodeTask(
            node_id=node.id,
            agent_ref=self._agent_ref(node.agent),
            key=key,
            params=agent.params_dict(agent.make_params(params)),
            variables=node.variables,
            inputs=[(k, str(p), m) for k, p, m in inputs],
            artifacts_root=str(self.store.root),
            tmp_root=str(self.store.tmp),
            seed=int(key[:8], 16),
            work=self._work(node, params, metas),
            manifest_extra={"node": node.id, "shot": node.shot, "sources": prints},
        )
        state.reserved += estimate
        future = self.executor.submit(task)
        state.in_flight[future] = (node, variant)
        self.emit(
            Event(
                "node_start",
                node.id,
                {
                    "agent": node.agent,
                    "variant": variant.index,
                    "estimate_usd": estimate,
                    "frames": task.work.frames,
                },
            )
        )

    def _record(
        self,
        state: _RunState,
        node: Node,
        variant: _Variant,
        wall_s: float,
        cpu_s: float,
        outcome: str,
    ) -> None:
        """Charge a node execution to the run and write its ledger row."""
        agent = self.agents[node.agent]
        variant.cost = self.pricing.measured_usd(agent, cpu_s)
        state.spent += variant.cost
        state.reserved -= variant.estimate
        inputs = self._inputs(node, state.resolved)[0]
        work = self._work(node, variant.params, [m for _, _, m in inputs])
        self.project.store.add_ledger(
            LedgerEntry(
                state.run_id,
                node.id,
                variant.key,
                node.agent,
                node.shot,
                variant.index,
                wall_s,
                cpu_s,
                work.frames,
                work.megapixels,
                work.audio_s,
                agent.cost.device,
                variant.cost,
                variant.estimate,
                outcome,
                _now(),
            ),
        )

    def _complete(self, state: _RunState, future: Future[NodeResult]) -> None:
        node, variant = state.in_flight.pop(future)
        try:
            self._completed(state, future, node, variant)
        finally:
            # Nodes that waited for this artifact: a cache hit now (or, if it failed, their
            # own attempt).
            for waiting, params in state.same_key.pop(variant.key, []):
                self._submit_variant(state, waiting, params)

    def _completed(
        self, state: _RunState, future: Future[NodeResult], node: Node, variant: _Variant
    ) -> None:
        state.live.pop(node.id, None)
        result = future.result()
        self._record(
            state, node, variant, result.wall_s, result.cpu_s, "ran" if result.ok else "failed"
        )
        if not result.ok:
            self.project.audit.append(
                "node_failed", node.id, {"key": variant.key, "error": result.error}
            )
            self._finish(
                state, node, "failed", key=variant.key, reason=result.error, hint=result.hint
            )
            return
        # The worker checksummed its files as it committed them; read back through the same
        # file system they are the same bytes, so only the manifest is read here (a later
        # run that finds the artifact in the store verifies it whole, as delivery does). A
        # cluster's shared folder is read back whole.
        artifact = self.store.load(variant.key, verify=not self.executor.same_machine)
        if artifact is None:
            self._finish(
                state,
                node,
                "failed",
                key=variant.key,
                reason="the artifact did not verify after writing",
            )
            return
        self.project.audit.append(
            "node_run",
            node.id,
            {
                "key": variant.key,
                "agent": node.agent,
                "variant": variant.index,
                "cpu_s": round(result.cpu_s, 3),
            },
        )
        self._after_variant(state, node, variant, artifact, ran=True)

    def _after_variant(
        self, state: _RunState, node: Node, variant: _Variant, artifact: Artifact, ran: bool
    ) -> None:
        state.ran[node.id] = state.ran.get(node.id, False) or ran
        state.candidates.setdefault(node.id, []).append((variant, artifact))
        agent = self.agents[node.agent]
        if not agent.objectives:
            self._resolve(state, node, artifact, "ran" if state.ran[node.id] else "cached")
            return
        metrics = artifact.metrics
        if all(o.met(metrics.get(o.metric, float("nan"))) for o in agent.objectives):
            self._decide(state, node, "objectives met")
            return
        if len(state.variants[node.id]) >= self.max_variants:
            self._decide(state, node, f"variant limit ({self.max_variants}) reached")
            return
        history = [(agent.make_params(v.params), a.metrics) for v, a in state.candidates[node.id]]
        proposal = agent().propose(agent.make_params(variant.params), metrics, history)
        if proposal is None:
            self._decide(state, node, "the agent has no further variant to propose")
            return
        self.emit(Event("variant", node.id, {"variant": variant.index + 1}))
        self._submit_variant(state, node, agent.params_dict(proposal))

    def _decide(self, state: _RunState, node: Node, why: str) -> None:
        agent = self.agents[node.agent]
        candidates = state.candidates.get(node.id, [])
        if not candidates:
            self._finish(state, node, "skipped", reason=why)
            return

        def score(item: tuple[_Variant, Artifact]) -> tuple[float, int]:
            metrics = item[1].metrics
            return (
                sum(o.distance(metrics.get(o.metric, float("inf"))) for o in agent.objectives),
                item[0].index,
            )

        best_variant, best = min(candidates, key=score)
        first_key = candidates[0][0].key
        with self.project.store.transaction():
            for variant, artifact in candidates:
                chosen = variant is best_variant
                self.project.store.add_decision(
                    DecisionRecord(
                        state.run_id,
                        node.id,
                        variant.index,
                        variant.key,
                        dumps(variant.params),
                        dumps(artifact.metrics),
                        int(chosen),
                        (f"kept variant {variant.index}: {why}" if chosen else "not the best"),
                    ),
                )
            # Remember which variant the first variant's key resolved to, for later runs.
            self.project.store.set_resolution(first_key, best_variant.key, state.run_id)
            self.project.audit.append(
                "decision",
                node.id,
                {"kept": best_variant.index, "variants": len(candidates), "why": why},
            )
        self._resolve(state, node, best, "ran" if state.ran.get(node.id) else "cached")

    def _resolve(self, state: _RunState, node: Node, artifact: Artifact, outcome: str) -> None:
        state.resolved[node.id] = (artifact.key, artifact.path, artifact.meta)
        state.artifacts[node.id] = artifact
        cost = sum(v.cost for v in state.variants.get(node.id, []))
        estimate = sum(v.estimate for v in state.variants.get(node.id, []) if outcome == "ran")
        self._store_findings(state, node, artifact)
        self._finish(state, node, outcome, key=artifact.key, cost=cost, estimate=estimate)

    def _store_findings(self, state: _RunState, node: Node, artifact: Artifact) -> None:
        for f in artifact.manifest.get("findings", []):
            self.project.store.add_finding(
                FindingRecord(
                    None,
                    state.run_id,
                    node.shot,
                    node.id,
                    artifact.key,
                    f.get("check"),
                    f.get("severity"),
                    f.get("start_frame"),
                    f.get("end_frame"),
                    f.get("start_tc"),
                    f.get("end_tc"),
                    f.get("value"),
                    f.get("limit"),
                    f.get("standard"),
                    f.get("message"),
                ),
            )

    def _finish(
        self,
        state: _RunState,
        node: Node,
        outcome: str,
        *,
        key: str | None = None,
        cost: float | None = None,
        estimate: float = 0.0,
        reason: str | None = None,
        hint: str | None = None,
    ) -> None:
        if cost is None:
            cost = sum(v.cost for v in state.variants.get(node.id, []))
        result = NodeOutcome(
            node.id, node.agent, node.shot, outcome, key, cost, estimate, reason, hint
        )
        state.outcomes[node.id] = result
        self.project.store.put_node(
            NodeRecord(
                state.run_id, node.id, node.agent, node.shot, key, outcome, cost, estimate, reason
            )
        )
        self.emit(
            Event(
                "node_done",
                node.id,
                {"outcome": outcome, "cost_usd": cost, "reason": reason, "spent_usd": state.spent},
            )
        )

    # -- progress and the budget watchdog ----------------------------------------------------

    def _drain_events(self, state: _RunState) -> None:
        while True:
            try:
                event = self.executor.events.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return
            if event[0] == "start":
                _, node_id, pid, cpu = event
                state.live[node_id] = (pid, cpu, time.time())
            elif event[0] == "progress":
                _, node_id, done, total = event
                self.emit(
                    Event(
                        "progress",
                        node_id,
                        {"done": done, "total": total, "spent_usd": state.spent},
                    )
                )

    def _watchdog(self, state: _RunState) -> None:
        """Stop the run when measured spending (finished + running nodes) reaches the budget."""
        if self.budget is None or not state.live:
            return
        live_cost = 0.0
        for node_id, (pid, cpu_at_start, _) in list(state.live.items()):
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            node = self.plan.node(node_id)
            live_cost += self.pricing.measured_usd(
                self.agents[node.agent], times.user + times.system - cpu_at_start
            )
        # Margin: one poll interval of CPU per running worker, so the kill lands in time.
        margin = sum(
            self.pricing.measured_usd(self.agents[n.agent], 0.25)
            for n, _ in state.in_flight.values()
        )
        if state.spent + live_cost + margin < self.budget:
            return
        state.status = "budget_exhausted"
        # Read what each running node has used, then stop them all at once.
        used: dict[str, tuple[float, float]] = {}
        for node, _ in state.in_flight.values():
            pid, cpu_at_start, started = state.live.get(node.id, (0, 0.0, time.time()))
            try:
                times = psutil.Process(pid).cpu_times()
                used[node.id] = (time.time() - started, times.user + times.system - cpu_at_start)
            except psutil.Error:
                used[node.id] = (0.0, 0.0)
        self.executor.shutdown(kill=True)
        for future, (node, variant) in list(state.in_flight.items()):
            state.in_flight.pop(future)
            wall_s, cpu_s = used.get(node.id, (0.0, 0.0))
            self._record(state, node, variant, wall_s, cpu_s, "failed")
            self._finish(
                state,
                node,
                "failed",
                key=variant.key,
                reason="stopped: the budget was exhausted while it ran",
            )
        for waiting in state.same_key.values():  # they waited for what was just stopped
            for node, _ in waiting:
                self._finish(state, node, "skipped", reason="budget exhausted")
        state.same_key.clear()
        state.live.clear()


@dataclass
class _RunState:
    run_id: int
    status: str = "completed"
    spent: float = 0.0
    reserved: float = 0.0
    resolved: dict[str, tuple[str, Path | None, dict[str, Any]]] = field(default_factory=dict)
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    outcomes: dict[str, NodeOutcome] = field(default_factory=dict)
    in_flight: dict[Future[NodeResult], tuple[Node, _Variant]] = field(default_factory=dict)
    live: dict[str, tuple[int, float, float]] = field(default_factory=dict)  # pid, CPU, wall
    variants: dict[str, list[_Variant]] = field(default_factory=dict)
    candidates: dict[str, list[tuple[_Variant, Artifact]]] = field(default_factory=dict)
    ran: dict[str, bool] = field(default_factory=dict)
    same_key: dict[str, list[tuple[Node, dict[str, Any]]]] = field(default_factory=dict)


def _fanout(sinks: list[EventSink]) -> EventSink:
    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return emit


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
