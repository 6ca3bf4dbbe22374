"""Thread budget: workers × threads = cores, and what reads it."""

from __future__ import annotations

import cv2
import pytest

from reelgraph.orchestrator.threads import (
    THREADS_ENV,
    apply_thread_budget,
    thread_budget,
    worker_threads,
)


def test_workers_share_the_cores() -> None:
    assert [thread_budget(w, cores=8) for w in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]
    assert thread_budget(0, cores=2) == 2  # nonsense worker counts still get a thread


def test_a_worker_applies_its_budget_to_opencv_and_the_readers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    before = cv2.getNumThreads()
    try:
        apply_thread_budget(1)
        assert cv2.getNumThreads() == 1 and worker_threads() == 1
        monkeypatch.setenv(THREADS_ENV, "3")
        assert worker_threads() == 3
        monkeypatch.setenv(THREADS_ENV, "nonsense")
        assert worker_threads() >= 1  # falls back to the machine's cores
    finally:
        cv2.setNumThreads(before)
