"""Runs: the latest run's summary, starting a run (admins), and ``/api/events``, a
server-sent event stream of what the runner and the review app do (node started, node done,
run done, review, variable set), read from ``.reelgraph/events.jsonl``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse

from reelgraph.errors import ProjectError
from reelgraph.project.folder import Project
from reelgraph.review.status import run_status
from reelgraph.web.deps import AppState, Auth, project_of, require, require_change, state_of
from reelgraph.web.models import RunOut, RunStarted

router = APIRouter(tags=["runs"])

#: How often the event stream looks for new lines, and sends a keep-alive comment.
EVENT_POLL_S, KEEPALIVE_S = 0.25, 15.0


def start_run(state: AppState, project: Project, actor: str) -> int:
    """Start ``reelgraph run`` for the project in its own process (one at a time)."""
    if state.runner is not None and state.runner.poll() is None:
        raise HTTPException(409, "a run started here is still going; follow /api/events")
    log = (project.state / "serve-run.log").open("ab")
    state.runner = subprocess.Popen(
        [sys.executable, "-m", "reelgraph.cli.main", "run", "-p", str(state.root), "-q"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    log.close()
    project.audit.append("run_request", "run", {"pid": state.runner.pid}, actor=actor)
    return int(state.runner.pid)


@router.get("/api/runs/latest", response_model=RunOut)
def latest_run(request: Request, auth: Annotated[Auth, Depends(require("viewer"))]) -> RunOut:
    """The latest render run: status, node counts, cost against estimate and budget."""
    try:
        status = run_status(project_of(request))
    except ProjectError as exc:
        raise HTTPException(404, str(exc)) from exc
    run, totals = status["run"], status["totals"]
    return RunOut(
        id=run["id"],
        status=run["status"],
        started_at=run["started_at"],
        finished_at=run["finished_at"],
        executor=run["executor"],
        nodes=totals["nodes"],
        ran=totals["ran"],
        cached=totals["cached"],
        failed=totals["failed"],
        skipped=totals["skipped"],
        cost_usd=totals["cost_usd"],
        estimate_usd=run["estimate_usd"],
        budget_usd=run["budget_usd"],
        cost_per_finished_minute_usd=totals["cost_per_finished_minute_usd"],
    )


@router.post("/api/runs", response_model=RunStarted, status_code=202)
def new_run(
    request: Request, auth: Annotated[Auth, Depends(require_change("admin"))]
) -> RunStarted:
    """Start a run (ingest, plan, render what changed, QC). Admins. Follow /api/events."""
    pid = start_run(state_of(request), project_of(request), auth.actor)
    return RunStarted(started=True, pid=pid)


async def _follow(request: Request, since_end: bool) -> AsyncIterator[str]:
    path = state_of(request).root / ".reelgraph" / "events.jsonl"
    position = path.stat().st_size if since_end and path.exists() else 0
    waited = 0.0
    yield "retry: 2000\n\n"
    while not await request.is_disconnected():
        lines: list[str] = []
        if path.exists():
            with path.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            position += len(complete)
            lines = complete.decode("utf-8", "replace").splitlines()
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = str(event.get("kind", "message")).replace("\n", " ")
            yield f"event: {kind}\ndata: {json.dumps(event)}\n\n"
        if lines:
            waited = 0.0
        else:
            waited += EVENT_POLL_S
            if waited >= KEEPALIVE_S:
                waited = 0.0
                yield ": keep-alive\n\n"
        await asyncio.sleep(EVENT_POLL_S)


@router.get("/api/events")
async def events(
    request: Request,
    auth: Annotated[Auth, Depends(require("viewer"))],
    history: bool = False,
) -> StreamingResponse:
    """Server-sent events: ``run_start``, ``node_start``, ``node_done``, ``run_done`` from
    runs, and ``review`` and ``set`` from this app. ``history=true`` replays the log first."""
    return StreamingResponse(
        _follow(request, since_end=not history),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
