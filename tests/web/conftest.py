"""Fixtures of the review app's tests: the rendered project (once per session) and a
server per module over its own copy."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from review_project import Server, build_project, copy_project, start_server, stop_server


@pytest.fixture(scope="session")
def rendered_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rendered once per test session — once for all xdist workers, which share the
    session's base folder; tests that change it work on a copy."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    template = shared / "review-app" / "template"
    template.parent.mkdir(exist_ok=True)
    with (shared / "review-app.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the first to build
        if not (shared / "review-app" / "ready").exists():
            if template.exists():
                shutil.rmtree(template)  # a build interrupted earlier in this session
            build_project(template)
            (shared / "review-app" / "ready").touch()
    return template


@pytest.fixture(scope="module")
def server(rendered_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server over this module's own copy of the rendered project."""
    root = copy_project(rendered_project, tmp_path_factory.mktemp("served") / "project")
    running = start_server(root)
    yield running
    stop_server(running)
