"""Costs of the latest run: per shot and per node, estimate against measured, cost per
finished minute, and a bar chart (drawn as SVG on the server; no chart script)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from reelgraph.errors import ProjectError
from reelgraph.review.status import run_status
from reelgraph.web.deps import Auth, page, project_of, require

router = APIRouter(tags=["costs"])
Viewer = Annotated[Auth, Depends(require("viewer"))]


def _status(request: Request) -> dict[str, Any]:
    try:
        return run_status(project_of(request))
    except ProjectError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/costs", include_in_schema=False)
def costs_page(request: Request, auth: Viewer) -> Response:
    status = _status(request)
    per_shot: dict[str, dict[str, float]] = {}
    for node in status["nodes"]:
        if node["shot"]:
            item = per_shot.setdefault(node["shot"], {"measured": 0.0, "estimate": 0.0})
            item["measured"] += node["cost_usd"]
            item["estimate"] += node["estimate_usd"]
    top = max([max(v.values()) for v in per_shot.values()] + [1e-12])
    response: Response = page(
        request, "costs.html", auth, status=status, per_shot=per_shot, top=top
    )
    return response


@router.get("/api/costs")
def costs(request: Request, auth: Viewer) -> dict[str, Any]:
    """The latest run's cost report (``reelgraph.Status.1``, as ``reelgraph status --json``)."""
    return _status(request)
