"""Executors: where nodes run. A node is a pure function of (input artifacts, params), sent
as a picklable :class:`NodeTask`; the same task runs in a local process pool (default), in
this process (``inline``, for debugging), or on a Ray cluster (``ray``, artifacts on shared
storage)."""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import shutil
import time
import traceback
from abc import ABC, abstractmethod
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelgraph.errors import PlanError, ReelgraphError
from reelgraph.orchestrator.agent import Agent, Input, NodeContext, Work
from reelgraph.orchestrator.cache import ArtifactStore, library_versions
from reelgraph.orchestrator.threads import apply_thread_budget, thread_budget


@dataclass(frozen=True)
class NodeTask:
    node_id: str
    agent_ref: str  # "module:Class", importable in the worker
    key: str
    params: dict[str, Any]
    variables: dict[str, Any]
    inputs: list[tuple[str, str, dict[str, Any]]]  # (key, path, meta)
    artifacts_root: str
    tmp_root: str
    seed: int
    work: Work
    manifest_extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeResult:
    node_id: str
    key: str
    ok: bool
    wall_s: float
    cpu_s: float
    pid: int
    meta: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    detail: str | None = None


_EVENTS: Any = None  # the worker's event queue, set by the pool initializer


def _init_worker(events: Any) -> None:
    global _EVENTS
    _EVENTS = events


def _init_local_worker(events: Any, threads: int) -> None:
    """Pool initializer: the worker's share of the cores, then its event queue."""
    apply_thread_budget(threads)
    _init_worker(events)


def _emit(event: tuple[Any, ...]) -> None:
    if _EVENTS is not None:
        with contextlib.suppress(queue.Full, OSError, ValueError):  # progress is best-effort
            _EVENTS.put_nowait(event)


def load_agent(ref: str) -> type[Agent]:
    module_name, _, class_name = ref.partition(":")
    try:
        cls = importlib.import_module(module_name)
        for part in class_name.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError) as exc:
        raise PlanError(f"cannot load agent {ref}: {exc}") from exc
    return cls  # type: ignore[return-value]


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def execute_node(task: NodeTask) -> NodeResult:
    """Run one node and commit its artifact. Never raises: failures come back as results."""
    started_wall = time.perf_counter()
    started_cpu = _cpu_seconds()
    pid = os.getpid()
    _emit(("start", task.node_id, pid, started_cpu))
    store = ArtifactStore(Path(task.artifacts_root), Path(task.tmp_root))
    workdir = store.new_workdir(task.key)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 0.2 or done >= total:
            last[0] = now
            _emit(("progress", task.node_id, done, total))

    try:
        cls = load_agent(task.agent_ref)
        agent = cls()
        params = cls.make_params(task.params)
        ctx = NodeContext(
            node_id=task.node_id,
            inputs=[Input(k, Path(p), m) for k, p, m in task.inputs],
            params=params,
            variables=dict(task.variables),
            out_dir=workdir,
            seed=task.seed,
            progress=progress,
        )
        output = agent.run(ctx)
        manifest = {
            "agent": cls.name,
            "version": cls.version,
            "params": task.params,
            "variables": task.variables,
            "inputs": [k for k, _, _ in task.inputs],
            "output": output.meta,
            "metrics": output.metrics,
            "findings": output.findings,
            "libraries": library_versions(),
            **task.manifest_extra,
        }
        store.commit(task.key, workdir, manifest)
        return NodeResult(
            task.node_id,
            task.key,
            True,
            time.perf_counter() - started_wall,
            _cpu_seconds() - started_cpu,
            pid,
            output.meta,
            output.metrics,
            output.findings,
        )
    except BaseException as exc:  # report every failure to the runner; never half-commit
        shutil.rmtree(workdir, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        hint = exc.hint if isinstance(exc, ReelgraphError) else None
        return NodeResult(
            task.node_id,
            task.key,
            False,
            time.perf_counter() - started_wall,
            _cpu_seconds() - started_cpu,
            pid,
            error=f"{type(exc).__name__}: {exc}",
            hint=hint,
            detail=traceback.format_exc(),
        )


class Executor(ABC):
    """Runs tasks; the runner polls ``events`` for progress and worker pids."""

    name: str
    events: Any

    @abstractmethod
    def submit(self, task: NodeTask) -> Future[NodeResult]: ...

    @abstractmethod
    def shutdown(self, *, kill: bool = False) -> None: ...


class InlineExecutor(Executor):
    """Runs each node in this process, one at a time (debugging, tests with stub agents)."""

    name = "inline"

    def __init__(self) -> None:
        self.events: queue.Queue[Any] = queue.Queue()

    def submit(self, task: NodeTask) -> Future[NodeResult]:
        _init_worker(self.events)
        future: Future[NodeResult] = Future()
        future.set_result(execute_node(task))
        return future

    def shutdown(self, *, kill: bool = False) -> None:
        _init_worker(None)


class LocalExecutor(Executor):
    """A process pool sized to the machine (spawned workers: no inherited locks or threads)."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self.events = context.Queue()
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_init_local_worker,
            initargs=(self.events, thread_budget(self.workers)),
        )

    def submit(self, task: NodeTask) -> Future[NodeResult]:
        return self.pool.submit(execute_node, task)

    def shutdown(self, *, kill: bool = False) -> None:
        if kill:
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.kill()
        self.pool.shutdown(wait=not kill, cancel_futures=True)


class RayExecutor(Executor):
    """Runs nodes as Ray tasks. Artifacts must be on storage every Ray node mounts at the
    same path (the project folder on a shared file system)."""

    name = "ray"

    def __init__(self, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise PlanError(
                "the Ray executor needs Ray", hint="pip install 'reelgraph[ray]'"
            ) from exc
        self._ray = ray
        if not ray.is_initialized():
            ray.init(address=address, ignore_reinit_error=True)
        self._remote = ray.remote(execute_node)
        self.events: queue.Queue[Any] = queue.Queue()  # Ray tasks report through results only

    def submit(self, task: NodeTask) -> Future[NodeResult]:
        return self._remote.remote(task).future()

    def shutdown(self, *, kill: bool = False) -> None:
        return None


def make_executor(name: str, workers: int | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(workers)
    if name == "inline":
        return InlineExecutor()
    if name == "ray":
        return RayExecutor(os.environ.get("RAY_ADDRESS"))
    raise PlanError(f"unknown executor {name!r}", hint="valid executors: local, inline, ray")
