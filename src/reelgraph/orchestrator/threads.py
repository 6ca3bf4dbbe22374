"""Thread budget of a worker process: workers × threads = cores.

OpenCV, FFmpeg (through PyAV) and onnxruntime each start a pool as large as the machine
by default; with one such pool per worker process a 2-core machine running 2 workers has 4+
busy threads per core and every node gets slower (oversubscription). Each executor sizes
its workers' pools with :func:`thread_budget` and applies it once per worker process with
:func:`apply_thread_budget`; readers of the budget (video decoding, OpenCV, onnxruntime
sessions) ask :func:`worker_threads`.

Encoders whose bytes depend on their thread count (x264, x265, ProRes) keep the fixed
count of their preset (:data:`reelgraph.media.video.PRESETS`), so a master is the same
file whatever the number of workers.
"""

from __future__ import annotations

import os

#: Environment variable that carries the budget into a worker process and its children.
THREADS_ENV = "REELGRAPH_THREADS"


def machine_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def thread_budget(workers: int, cores: int | None = None) -> int:
    """Threads each of ``workers`` processes may use so that together they fill the cores.

    >>> thread_budget(2, cores=2), thread_budget(1, cores=8), thread_budget(16, cores=8)
    (1, 8, 1)
    """
    cores = machine_cores() if cores is None else cores
    return max(1, cores // max(1, workers))


def apply_thread_budget(threads: int) -> None:
    """Size this process's pools: OpenCV now; PyAV and onnxruntime read :func:`worker_threads`
    when they open a stream or a session."""
    os.environ[THREADS_ENV] = str(max(1, int(threads)))
    import cv2

    cv2.setNumThreads(max(1, int(threads)))


def worker_threads() -> int:
    """The budget applied to this process, or every core when none was (the CLI's own
    process, one stage at a time)."""
    value = os.environ.get(THREADS_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else machine_cores()
