"""Executors: where nodes run. A node is a pure function of (input artifacts, params), sent
as a picklable :class:`NodeTask`; the same task runs in a local process pool (default), in
this process (``inline``, for debugging), or on a Ray cluster (``ray``, artifacts on shared
storage)."""

from __future__ import annotations

import collections
import contextlib
import importlib
import ipaddress
import logging
import multiprocessing
import os
import queue
import shutil
import socket
import sys
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
    """This process's CPU time, all threads, user + system: the scheduler's own count
    (nanoseconds), not ``os.times()``'s 10 ms ticks, which are as large as a short node."""
    return time.process_time()


def execute_node(task: NodeTask) -> NodeResult:
    """Run one node and commit its artifact. Never raises: failures come back as results.

    The agent's module is imported before the clocks start: importing it (and the libraries
    it pulls in) is the worker's start-up, paid by whichever node comes first, and charging
    it to that node would make the ledger say the same job costs a second more or less
    depending on where it ran. A failing import is reported below, as any failure."""
    with contextlib.suppress(PlanError):
        load_agent(task.agent_ref)
    started_wall = time.perf_counter()
    started_cpu = _cpu_seconds()
    pid = os.getpid()
    _emit(("start", task.node_id, pid, started_cpu))
    store = ArtifactStore(Path(task.artifacts_root), Path(task.tmp_root))
    workdir = store.new_workdir(task.key)
    last = [0.0]

    def result(ok: bool, **outcome: Any) -> NodeResult:
        """The node's result, with the wall and CPU time it took until now."""
        wall_s = time.perf_counter() - started_wall
        cpu_s = _cpu_seconds() - started_cpu
        return NodeResult(task.node_id, task.key, ok, wall_s, cpu_s, pid, **outcome)

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
        return result(True, meta=output.meta, metrics=output.metrics, findings=output.findings)
    except BaseException as exc:  # report every failure to the runner; never half-commit
        shutil.rmtree(workdir, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        hint = exc.hint if isinstance(exc, ReelgraphError) else None
        return result(
            False,
            error=f"{type(exc).__name__}: {exc}",
            hint=hint,
            detail=traceback.format_exc(),
        )


class Executor(ABC):
    """Runs tasks; the runner polls ``events`` for progress and worker pids."""

    name: str
    events: Any
    #: Workers write the store through this machine's file system (page cache): a file a
    #: worker checksummed as it committed reads back the same here. Not so for a cluster,
    #: whose nodes share the project folder over the network.
    same_machine: bool = True

    @abstractmethod
    def submit(self, task: NodeTask) -> Future[NodeResult]: ...

    @abstractmethod
    def shutdown(self, *, kill: bool = False) -> None: ...

    def check_budget_watch(self) -> None:
        """Raise when the budget watchdog could not measure this executor's workers (it
        reads their CPU time by pid on this machine, which the local pool always allows)."""
        return None


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


class _RayInbox:
    """The driver's end of the progress channel: a small Ray actor that worker tasks append
    events to (fire-and-forget calls, in order per task) and the driver takes in batches.
    A multiprocessing queue cannot cross Ray's process boundary; an actor can, and works
    the same on one machine or many."""

    def __init__(self) -> None:
        self.items: list[tuple[Any, ...]] = []

    def put(self, event: tuple[Any, ...]) -> None:
        self.items.append(event)

    def take(self) -> list[tuple[Any, ...]]:
        items, self.items = self.items, []
        return items


class _RayOutbox:
    """What ``_emit`` sees inside a Ray task: ``put_nowait`` sends without waiting."""

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox

    def put_nowait(self, event: tuple[Any, ...]) -> None:
        import ray

        with contextlib.suppress(ray.exceptions.RayError):  # progress is best-effort
            self.inbox.put.remote(event)


class _RayEvents:
    """The runner's view of the channel: ``get_nowait`` like a queue, one actor call per
    batch rather than per event."""

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox
        self.pending: collections.deque[tuple[Any, ...]] = collections.deque()

    def get_nowait(self) -> tuple[Any, ...]:
        if not self.pending:
            import ray

            try:
                self.pending.extend(ray.get(self.inbox.take.remote(), timeout=5.0))
            except ray.exceptions.RayError as exc:
                raise OSError(f"the Ray progress channel is gone: {exc}") from exc
        if not self.pending:
            raise queue.Empty
        return self.pending.popleft()


def _execute_on_ray(
    task: NodeTask, inbox: Any, import_path: tuple[str, ...], threads: int
) -> NodeResult:
    """A node as a Ray task: the same worker set-up as a pool worker (thread budget, event
    channel), then the same :func:`execute_node` (so the same atomic commit into the
    shared artifact store).

    ``import_path`` is the driver's ``sys.path`` on a local cluster: agents load by
    ``module:Class`` and must import here as they do in a spawned pool worker (which is
    handed its parent's path the same way)."""
    sys.path.extend(p for p in import_path if p not in sys.path)
    apply_thread_budget(threads)
    _init_worker(_RayOutbox(inbox))
    try:
        return execute_node(task)
    finally:
        _init_worker(None)


# The local cluster this process started (its CPU count), so a second executor in the same
# process reuses it instead of paying Ray's start-up again.
_LOCAL_CLUSTER: dict[str, int] = {}
_OBJECT_STORE_BYTES = 80 * 1024 * 1024


def _loopback_cluster(cpus: int) -> None:
    """Start (or reuse) a single-machine Ray cluster bound to loopback only."""
    import ray

    if ray.is_initialized():
        if _LOCAL_CLUSTER.get("cpus") in (None, cpus):
            return  # ours at this size, or one the caller started: use it as it is
        ray.shutdown()
    # Ray swaps a loopback node address for the machine's reachable one (and its servers
    # then listen on every interface) unless it runs as a single-machine cluster. The
    # cluster's processes read the variable when they start; this process read it when Ray
    # was first imported. Both are put back once the cluster is up.
    variable = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
    saved = os.environ.get(variable)
    constants: Any = getattr(getattr(ray, "_private", None), "ray_constants", None)
    enabled = getattr(constants, "ENABLE_RAY_CLUSTER", None)
    os.environ[variable] = "0"
    # Ray enables token authentication on a new local cluster (kept) and warns about it on
    # every start, in the middle of the command's output: that one notice is silenced.
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(
        logging.ERROR
    )
    if enabled is not None:
        constants.ENABLE_RAY_CLUSTER = False
    try:
        ray.init(
            address="local",
            num_cpus=cpus,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            # Tasks carry descriptors and results, never frames: Ray's minimum is plenty.
            object_store_memory=_OBJECT_STORE_BYTES,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    finally:
        if saved is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = saved
        if enabled is not None:
            constants.ENABLE_RAY_CLUSTER = enabled
    _LOCAL_CLUSTER["cpus"] = cpus
    address = ray.util.get_node_ip_address()
    if not ipaddress.ip_address(address).is_loopback:
        shutdown_local_cluster()
        raise PlanError(
            f"the local Ray cluster came up on {address}, not on loopback",
            hint="start Ray after setting RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, or run with "
            "--executor local",
        )


def shutdown_local_cluster() -> None:
    """Stop the local Ray cluster this process started (Ray also stops it at exit)."""
    if _LOCAL_CLUSTER.pop("cpus", None) is not None:
        import ray

        ray.shutdown()


class RayExecutor(Executor):
    """Runs nodes as Ray tasks, one CPU each.

    Without an address it starts a local cluster on loopback sized to ``workers``; with one
    (``RAY_ADDRESS``) it joins that cluster, whose nodes must mount the project folder at
    the same path. Tasks carry descriptors only (paths, keys, frame ranges, params), never
    frames; each worker writes its artifact through the same atomic store as the local pool
    and reports progress through a small actor. The budget watchdog reads the workers' CPU
    time by pid, which holds while every worker runs on this machine; on a cluster that
    spans machines a run with a budget is refused."""

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report, ever
        try:
            import ray
        except ImportError as exc:
            raise PlanError(
                "the Ray executor needs Ray, which is not installed",
                hint="pip install 'reelgraph[ray]', or run with --executor local",
            ) from exc
        self._ray = ray
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.same_machine = not address
        if address:
            if not ray.is_initialized():
                ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            _loopback_cluster(self.workers)
        # An actor that needs no CPU slot, so progress never waits behind a node.
        self._inbox: Any = ray.remote(num_cpus=0)(_RayInbox).remote()
        self.events = _RayEvents(self._inbox)
        # No retries: a retried node would spend budget the runner never sees.
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_execute_on_ray)
        self._import_path = () if address else tuple(sys.path)
        # On this machine the pool's budget (workers × threads = cores); on a cluster each
        # task holds one of Ray's CPUs, so one thread.
        self._threads = 1 if address else thread_budget(self.workers)
        self._running: dict[Any, NodeTask] = {}

    def check_budget_watch(self) -> None:
        hosts = {
            str(n.get("NodeManagerAddress"))
            for n in self._ray.nodes()
            if n.get("Alive") and n.get("Resources", {}).get("CPU")
        }
        here = {"127.0.0.1", "localhost", socket.gethostname()}
        with contextlib.suppress(OSError):
            here.add(socket.gethostbyname(socket.gethostname()))
        elsewhere = sorted(hosts - here)
        if elsewhere:
            raise PlanError(
                "a budget cannot be enforced on a Ray cluster with workers on other machines "
                f"({', '.join(elsewhere)}): the watchdog measures CPU time on this machine",
                hint="run without --budget, or with --executor local (or a Ray cluster on "
                "this machine only: unset RAY_ADDRESS)",
            )

    def submit(self, task: NodeTask) -> Future[NodeResult]:
        ref = self._remote.remote(task, self._inbox, self._import_path, self._threads)
        self._running[ref] = task
        result: Future[NodeResult] = Future()

        def finished(done: Future[Any]) -> None:
            self._running.pop(ref, None)
            try:
                result.set_result(done.result())
            except BaseException as exc:  # the worker died or was cancelled: a failed node
                result.set_result(
                    NodeResult(
                        task.node_id,
                        task.key,
                        False,
                        0.0,
                        0.0,
                        0,
                        error=f"the Ray task ended without a result: {type(exc).__name__}",
                        hint="see the Ray worker logs under the session folder "
                        "(/tmp/ray/session_latest/logs)",
                        detail=str(exc),
                    )
                )

        ref.future().add_done_callback(finished)
        return result

    def shutdown(self, *, kill: bool = False) -> None:
        for ref in list(self._running):
            with contextlib.suppress(self._ray.exceptions.RayError):
                self._ray.cancel(ref, force=kill)
        if kill:
            self._running.clear()
        with contextlib.suppress(self._ray.exceptions.RayError):
            self._ray.kill(self._inbox)


def make_executor(name: str, workers: int | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(workers)
    if name == "inline":
        return InlineExecutor()
    if name == "ray":
        return RayExecutor(workers, os.environ.get("RAY_ADDRESS"))
    raise PlanError(f"unknown executor {name!r}", hint="valid executors: local, inline, ray")
