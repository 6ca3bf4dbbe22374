"""Calibrated cost models: a measured overhead and rate replace the declared ones in every
estimate, and a store made before overheads were measured takes them without losing its
earlier calibration."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelgraph.orchestrator.agent import LINK_CPU_S, Work
from reelgraph.orchestrator.budget import Pricing, save_calibration
from reelgraph.orchestrator.calibrate import Fit, _fits
from reelgraph.orchestrator.registry import DEFAULT
from reelgraph.project.brief import RateCard
from reelgraph.project.folder import init_project

CARD = RateCard(cpu_core_hour_usd=36.0, gpu_hour_usd=36.0)  # one cent per CPU second
MASTER = DEFAULT.get("master")


def test_measured_overhead_and_rate_replace_the_declared_ones(tmp_path: Path) -> None:
    project = init_project(tmp_path / "p")
    work = Work(frames=120, megapixels=120 * 1920 * 1080 / 1e6)
    declared = Pricing.load(project.store, CARD).estimate_cpu_s(MASTER, work)
    assert declared == pytest.approx(
        MASTER.cost.overhead_cpu_s + MASTER.cost.cpu_seconds_per_unit * work.megapixels
    )
    save_calibration(project.store, "master", "megapixel_frame", 0.05, overhead_cpu_s=2.0)
    pricing = Pricing.load(project.store, CARD)
    assert pricing.estimate_cpu_s(MASTER, work) == pytest.approx(2.0 + 0.05 * work.megapixels)
    assert pricing.estimate_usd(MASTER, work) == pytest.approx((2.0 + 0.05 * work.megapixels) / 100)


def test_a_rate_measured_without_overhead_keeps_the_declared_overhead(tmp_path: Path) -> None:
    project = init_project(tmp_path / "p")
    save_calibration(project.store, "master", "megapixel_frame", 0.05)
    work = Work(frames=10, megapixels=20.0)
    estimate = Pricing.load(project.store, CARD).estimate_cpu_s(MASTER, work)
    assert estimate == pytest.approx(MASTER.cost.overhead_cpu_s + 0.05 * 20.0)


def test_an_older_store_gains_the_overhead_column_and_keeps_its_rows(tmp_path: Path) -> None:
    project = init_project(tmp_path / "p")
    store = project.store
    store.execute("DROP TABLE calibration")
    store.execute(
        "CREATE TABLE calibration (agent TEXT PRIMARY KEY, unit TEXT NOT NULL,"
        " cpu_seconds_per_unit REAL NOT NULL, measured_at TEXT NOT NULL)"
    )
    store.execute("INSERT INTO calibration VALUES ('qc', 'megapixel_frame', 0.02, 'then')")
    assert Pricing.load(store, CARD).calibration == {"qc": 0.02}
    save_calibration(store, "master", "megapixel_frame", 0.05, overhead_cpu_s=1.0)
    pricing = Pricing.load(store, CARD)
    assert pricing.calibration == {"qc": 0.02, "master": 0.05}
    assert pricing.overheads == {"master": 1.0}


def test_each_agent_is_fitted_from_its_executions_at_two_job_sizes() -> None:
    # Two excerpts: master at 24 and 96 megapixel-frames, conform a per-node view.
    executions = [
        ("master", Work(12, 24.0), 1.0 + 0.05 * 24),
        ("master", Work(48, 96.0), 1.0 + 0.05 * 96),
        ("conform", Work(12, 24.0), 0.02),
        ("conform", Work(48, 96.0), 0.04),
    ]
    fits = _fits(executions, DEFAULT)
    assert fits["master"] == Fit("megapixel_frame", pytest.approx(0.05), pytest.approx(1.0), 2)
    assert fits["conform"] == Fit("node", pytest.approx(0.03), 0.0, 2)


def test_a_linked_job_is_priced_as_one_and_teaches_the_calibration_nothing() -> None:
    """A one-take programme is its shot master's file, linked: estimated at the cost of a
    link however long the take, and its executions (no units of work) leave the
    programme's encode rate to be measured on a real cut."""
    pricing = Pricing(RateCard(), {})
    programme = DEFAULT.get("programme")
    linked = Work(fixed_cpu_s=LINK_CPU_S)
    encoded = Work(120, 120 * 2.07)
    assert pricing.estimate_cpu_s(programme, linked) == LINK_CPU_S
    assert pricing.estimate_cpu_s(programme, encoded) > 100 * LINK_CPU_S
    executions = [("programme", Work(), 0.003), ("programme", Work(), 0.002)]
    assert "programme" not in _fits(executions, DEFAULT)
