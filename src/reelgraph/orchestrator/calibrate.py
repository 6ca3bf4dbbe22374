"""Calibrate cost estimates on this machine: measure each agent's overhead and CPU seconds
per unit of work (megapixel-frame, audio second or node), the two numbers of the cost
model in :mod:`reelgraph.orchestrator.budget`.

What an agent costs depends on what it is given: picture content, frame size, parameters,
the chain upstream of it, the worker processes and their thread budget. So the agents a
project's plan uses are measured on that plan: one shot's analysis and render run twice,
on excerpts of two lengths, in a scratch project, through the same executor a render uses
and, as ``reelgraph run`` does, one pool of workers for the analysis and the render (a
worker's first node pays the libraries its agent loads on first use, and a pool started
afresh for the render would charge that to the render's nodes as a run never does). A line
through each agent's (units, CPU seconds) gives its overhead (the intercept: opening codecs
and models, reports) and its rate (the slope); an agent measured at one job size only keeps
its declared overhead and takes the rest as its rate. Jobs that only link files (a one-take
programme) give the cost of a link (:data:`reelgraph.orchestrator.budget.LINK`). A project without
footage is measured the same way on a stand-in shot: a photograph under a slow pan and
zoom with light sensor noise, 8-bit H.264 at 1080p with stereo dialogue — the footage a
web delivery starts from, not a flat ramp whose cost is all overhead.

Agents outside the plan run their own ``calibration_job`` on synthetic media of two
lengths, fitted the same way (:func:`own_jobs`).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from reelgraph.errors import ReelgraphError
from reelgraph.ingest.sources import source_meta
from reelgraph.media.audio import write_audio
from reelgraph.media.probe import probe
from reelgraph.media.video import VideoWriter
from reelgraph.orchestrator.agent import Cost, Input, NodeContext, Work
from reelgraph.orchestrator.budget import LINK, ledger_work, model_of, save_calibration
from reelgraph.orchestrator.executor import Executor, LocalExecutor
from reelgraph.orchestrator.registry import Registry
from reelgraph.project.folder import Project, init_project
from reelgraph.project.store import Store

logger = logging.getLogger(__name__)

#: Excerpt lengths (frames) of the shot the plan is measured on: long enough that the rate
#: is not lost in the overhead, two of them so the two can be told apart. The longer is
#: longer than one restore chunk (plan.restoration.CHUNK_FRAMES, 64), so a long shot's
#: restore is measured as it runs, in parallel chunks joined by a view, and the nodes
#: downstream read a picture written by several workers, as they do in the real render.
EXCERPTS = (12, 72)
#: Frame size of the stand-in shot for a project without footage (as long as the longest
#: excerpt).
STAND_IN_SIZE = (1920, 1080)
#: Synthetic clip of the agents' own jobs (agents outside the plan): measured at half and
#: twice this many frames, at this size — small, since every such agent runs three times.
SYNTHETIC_FRAMES = 24
SYNTHETIC_SIZE = (640, 360)

STAND_IN_BRIEF = """\
schema: reelgraph.Brief.1
project: calibration
delivery: web-sdr
review: {require_approval: false}
sources:
  - id: stand-in
    path: stand-in.mp4
    rights: {owner: reelgraph, licence: generated for calibration, origin: generated,
             cleared: true}
scenes:
  - id: scene
    variables: {time_of_day: day}
    shots:
      - {id: calibration, source: stand-in}
"""


@dataclass(frozen=True)
class Fit:
    """One agent's measured cost model. ``overhead_cpu_s`` None: the declared one is kept
    (a single measurement cannot separate it from the rate)."""

    unit: str
    cpu_seconds_per_unit: float
    overhead_cpu_s: float | None
    executions: int


def fit_line(points: Iterable[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares (intercept, slope) of CPU seconds over units, neither negative.

    >>> fit_line([(10, 3.0), (40, 9.0)])
    (1.0, 0.2)
    >>> fit_line([(10, 2.0), (40, 1.8)])  # cost does not grow with the job: all overhead
    (1.9, 0.0)
    >>> fit_line([(10, 1.0), (20, 5.0)])  # negative intercept: a line through the origin
    (0.0, 0.22)
    """
    xs, ys = zip(*points, strict=True)
    x, y = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    if np.ptp(x) == 0:
        return 0.0, float(y.mean() / x[0]) if x[0] > 0 else 0.0
    slope, intercept = np.polyfit(x, y, 1)
    if slope < 0:
        return round(float(y.mean()), 9), 0.0
    if intercept < 0:
        return 0.0, round(float((x * y).sum() / (x * x).sum()), 9)
    return round(float(intercept), 9), round(float(slope), 9)


# -- measuring a plan on excerpts of a shot ---------------------------------------------------


def stand_in_shot(path: Path, frames: int, width: int, height: int) -> None:
    """Write the stand-in shot: a photograph (scikit-image's sample data, shipped with the
    package) under a slow pan and zoom, light sensor noise, x264 CRF 23, stereo dialogue."""
    import cv2
    import skimage.data

    from reelgraph.demo.build import SHOTS, dialogue_track

    photo = skimage.data.coffee().astype(np.float32) / 255.0
    h, w = photo.shape[:2]
    scale = max(width * 1.2 / w, height * 1.2 / h)
    big = cv2.resize(photo, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(7)
    with VideoWriter(
        path,
        width=width,
        height=height,
        frame_rate=Fraction(24),
        preset="h264",
        audio=(48000, "stereo"),
        extra_options={"crf": "23", "preset": "fast"},
    ) as writer:
        for i in range(frames):
            z = 1.0 + 0.05 * i / max(1, frames - 1)
            cx, cy = big.shape[1] / 2 + 0.7 * (i - frames / 2), big.shape[0] / 2
            matrix = np.array([[z, 0, width / 2 - z * cx], [0, z, height / 2 - z * cy]])
            frame = cv2.warpAffine(big, matrix, (width, height), flags=cv2.INTER_LINEAR)
            noise = rng.normal(0.0, 2.0 / 255.0, size=(height, width, 3))
            writer.write(np.clip(frame + noise.astype(np.float32), 0.0, 1.0))
        writer.write_audio(dialogue_track(SHOTS[0], frames / 24, seed=1), 48000)


def _excerpt_brief(brief: dict[str, Any], source: dict[str, Any], shot: dict[str, Any]) -> str:
    """The brief of a scratch project that holds one excerpt of one shot, nothing else."""
    scratch = {k: v for k, v in brief.items() if k not in ("sources", "scenes", "budget_usd")}
    scratch["sources"] = [source]
    scratch["scenes"] = [shot]
    return yaml.safe_dump(scratch, sort_keys=False)


def _measure_excerpts(
    brief: dict[str, Any],
    source: dict[str, Any],
    scene: dict[str, Any],
    first: int,
    lengths: Iterable[int],
    registry: Registry,
    executor: Callable[[], Executor],
) -> list[tuple[str, Work, float]]:
    """(agent, work, CPU s) of every node execution of the shot's analysis and render,
    once per excerpt length, each in a fresh scratch project (so nothing is cached) on a
    fresh pool of workers shared by its analysis and render, as ``reelgraph run`` does."""
    from reelgraph.analyse.stage import run_analysis
    from reelgraph.ingest.sources import ingest
    from reelgraph.orchestrator.runner import Runner
    from reelgraph.plan.planner import build_plan

    executions: list[tuple[str, Work, float]] = []
    for length in lengths:
        shot = {**scene["shots"][0], "frames": [first, first + length - 1]}
        text = _excerpt_brief(brief, source, {**scene, "shots": [shot]})
        with tempfile.TemporaryDirectory(prefix="reelgraph-calibrate-") as tmp:
            scratch = init_project(Path(tmp) / "project", brief_text=text)
            try:
                scratch_brief = scratch.brief()
                ingest(scratch, scratch_brief)
                pool = executor()
                try:
                    run_analysis(
                        scratch, scratch_brief, pool, registry=registry, keep_executor=True
                    )
                    plan = build_plan(scratch, scratch_brief, registry)
                    Runner(scratch, plan, pool, registry=registry).run()
                finally:
                    pool.shutdown()  # done by the render's end; not by a failed analysis
                executions += [
                    (
                        r.agent,
                        ledger_work(
                            registry.get(r.agent).cost.unit, r.frames, r.megapixels, r.audio_s
                        ),
                        r.cpu_s,
                    )
                    for r in scratch.store.ran_executions()
                ]
            finally:
                scratch.close()
    return executions


def _fits(executions: list[tuple[str, Work, float]], registry: Registry) -> dict[str, Fit]:
    """Each agent's fit, and under :data:`~reelgraph.orchestrator.budget.LINK` the fit of
    the jobs that only linked files (they say nothing of their agent's rate)."""
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    models: dict[str, Cost] = {}
    for agent, work, cpu in executions:
        name, cost = model_of(registry.get(agent), work)
        units = work.units(cost.unit)
        if units > 0:
            points[name].append((units, cpu))
            models[name] = cost
    fits = {}
    for name, xy in points.items():
        cost = models[name]
        if len({x for x, _ in xy}) > 1:
            overhead, rate = fit_line(xy)
            fits[name] = Fit(cost.unit, rate, overhead, len(xy))
        elif cost.unit == "node":  # a per-node agent: overhead and rate are one number
            fits[name] = Fit(cost.unit, fit_line(xy)[1], 0.0, len(xy))
        else:
            # One job size only (a step the plan takes on the longer excerpt alone): one
            # point cannot split overhead from rate, so the declared overhead stands (capped
            # at what was measured) and the rest is the rate. Taking it all as rate would
            # charge the overhead again for every unit of a longer job.
            units, cpu = float(np.mean([x for x, _ in xy])), float(np.mean([y for _, y in xy]))
            overhead = min(cost.overhead_cpu_s, cpu)
            fits[name] = Fit(cost.unit, round((cpu - overhead) / units, 9), overhead, len(xy))
    return fits


def _shot_to_measure(project: Project) -> tuple[dict[str, Any], dict[str, Any], int, int] | None:
    """(source, scene, first frame, frames) of the project's first shot, brief-shaped."""
    rows = project.store.shots()
    if not rows:
        return None
    row = rows[0]
    brief = project.brief()
    source = next(s for s in brief.sources if s.id == row.source)
    source_doc = source.model_dump(mode="json", by_alias=True, exclude_none=True)
    source_doc["path"] = str((project.root / source.path).resolve())
    scene_doc = {
        "id": row.scene,
        "variables": project.variables(row.scene),
        "shots": [{"id": row.id, "source": row.source}],
    }
    count = int(row.end_frame) - int(row.start_frame) + 1
    return source_doc, scene_doc, int(row.start_frame), count


def _planned_agents(project: Project | None, registry: Registry) -> set[str]:
    """Agents of the project's current plan (analysis included); empty when it has none."""
    from reelgraph.analyse.stage import analysis_plan
    from reelgraph.plan.planner import build_plan

    if project is None:
        return set()
    try:
        brief = project.brief()
        plans = (build_plan(project, brief, registry), analysis_plan(project, brief, registry))
    except ReelgraphError:
        return set()
    return {node.agent for plan in plans for node in plan.nodes}


def measure_plan(
    project: Project | None,
    registry: Registry,
    *,
    excerpts: tuple[int, int] = EXCERPTS,
    executor: Callable[[], Executor] = LocalExecutor,
) -> dict[str, Fit]:
    """Fit every agent the plan of the project's first shot uses; the stand-in shot's
    plan when the project has no footage, or when its plan cannot run on an excerpt (a
    brief that names files relative to the project folder, say)."""
    shot = _shot_to_measure(project) if project is not None else None
    if shot is not None and project is not None:
        brief = project.brief().model_dump(mode="json", by_alias=True, exclude_none=True)
        source, scene, first, count = shot
        lengths = sorted({min(count, n) for n in excerpts})
        try:
            return _fits(
                _measure_excerpts(brief, source, scene, first, lengths, registry, executor),
                registry,
            )
        except ReelgraphError as exc:
            logger.warning("calibrating on the stand-in shot: %s", exc)
    with tempfile.TemporaryDirectory(prefix="reelgraph-stand-in-") as tmp:
        path = Path(tmp) / "stand-in.mp4"
        stand_in_shot(path, max(excerpts), *STAND_IN_SIZE)
        brief = yaml.safe_load(STAND_IN_BRIEF)
        source = {**brief["sources"][0], "path": str(path)}
        lengths = sorted(set(excerpts))
        executions = _measure_excerpts(
            brief, source, brief["scenes"][0], 0, lengths, registry, executor
        )
    return _fits(executions, registry)


# -- agents outside the plan: their own job on synthetic media --------------------------------


def _synthetic(folder: Path, frames: int, width: int, height: int) -> dict[str, Input]:
    """The agents' own jobs' media: the picture as agents hand it to each other (half-float
    EXR frames, as restore writes them; a lossless 16-bit FFV1 clip decodes at several times
    the CPU per pixel, which was charged to the agents' rates), a camera-like H.264 source
    with sound, and a WAV."""
    from reelgraph.agents._io import intermediate_meta, open_intermediate

    rng = np.random.default_rng(0)
    ramp = np.linspace(0.1, 0.9, width, dtype=np.float32)[None, :, None]
    base = np.broadcast_to(ramp, (height, width, 3)).copy()
    rate, seconds = 48000, frames / 24
    t = np.arange(int(rate * seconds)) / rate
    tone = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[:, None].repeat(2, 1)
    write_audio(folder / "audio.wav", tone, rate)
    (folder / "video").mkdir()
    video_meta = intermediate_meta(frames, width, height, "24/1", None)
    with (
        open_intermediate(folder / "video", video_meta) as picture,
        VideoWriter(
            folder / "source.mp4",
            width=width,
            height=height,
            frame_rate=Fraction(24),
            preset="h264",
            audio=(rate, "stereo"),
        ) as source,
    ):
        for i in range(frames):
            noise = rng.normal(0, 0.02, base.shape).astype(np.float32)
            frame = np.clip(np.roll(base, i * 4, axis=1) + noise, 0, 1)
            picture.write(frame)
            source.write(frame)
        source.write_audio(tone, rate)
    return {
        "video": Input("calibration-video", folder / "video", video_meta),
        "audio": Input(
            "calibration-audio",
            folder,
            {
                "kind": "audio",
                "file": "audio.wav",
                "rate": rate,
                "channels": 2,
                "duration_s": seconds,
            },
        ),
        "source": Input(
            "calibration-source", folder / "source.mp4", source_meta(probe(folder / "source.mp4"))
        ),
    }


def own_jobs(
    registry: Registry,
    names: Iterable[str],
    frames: int = SYNTHETIC_FRAMES,
    size: tuple[int, int] = SYNTHETIC_SIZE,
) -> dict[str, Fit]:
    """Fit each agent's own calibration job, run in this process on synthetic clips of
    ``frames // 2`` and ``frames * 2`` frames: a line through the two gives its overhead and
    rate, as the plan's excerpts do (one size only keeps the declared overhead). Each job
    runs once unmeasured first: the first run loads the agent's libraries, which a render
    pays once per worker, not per node."""
    lengths = (max(1, frames // 2), frames * 2)
    executions: list[tuple[str, Work, float]] = []
    with tempfile.TemporaryDirectory(prefix="reelgraph-calibrate-") as tmp:
        folder = Path(tmp)
        media = {}
        for length in lengths:
            (folder / str(length)).mkdir()
            media[length] = _synthetic(folder / str(length), length, *size)
        for name in names:
            agent = registry.get(name)()
            for run, length in enumerate((lengths[0], *lengths)):
                job = agent.calibration_job(media[length])
                if job is None:
                    break
                inputs, params = job
                out = folder / f"out-{name}-{run}"
                out.mkdir()
                work = agent.work([i.meta for i in inputs], params)
                before = time.process_time()
                agent.run(NodeContext(name, inputs, params, {}, out, seed=0))
                if run > 0:  # the first run warmed the libraries up
                    executions.append((name, work, time.process_time() - before))
    return _fits(executions, registry)


def calibrate(
    store: Store,
    registry: Registry,
    names: list[str] | None = None,
    frames: int = SYNTHETIC_FRAMES,
    size: tuple[int, int] = SYNTHETIC_SIZE,
) -> dict[str, float]:
    """Run each agent's own calibration job on synthetic media (:func:`own_jobs`) and store
    its overhead and CPU seconds per unit; returns the rates measured."""
    fits = own_jobs(registry, names or registry.names(), frames, size)
    for name, fit in fits.items():
        save_calibration(store, name, fit.unit, fit.cpu_seconds_per_unit, fit.overhead_cpu_s)
    return {name: fit.cpu_seconds_per_unit for name, fit in fits.items()}


def calibrate_project(
    project: Project | None,
    store: Store,
    registry: Registry,
    names: list[str] | None = None,
    *,
    excerpts: tuple[int, int] = EXCERPTS,
) -> dict[str, Fit]:
    """Measure and store every agent (or ``names``): those of the plan on the plan, the
    others on their own jobs. Returns what was measured."""
    wanted = set(names or registry.names())
    fits: dict[str, Fit] = {}
    if names is None or wanted & _planned_agents(project, registry):
        measured = measure_plan(project, registry, excerpts=excerpts)
        # The link's cost is measured whenever the plan is (it is no agent's to ask for).
        fits = {k: v for k, v in measured.items() if k in wanted or k == LINK}
    for name, fit in fits.items():
        save_calibration(store, name, fit.unit, fit.cpu_seconds_per_unit, fit.overhead_cpu_s)
    rest = sorted(wanted - set(fits))
    if rest:
        for name, fit in own_jobs(registry, rest).items():
            save_calibration(store, name, fit.unit, fit.cpu_seconds_per_unit, fit.overhead_cpu_s)
            fits[name] = fit
    return fits
