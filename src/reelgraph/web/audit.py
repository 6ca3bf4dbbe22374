"""The audit log with its verification status (the hash chain checked on every view),
filtered by user, shot and action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from reelgraph.project.folder import Project
from reelgraph.review.views import audit_entries
from reelgraph.web.deps import Auth, page, project_of, require

router = APIRouter(tags=["audit"])
Viewer = Annotated[Auth, Depends(require("viewer"))]


@dataclass(frozen=True)
class AuditFilter:
    """The query of both views: who (the part before any ``@``), shot and action."""

    user: str | None = None
    shot: str | None = None
    action: str | None = None

    def entries(self, project: Project) -> list[dict[str, Any]]:
        return audit_entries(project, actor=self.user, subject=self.shot, action=self.action)


Filters = Annotated[AuditFilter, Depends()]


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, auth: Viewer, filters: Filters) -> Response:
    project = project_of(request)
    response: Response = page(
        request,
        "audit.html",
        auth,
        entries=filters.entries(project),
        verified=project.audit.verify(),
        user=filters.user or "",
        shot=filters.shot or "",
        action=filters.action or "",
    )
    return response


@router.get("/api/audit")
def audit(request: Request, auth: Viewer, filters: Filters) -> dict[str, Any]:
    """Entries newest first (at most 500) and whether the hash chain verifies."""
    project = project_of(request)
    result = project.audit.verify()
    return {
        "ok": result.ok,
        "problems": result.problems,
        "entries": filters.entries(project),
    }
