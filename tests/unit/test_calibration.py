"""Calibrated cost models: a measured overhead and rate replace the declared ones in every
estimate, and a store made before overheads were measured takes them without losing its
earlier calibration; the plan is measured as ``reelgraph run`` runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from reelgraph.agents._io import frames, intermediate_meta
from reelgraph.ingest.sources import ingest
from reelgraph.orchestrator.agent import LINK_COST, Work
from reelgraph.orchestrator.budget import LINK, Pricing, ledger_work, save_calibration
from reelgraph.orchestrator.calibrate import (
    STAND_IN_BRIEF,
    Fit,
    _fits,
    _synthetic,
    calibrate,
    measure_plan,
    stand_in_shot,
)
from reelgraph.orchestrator.executor import InlineExecutor, NodeResult, NodeTask
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


def test_a_linked_job_is_priced_as_a_link_and_teaches_the_agent_nothing() -> None:
    """A one-take programme is its shot master's file, linked: estimated as a link of its
    frames (the store hashes the file), not as an encode, and its executions leave the
    programme's encode rate to be measured on a real cut; they measure the link."""
    pricing = Pricing(RateCard(), {})
    programme = DEFAULT.get("programme")
    linked = Work(frames=120, link=True)
    link_s = LINK_COST.overhead_cpu_s + LINK_COST.cpu_seconds_per_unit * 120
    assert pricing.estimate_cpu_s(programme, linked) == pytest.approx(link_s)
    assert pricing.estimate_cpu_s(programme, Work(120, 120 * 2.07)) > 100 * link_s
    executions = [
        ("programme", Work(frames=12, link=True), 0.0010 + 0.00001 * 12),
        ("programme", Work(frames=72, link=True), 0.0010 + 0.00001 * 72),
    ]
    fits = _fits(executions, DEFAULT)
    assert "programme" not in fits
    assert fits[LINK] == Fit("frame", pytest.approx(0.00001), pytest.approx(0.001), 2)


def test_a_calibrated_link_cost_prices_every_link(tmp_path: Path) -> None:
    """What a link costs on this machine replaces the declared one, and only for links:
    the programme's encode keeps its own rate."""
    project = init_project(tmp_path / "p")
    save_calibration(project.store, LINK, "frame", 0.0001, 0.002)
    save_calibration(project.store, "programme", "megapixel_frame", 0.04, 0.5)
    pricing = Pricing.load(project.store, CARD)
    programme = DEFAULT.get("programme")
    linked = Work(frames=100, link=True)
    assert pricing.estimate_cpu_s(programme, linked) == pytest.approx(0.002 + 0.0001 * 100)
    assert pricing.estimate_cpu_s(programme, Work(10, 20.0)) == pytest.approx(0.5 + 0.04 * 20)


def test_the_ledger_gives_back_each_job_as_it_was_priced() -> None:
    # a programme row of frames and no megapixels was a link of those frames; a conform
    # row (per node) and a picture job stay what they were
    assert ledger_work("megapixel_frame", 120, 0.0, 0.0) == Work(frames=120, link=True)
    assert ledger_work("megapixel_frame", 12, 24.9, 0.0) == Work(12, 24.9)
    assert ledger_work("node", 0, 0.0, 0.0) == Work()


def test_an_agent_measured_at_one_size_keeps_its_declared_overhead() -> None:
    """A step the plan takes on the longer excerpt only (dialogue cleaning of a shot long
    enough to hear the noise, a long shot's join): one point cannot split overhead from
    rate, so the declared overhead stands and the rest is the rate. Taking all of it as the
    rate would charge the overhead again per unit: 1.7× for qc on a job 1.7× as long."""
    qc = DEFAULT.get("qc")
    overhead, rate = qc.cost.overhead_cpu_s, 0.01
    measured_at = Work(72, 72 * 2.0736)
    fits = _fits([("qc", measured_at, overhead + rate * measured_at.megapixels)], DEFAULT)
    assert fits["qc"] == Fit("megapixel_frame", pytest.approx(rate), overhead, 1)
    longer = Work(120, 120 * 2.0736)
    save = {"qc": fits["qc"].cpu_seconds_per_unit}
    pricing = Pricing(CARD, save, {"qc": overhead})
    truth = overhead + rate * longer.megapixels
    assert pricing.estimate_cpu_s(qc, longer) == pytest.approx(truth)
    # cheaper than the declared overhead: all overhead, no negative rate
    cheap = _fits([("qc", measured_at, overhead / 2)], DEFAULT)["qc"]
    assert (cheap.overhead_cpu_s, cheap.cpu_seconds_per_unit) == (overhead / 2, 0.0)


def test_extract_audio_is_sized_by_the_sound_it_decodes() -> None:
    """The whole source's track is decoded and the shot's span cut from it: a 5 s shot
    of a 10 min take costs 10 min of decoding, and is estimated so."""
    agent = DEFAULT.get("extract_audio")()
    take = {"kind": "video", "frame_rate": "24/1", "duration_s": 600.0}
    shot = agent.make_params({"first": 240, "last": 359})
    assert agent.work([take], shot).audio_s == pytest.approx(600.0)


def test_a_join_is_sized_by_every_chunk_it_links() -> None:
    join = DEFAULT.get("join_chunks")()
    chunk = {"kind": "video", "frames": 60, "width": 1920, "height": 1080}
    work = join.work([chunk, chunk], join.Params())
    assert (work.frames, work.megapixels) == (120, pytest.approx(120 * 2.0736))


class _Pools(InlineExecutor):
    """An executor factory that remembers each pool it made and the nodes each ran."""

    made: ClassVar[list[_Pools]] = []

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        _Pools.made.append(self)

    def submit(self, task: NodeTask) -> Any:
        self.nodes.append(task.node_id.split("/")[-1])
        future: Any = super().submit(task)
        result: NodeResult = future.result()
        assert result.ok, result.detail
        return future


@pytest.mark.slow  # the plan of a 96×54 shot, twice (~6 s)
def test_calibration_measures_each_excerpt_on_one_pool_like_a_run(tmp_path: Path) -> None:
    """``reelgraph run`` keeps one pool of workers for the analysis and the render, so a
    render node never runs on a worker that has not loaded anything yet. The calibration
    measures under the same conditions: one pool per excerpt that runs both stages (a pool
    started afresh for the render charged the libraries' first use to the render's nodes:
    dialogue cleaning calibrated 1.55× what it costs in a run). Its programme, a link of the
    shot master, gives the link's cost and not the programme's."""
    brief = STAND_IN_BRIEF.replace("path: stand-in.mp4", "path: footage/shot.mp4")
    project = init_project(tmp_path / "p", brief_text=brief)
    (project.root / "footage").mkdir()
    stand_in_shot(project.root / "footage" / "shot.mp4", 16, 96, 54)
    ingest(project, project.brief())
    _Pools.made = []
    fits = measure_plan(project, DEFAULT, excerpts=(4, 8), executor=_Pools)
    assert len(_Pools.made) == 2  # one per excerpt
    for pool in _Pools.made:
        assert {"analyse_plate", "restore", "master"} <= set(pool.nodes), pool.nodes
    assert fits[LINK].executions == 2 and "programme" not in fits
    assert fits["restore"].executions == 2


def test_agents_outside_the_plan_are_measured_on_the_intermediate_agents_exchange(
    tmp_path: Path,
) -> None:
    """Their own jobs read the picture as restore writes it for the agents after it (the
    intermediate), not as a 16-bit FFV1 clip: decoding that cost several times the CPU
    per pixel and went into their rates (a programme's encode calibrated at 0.64 CPU-s a
    megapixel-frame, five times what it costs on the picture it really reads)."""
    picture = _synthetic(tmp_path, 3, 32, 18)["video"]
    restored = intermediate_meta(3, 32, 18, "24/1", None)
    assert (picture.meta["preset"], picture.meta["file"]) == (restored["preset"], restored["file"])
    read = [f.rgb.shape for f in frames(picture)]
    assert read == [(18, 32, 3)] * 3


@pytest.mark.slow  # a proxy of 12 and 48 frames at 640×360, and a warm-up (~4 s)
def test_an_agent_outside_the_plan_is_fitted_on_two_lengths(tmp_path: Path) -> None:
    """A proxy (no plan of the project makes one) runs its own job on 12 and 48 synthetic
    frames: overhead and rate both measured and stored. Measured at one length with the
    declared overhead (0.3 CPU-s) taken off, a job cheaper than that overhead left a rate
    of 0, and any proxy, however long, was estimated at 0.3 CPU-s."""
    project = init_project(tmp_path / "p")
    rates = calibrate(project.store, DEFAULT, ["proxy"])
    [row] = [r for r in project.store.calibration() if r.agent == "proxy"]
    assert row.overhead_cpu_s is not None
    assert rates["proxy"] > 0.0
