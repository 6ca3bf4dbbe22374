"""The audit log with its verification status (the hash chain checked on every view),
filtered by user, shot and action."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from reelgraph.review.views import audit_entries
from reelgraph.web.deps import Auth, page, project_of, require

router = APIRouter(tags=["audit"])
Viewer = Annotated[Auth, Depends(require("viewer"))]


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    auth: Viewer,
    user: str | None = None,
    shot: str | None = None,
    action: str | None = None,
) -> Response:
    project = project_of(request)
    response: Response = page(
        request,
        "audit.html",
        auth,
        entries=audit_entries(project, actor=user, subject=shot, action=action),
        verified=project.audit.verify(),
        user=user or "",
        shot=shot or "",
        action=action or "",
    )
    return response


@router.get("/api/audit")
def audit(
    request: Request,
    auth: Viewer,
    user: str | None = None,
    shot: str | None = None,
    action: str | None = None,
) -> dict[str, Any]:
    """Entries newest first (at most 500) and whether the hash chain verifies."""
    project = project_of(request)
    result = project.audit.verify()
    return {
        "ok": result.ok,
        "problems": result.problems,
        "entries": audit_entries(project, actor=user, subject=shot, action=action),
    }
