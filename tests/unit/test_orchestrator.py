"""The orchestrator with stub agents: exactly which nodes run and which come from cache."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelgraph.errors import BudgetError, PlanError
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output
from reelgraph.orchestrator.executor import InlineExecutor, LocalExecutor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.registry import Registry
from reelgraph.orchestrator.runner import Runner, RunSummary, SourceRef
from reelgraph.project.folder import Project, init_project
from stub_agents import STUBS, _read, _write


@dataclass(frozen=True)
class ModelParams:
    model: str = ""


class ModelScale(Agent):
    """Multiplies by the number stored in a model file named by its params (weights)."""

    name = "stub_model"
    version = "1"
    Params = ModelParams
    cost = Cost("node", 0.5, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        return _write(ctx, _read(ctx) * float(Path(ctx.params.model).read_text()))


REGISTRY = Registry(extra={**STUBS, "stub_model": ModelScale})


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return init_project(tmp_path / "proj")


def source(project: Project, value: float = 2.0) -> dict[str, SourceRef]:
    path = project.root / "input.txt"
    path.write_text(str(value))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"input": SourceRef("input", path, digest, {"kind": "value"})}


def diamond(amount: float = 1.0, factor: float = 3.0) -> Plan:
    """load → add(amount) → scale(factor) → join;  load → add2 → join."""
    return Plan(
        "p",
        "web-sdr",
        (
            Node("load", "stub_load", {}, ("source:input",), "read the number", "s1"),
            Node("add", "stub_add", {"amount": amount}, ("load",), "add", "s1"),
            Node(
                "scale",
                "stub_scale",
                {},
                ("add",),
                "scale by the scene factor",
                "s1",
                variables={"factor": factor},
            ),
            Node("add2", "stub_add", {"amount": 10.0}, ("load",), "other branch", "s2"),
            Node("join", "stub_add", {"amount": 0.0}, ("scale", "add2"), "sum both", "s2"),
        ),
    )


def run(project: Project, plan: Plan, **kwargs: object) -> dict[str, str]:
    runner = Runner(
        project,
        plan,
        kwargs.pop("executor", InlineExecutor()),
        registry=REGISTRY,
        sources=source(project),
        **kwargs,
    )  # type: ignore[arg-type]
    summary = runner.run()
    return {node_id: outcome.outcome for node_id, outcome in summary.nodes.items()}


def value_of(project: Project, node_id: str) -> float:
    import json

    row = project.store.one(
        "SELECT key FROM nodes WHERE node_id = ? ORDER BY run_id DESC LIMIT 1", (node_id,)
    )
    assert row is not None
    path = project.artifacts / row["key"][:2] / row["key"] / "value.json"
    return float(json.loads(path.read_text())["value"])


def test_second_run_is_all_cache_hits(project: Project) -> None:
    assert set(run(project, diamond()).values()) == {"ran"}
    assert set(run(project, diamond()).values()) == {"cached"}
    assert value_of(project, "join") == (2 + 1) * 3 + (2 + 10)


def test_changing_one_parameter_reruns_only_that_node_and_descendants(project: Project) -> None:
    run(project, diamond(amount=1.0))
    outcomes = run(project, diamond(amount=5.0))
    assert outcomes == {
        "load": "cached",
        "add": "ran",
        "scale": "ran",
        "add2": "cached",
        "join": "ran",
    }
    assert value_of(project, "join") == (2 + 5) * 3 + 12


def test_changing_a_scene_variable_reruns_its_readers_only(project: Project) -> None:
    run(project, diamond(factor=3.0))
    outcomes = run(project, diamond(factor=4.0))
    assert outcomes == {
        "load": "cached",
        "add": "cached",
        "scale": "ran",
        "add2": "cached",
        "join": "ran",
    }
    assert value_of(project, "scale") == 12.0


def test_cache_survives_a_new_process_and_runner(project: Project) -> None:
    run(project, diamond(), executor=LocalExecutor(workers=2))
    reopened = Project(project.root, project.store, project.audit)
    assert set(run(reopened, diamond(), executor=LocalExecutor(workers=1)).values()) == {"cached"}


def test_corrupt_artifact_is_detected_and_recomputed(project: Project) -> None:
    run(project, diamond())
    row = project.store.one("SELECT key FROM nodes WHERE node_id = 'add2'")
    assert row is not None
    (project.artifacts / row["key"][:2] / row["key"] / "value.json").write_text('{"value": 999}')
    outcomes = run(project, diamond())
    assert outcomes["add2"] == "ran"
    assert outcomes["join"] == "cached"  # same key: add2's recomputed output is identical
    assert value_of(project, "add2") == 12.0


def test_corrupt_artifact_of_the_same_size_is_recomputed(project: Project) -> None:
    # Bit rot and a same-length rewrite keep the size: only the checksum can catch them.
    run(project, diamond())
    row = project.store.one("SELECT key FROM nodes WHERE node_id = 'add2'")
    assert row is not None
    stored = project.artifacts / row["key"][:2] / row["key"] / "value.json"
    good = stored.read_bytes()
    stored.write_bytes(good.replace(b"12.0", b"99.0"))
    assert stored.stat().st_size == len(good) and stored.read_bytes() != good
    outcomes = run(project, diamond())
    assert outcomes["add2"] == "ran"
    assert value_of(project, "add2") == 12.0


def test_replacing_a_model_file_at_the_same_path_reruns_its_nodes(project: Project) -> None:
    weights = project.root / "scale.onnx"
    weights.write_text("2")
    plan = Plan(
        "p",
        "web-sdr",
        (
            Node("load", "stub_load", {}, ("source:input",), "read"),
            Node("model", "stub_model", {"model": str(weights)}, ("load",), "apply the model"),
            Node("after", "stub_add", {"amount": 0.0}, ("model",), "downstream"),
        ),
    )
    run(project, plan)
    assert value_of(project, "after") == 4.0
    weights.write_text("3")  # new weights, same file name: the old artifacts are stale
    outcomes = run(project, plan)
    assert outcomes == {"load": "cached", "model": "ran", "after": "ran"}
    assert value_of(project, "after") == 6.0
    weights.unlink()
    with pytest.raises(PlanError, match="model file not found"):
        run(project, plan)


def test_partial_artifact_without_manifest_is_recomputed(project: Project) -> None:
    run(project, diamond())
    row = project.store.one("SELECT key FROM nodes WHERE node_id = 'load'")
    assert row is not None
    (project.artifacts / row["key"][:2] / row["key"] / "manifest.json").unlink()
    assert run(project, diamond())["load"] == "ran"


def test_budget_smaller_than_estimate_refuses_before_any_node_runs(project: Project) -> None:
    # Five nodes at 0.5 CPU-s each, $0.05 per core-hour: about $0.0000347.
    with pytest.raises(BudgetError) as refused:
        run(project, diamond(), budget_usd=0.00001)
    assert "exceeds the budget" in str(refused.value)
    assert "fit" in str(refused.value)
    assert project.store.query("SELECT * FROM ledger") == []
    assert not any(project.artifacts.iterdir())


#: USD per CPU second with the template's rate card.
CPU_SECOND_USD = 0.05 / 3600


def budget_run(project: Project, plan: Plan, workers: int, cpu_seconds: float) -> RunSummary:
    """Run ``plan`` on a local pool of ``workers`` with a budget of ``cpu_seconds``."""
    return Runner(
        project,
        plan,
        LocalExecutor(workers=workers),
        registry=REGISTRY,
        sources=source(project),
        budget_usd=cpu_seconds * CPU_SECOND_USD,
    ).run()


def test_run_never_spends_more_than_its_budget(project: Project) -> None:
    # Each burn node really uses 3 CPU-s but estimates 0.5: the watchdog must stop the run.
    plan = Plan(
        "p",
        "web-sdr",
        tuple(
            Node(
                f"burn{i}", "stub_burn", {"seconds": 3.0, "tag": str(i)}, ("source:input",), "burn"
            )
            for i in range(4)
        ),
    )
    budget = 4.0 * CPU_SECOND_USD  # four CPU seconds: room for the estimates, not the cost
    summary = budget_run(project, plan, workers=2, cpu_seconds=4.0)
    spent = sum(r["cost_usd"] for r in project.store.query("SELECT cost_usd FROM ledger"))
    assert summary.status == "budget_exhausted"
    assert spent <= budget
    assert summary.spent_usd <= budget
    assert summary.count("ran") < 4


@pytest.mark.slow  # a process pool and two CPU-seconds of real work
def test_watchdog_counts_what_finished_nodes_already_spent(project: Project) -> None:
    # burn0 then burn1, one after the other, each really using 1 CPU-s but estimating 0.5.
    # burn1 is admitted (1 spent + 0.5 estimated fit in 1.7), so only a watchdog that adds
    # burn0's 1 to burn1's running cost stops it before the budget is passed.
    plan = Plan(
        "p",
        "web-sdr",
        (
            Node("burn0", "stub_burn", {"seconds": 1.0, "tag": "0"}, ("source:input",), "burn"),
            Node("burn1", "stub_burn", {"seconds": 1.0, "tag": "1"}, ("burn0",), "burn"),
        ),
    )
    budget = 1.7 * CPU_SECOND_USD
    summary = budget_run(project, plan, workers=1, cpu_seconds=1.7)
    spent = sum(r["cost_usd"] for r in project.store.query("SELECT cost_usd FROM ledger"))
    assert summary.status == "budget_exhausted"
    assert summary.nodes["burn0"].outcome == "ran"
    assert summary.nodes["burn1"].outcome == "failed"
    assert spent <= budget


def test_iteration_keeps_the_variant_that_meets_the_objective(project: Project) -> None:
    plan = Plan(
        "p",
        "web-sdr",
        (
            Node("load", "stub_load", {}, ("source:input",), "read"),
            Node("gain", "stub_gain", {"gain": 1.0}, ("load",), "reach 10 ± 0.5"),
            Node("after", "stub_add", {"amount": 0.0}, ("gain",), "downstream"),
        ),
    )
    outcomes = run(project, plan, max_variants=4)
    assert outcomes == {"load": "ran", "gain": "ran", "after": "ran"}
    decisions = project.store.query(
        "SELECT variant, chosen, why FROM decisions WHERE node_id = 'gain' ORDER BY variant"
    )
    assert len(decisions) == 2  # gain 1 gives 2; gain 5.2 gives 10.4, within 10 ± 0.5
    assert [d["chosen"] for d in decisions] == [0, 1]
    assert "objectives met" in decisions[1]["why"]
    assert value_of(project, "after") == pytest.approx(10.4)
    # A second run replays the decision from cache: nothing runs.
    assert set(run(project, plan, max_variants=4).values()) == {"cached"}


def test_iteration_stops_at_the_variant_limit(project: Project) -> None:
    plan = Plan(
        "p",
        "web-sdr",
        (
            Node("load", "stub_load", {}, ("source:input",), "read"),
            Node("gain", "stub_gain", {"gain": 1.0}, ("load",), "reach 10 ± 0.5"),
        ),
    )
    run(project, plan, max_variants=1)
    rows = project.store.query("SELECT why FROM decisions WHERE node_id = 'gain'")
    assert len(rows) == 1 and "variant limit" in rows[0]["why"]


def test_failed_node_skips_descendants_and_is_recorded(project: Project) -> None:
    bad = Plan(
        "p",
        "web-sdr",
        (
            Node("load", "stub_load", {}, ("source:input",), "read"),
            Node("gain", "stub_gain", {"gain": "not a number"}, ("load",), "fails"),
            Node("after", "stub_add", {}, ("gain",), "downstream"),
        ),
    )
    outcomes = run(project, bad)
    assert outcomes == {"load": "ran", "gain": "failed", "after": "skipped"}


def test_unknown_parameter_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(PlanError, match="amuont") as refused:
        STUBS["stub_add"].make_params({"amuont": 2})
    assert refused.value.hint == "valid parameters: amount"


def test_plan_round_trips_and_rejects_cycles() -> None:
    plan = diamond()
    assert Plan.from_dict(plan.to_dict()) == plan
    with pytest.raises(PlanError, match="cycle"):
        Plan(
            "p",
            "web-sdr",
            (Node("a", "stub_add", {}, ("b",), ""), Node("b", "stub_add", {}, ("a",), "")),
        )


def test_killed_leftovers_in_tmp_are_never_used(project: Project) -> None:
    run(project, diamond())
    key = project.store.one("SELECT key FROM nodes WHERE node_id = 'add'")["key"]  # type: ignore[index]
    final = project.artifacts / key[:2] / key
    shutil.move(str(final), str(project.tmp / "half-written"))
    assert run(project, diamond())["add"] == "ran"


def test_the_restore_agents_models_are_model_files_of_its_key() -> None:
    from reelgraph.orchestrator.registry import DEFAULT

    restore = DEFAULT.get("restore")
    onnx = restore.make_params({"upscale": 2, "upscaler": "/models/sr_x2.onnx"})
    assert restore.model_files(onnx) == [Path("/models/sr_x2.onnx")]
    assert restore.model_files(restore.make_params({"upscale": 2, "upscaler": "dcci"})) == []
    # The shipped networks are model files too: a reinstall with new weights re-renders.
    from reelgraph.media.models import shipped_model

    learned_x4 = restore.make_params({"upscale": 4, "upscaler": "learned"})
    assert restore.model_files(learned_x4) == [shipped_model("restore_x2")]
    learned_x1 = restore.make_params({"denoise_method": "learned"})
    assert restore.model_files(learned_x1) == [shipped_model("restore_x1")]
    assert restore.model_files(restore.make_params({})) == []


def test_a_run_can_hand_its_workers_to_the_next(project: Project) -> None:
    """``reelgraph run`` analyses, then renders, on one pool: the workers start once."""
    executor = LocalExecutor(workers=1)

    def worker_of(amount: float, **kwargs: object) -> float:
        node = Node("pid", "stub_pid", {"amount": amount}, (), "report the worker", "s1")
        run(project, Plan("p", "web-sdr", (node,)), executor=executor, **kwargs)
        return value_of(project, "pid") - amount

    first = worker_of(0.0, keep_executor=True, kind="analysis")
    assert worker_of(0.5) == first  # the same worker process, not a new pool
    with pytest.raises(RuntimeError):  # a run that does not keep them shuts them down
        worker_of(1.0)


@pytest.mark.slow  # a process pool and a CPU-second of real work
def test_a_node_waiting_for_the_same_recipe_is_skipped_when_the_budget_stops_it(
    project: Project,
) -> None:
    """Two nodes of one recipe: the second waits for the first's artifact instead of
    making it again; when the watchdog stops the first, the second is skipped (the run
    ends, every node with its outcome) rather than left waiting."""
    burn = {"seconds": 3.0, "tag": "same"}
    plan = Plan(
        "p",
        "web-sdr",
        (
            Node("burnA", "stub_burn", burn, ("source:input",), "burn"),
            Node("burnB", "stub_burn", burn, ("source:input",), "the same recipe"),
        ),
    )
    summary = budget_run(project, plan, workers=2, cpu_seconds=1.0)
    assert summary.status == "budget_exhausted"
    assert summary.nodes["burnA"].outcome == "failed"
    assert summary.nodes["burnB"].outcome == "skipped"
    assert len(project.store.query("SELECT * FROM ledger")) == 1  # made (and stopped) once
