"""The Ray executor on a local loopback cluster: the same results and cache as the local
pool, progress reaching the driver, the budget watchdog stopping Ray workers, nothing
listening beyond loopback, and nothing left running after shutdown."""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from reelgraph.errors import PlanError
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output
from reelgraph.orchestrator.events import Event
from reelgraph.orchestrator.executor import InlineExecutor, RayExecutor, shutdown_local_cluster
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.registry import Registry
from reelgraph.orchestrator.runner import Runner, SourceRef
from reelgraph.orchestrator.threads import thread_budget, worker_threads
from reelgraph.project.folder import Project, init_project
from stub_agents import STUBS

pytestmark = pytest.mark.slow  # a Ray cluster takes seconds to start


@dataclass(frozen=True)
class CountParams:
    steps: int = 5


class Count(Agent):
    """Reports progress once per step, then passes its input on."""

    name = "stub_count"
    version = "1"
    Params = CountParams
    cost = Cost("node", 0.1, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        for step in range(1, ctx.params.steps + 1):
            time.sleep(0.25)  # longer than the progress throttle, so each step is sent
            ctx.progress(step, ctx.params.steps)
        return STUBS["stub_load"]().run(ctx)


class Crash(Agent):
    """Ends its worker process the way an out-of-memory kill would."""

    name = "stub_crash"
    version = "1"
    cost = Cost("node", 0.1, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        os._exit(3)


class Threads(Agent):
    """Reports the thread budget its worker process runs under."""

    name = "stub_threads"
    version = "1"
    cost = Cost("node", 0.1, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        import cv2

        (ctx.out_dir / "value.json").write_text("{}")
        return Output(
            {"kind": "value", "file": "value.json"},
            metrics={"budget": worker_threads(), "opencv": cv2.getNumThreads()},
        )


REGISTRY = Registry(extra={**STUBS, Count.name: Count, Crash.name: Crash, Threads.name: Threads})
RATE = 0.05 / 3600  # USD per CPU second with the template's rate card


@pytest.fixture(scope="module")
def cluster() -> Iterator[list[psutil.Process]]:
    """One loopback cluster for the module (in each xdist worker its own), in its own
    temporary folder; yields Ray's processes and checks they are all gone at the end."""
    folder = tempfile.mkdtemp(prefix="rg-ray-")  # short: Ray's socket paths have a limit
    saved = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = folder
    # Only what the cluster starts: other fixtures of this worker (a review server, say)
    # may have children of their own that outlive this module.
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    try:
        RayExecutor(workers=2).shutdown()
        processes = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
        yield processes
    finally:
        shutdown_local_cluster()
        if saved is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = saved
    _, alive = psutil.wait_procs(processes, timeout=15)
    shutil.rmtree(folder, ignore_errors=True)
    assert not alive, f"Ray left processes running: {[p.pid for p in alive]}"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return init_project(tmp_path / "proj")


def source(project: Project, value: float = 2.0) -> dict[str, SourceRef]:
    path = project.root / "input.txt"
    path.write_text(str(value))
    return {"input": SourceRef("input", path, f"v{value}", {"kind": "value"})}


def diamond() -> Plan:
    return Plan(
        "p",
        "web-sdr",
        (
            Node("load", "stub_load", {}, ("source:input",), "read", "s1"),
            Node("add", "stub_add", {"amount": 1.0}, ("load",), "add", "s1"),
            Node("scale", "stub_scale", {}, ("add",), "scale", "s1", variables={"factor": 3}),
            Node("add2", "stub_add", {"amount": 10.0}, ("load",), "other branch", "s2"),
            Node("join", "stub_add", {"amount": 0.0}, ("scale", "add2"), "sum", "s2"),
        ),
    )


def runner(project: Project, plan: Plan, executor: object, **kwargs: object) -> Runner:
    return Runner(project, plan, executor, registry=REGISTRY, sources=source(project), **kwargs)  # type: ignore[arg-type]


def delivered_values(project: Project) -> dict[str, bytes]:
    rows = project.store.query("SELECT node_id, key FROM nodes ORDER BY node_id")
    return {
        r["node_id"]: (project.artifacts / r["key"][:2] / r["key"] / "value.json").read_bytes()
        for r in rows
    }


def test_ray_gives_the_same_artifacts_and_cache_as_running_in_process(
    cluster: list[psutil.Process], tmp_path: Path
) -> None:
    on_ray = init_project(tmp_path / "ray")
    summary = runner(on_ray, diamond(), RayExecutor(workers=2)).run()
    assert summary.status == "completed"
    assert summary.count("ran") == 5
    here = init_project(tmp_path / "inline")
    runner(here, diamond(), InlineExecutor()).run()
    assert delivered_values(on_ray) == delivered_values(here)
    assert {r["executor"] for r in on_ray.store.query("SELECT executor FROM runs")} == {"ray"}
    again = runner(on_ray, diamond(), RayExecutor(workers=2)).run()
    assert again.count("cached") == 5


def test_progress_from_ray_workers_reaches_the_driver(
    cluster: list[psutil.Process], project: Project
) -> None:
    plan = Plan("p", "web-sdr", (Node("count", "stub_count", {}, ("source:input",), "count"),))
    events: list[Event] = []
    runner(project, plan, RayExecutor(workers=2), sinks=[events.append]).run()
    progress = [(e.data["done"], e.data["total"]) for e in events if e.kind == "progress"]
    assert progress[-1] == (5, 5)
    assert len(progress) >= 3


def test_budget_watchdog_measures_and_stops_ray_workers(
    cluster: list[psutil.Process], project: Project
) -> None:
    # Each burn really uses 6 CPU-s but estimates 0.5: only the watchdog can stop the run,
    # and only by reading the Ray workers' CPU time.
    plan = Plan(
        "p",
        "web-sdr",
        tuple(
            Node(f"burn{i}", "stub_burn", {"seconds": 6.0, "tag": str(i)}, ("source:input",), "b")
            for i in range(4)
        ),
    )
    budget = 2.5 * RATE
    summary = runner(project, plan, RayExecutor(workers=2), budget_usd=budget).run()
    ledger = project.store.query("SELECT node_id, cpu_s, cost_usd, outcome FROM ledger")
    assert summary.status == "budget_exhausted"
    assert summary.count("ran") == 0
    assert sum(r["cost_usd"] for r in ledger) <= budget
    assert {r["outcome"] for r in ledger} == {"failed"}
    # What stopped the run was measured on the two Ray workers that were burning (the
    # other two tasks were still queued): the budget less the watchdog's margin of a
    # quarter CPU-second per node in flight, not zero.
    measured = [r["cpu_s"] for r in ledger if r["cpu_s"] > 0.05]
    assert 1 <= len(measured) <= 2
    assert sum(measured) > 1.0
    # The stopped tasks' workers are gone, not burning on: the cluster is idle again.
    time.sleep(0.5)
    busy = [p for p in psutil.Process().children(recursive=True) if _cpu_percent(p) > 50]
    assert not busy, [p.name() for p in busy]


def _cpu_percent(process: psutil.Process) -> float:
    try:
        return process.cpu_percent(interval=0.3)
    except psutil.Error:
        return 0.0


def test_budget_is_refused_when_ray_workers_are_on_other_machines(
    cluster: list[psutil.Process], project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = RayExecutor(workers=2)
    remote = {"Alive": True, "NodeManagerAddress": "10.20.30.40", "Resources": {"CPU": 8.0}}
    nodes = executor._ray.nodes()
    monkeypatch.setattr(executor._ray, "nodes", lambda: [*nodes, remote])
    with pytest.raises(PlanError) as refused:
        runner(project, diamond(), executor, budget_usd=1.0).run()
    assert "10.20.30.40" in str(refused.value)
    assert "--budget" in (refused.value.hint or "")
    assert project.store.query("SELECT * FROM runs") == []
    # Without a budget the same cluster is fine.
    assert runner(project, diamond(), executor).run().status == "completed"


def test_a_ray_worker_that_dies_fails_its_node_not_the_run(
    cluster: list[psutil.Process], project: Project
) -> None:
    plan = Plan(
        "p",
        "web-sdr",
        (
            Node("crash", "stub_crash", {}, ("source:input",), "dies"),
            Node("load", "stub_load", {}, ("source:input",), "fine"),
        ),
    )
    summary = runner(project, plan, RayExecutor(workers=2)).run()
    assert summary.status == "failed"
    assert summary.nodes["crash"].outcome == "failed"
    assert "Ray task ended without a result" in (summary.nodes["crash"].reason or "")
    assert summary.nodes["load"].outcome == "ran"


def test_the_cluster_listens_on_loopback_only(cluster: list[psutil.Process]) -> None:
    pids = {p.pid for p in psutil.Process().children(recursive=True)} | {os.getpid()}
    listening = [
        c
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.pid in pids
    ]
    assert listening  # Ray's servers are there …
    for connection in listening:  # … and none of them on a reachable interface
        address = ipaddress.ip_address(connection.laddr.ip)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        assert address.is_loopback, connection


def test_ray_workers_run_under_the_pools_thread_budget(
    cluster: list[psutil.Process], project: Project
) -> None:
    plan = Plan("p", "web-sdr", (Node("t", "stub_threads", {}, ("source:input",), "threads"),))
    summary = runner(project, plan, RayExecutor(workers=2)).run()
    metrics = summary.artifacts["t"].metrics
    assert metrics == {"budget": thread_budget(2), "opencv": thread_budget(2)}
