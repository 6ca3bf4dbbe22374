"""Delivery: rights and consent per source, what holds each shot back, and delivering
(admins) — the same ``deliver`` as the command, with the request audited under the user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from reelgraph.deliver.delivery import deliver
from reelgraph.review.decisions import latest_render_id
from reelgraph.review.views import shot_rows, sources_rights
from reelgraph.web.deps import Auth, page, project_of, require, require_change

router = APIRouter(tags=["delivery"])


def _deliver(request: Request, auth: Auth) -> dict[str, Any]:
    project = project_of(request)
    run_id = latest_render_id(project.store)
    if run_id is None:
        raise HTTPException(409, "nothing to deliver yet; run first")
    project.audit.append("deliver_request", "delivery", {"run": run_id}, actor=auth.actor)
    result = deliver(project, run_id, actor=auth.actor)
    return {"run": run_id, "delivered": result.delivered, "held": result.held}


def _page(request: Request, auth: Auth, result: dict[str, Any] | None) -> Response:
    """The delivery page: rights per source, each shot's state, and ``result`` of a delivery."""
    project = project_of(request)
    brief = project.brief()
    response: Response = page(
        request,
        "delivery.html",
        auth,
        sources=sources_rights(project),
        rows=shot_rows(project),
        require_approval=brief.review.require_approval,
        result=result,
    )
    return response


@router.get("/delivery", include_in_schema=False)
def delivery_page(request: Request, auth: Annotated[Auth, Depends(require("viewer"))]) -> Response:
    return _page(request, auth, None)


@router.post("/delivery", include_in_schema=False)
def deliver_form(
    request: Request, auth: Annotated[Auth, Depends(require_change("admin"))]
) -> Response:
    return _page(request, auth, _deliver(request, auth))


@router.post("/api/deliver")
def deliver_api(
    request: Request, auth: Annotated[Auth, Depends(require_change("admin"))]
) -> dict[str, Any]:
    """Copy approved, cleared masters of the latest run to deliverables/ (admins)."""
    return _deliver(request, auth)
