"""Scenes and their variables. Admins change a variable (the same ``Project.set_variable``
as ``reelgraph set``, audited under their name); the page then starts the re-run and
follows its progress over ``/api/events`` until the new versions appear."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from reelgraph.errors import ProjectError
from reelgraph.review.views import scene_rows
from reelgraph.web.deps import Auth, page, project_of, publish, require, require_change, state_of
from reelgraph.web.models import VariableIn, VariableOut
from reelgraph.web.runs import start_run

router = APIRouter(tags=["scenes"])
Admin = Annotated[Auth, Depends(require_change("admin"))]


def _set(request: Request, scene: str, name: str, value: Any, auth: Auth, rerun: bool) -> bool:
    project = project_of(request)
    try:
        project.set_variable(scene, name, value, actor=auth.actor)
    except ProjectError as exc:
        raise HTTPException(404, f"{exc}; {exc.hint}") from exc
    publish(project, "set", f"{scene}.{name}", {"value": value, "by": auth.actor})
    if rerun:
        start_run(state_of(request), project, auth.actor)
    return rerun


@router.get("/scenes", include_in_schema=False)
def scenes_page(request: Request, auth: Annotated[Auth, Depends(require("viewer"))]) -> Response:
    response: Response = page(request, "scenes.html", auth, scenes=scene_rows(project_of(request)))
    return response


@router.post("/api/scenes/{scene_id}/variables", response_model=VariableOut)
def set_variable(request: Request, scene_id: str, body: VariableIn, auth: Admin) -> VariableOut:
    """Set a scene variable (admins); the next run re-renders exactly what reads it.
    ``rerun: true`` starts that run now."""
    started = _set(request, scene_id, body.name, body.value, auth, body.rerun)
    return VariableOut(scene=scene_id, name=body.name, value=body.value, run_started=started)


@router.post("/scenes/{scene_id}/variables", include_in_schema=False)
def set_variable_form(
    request: Request,
    scene_id: str,
    auth: Admin,
    name: Annotated[str, Form(pattern=r"^[A-Za-z0-9_.-]{1,64}$")],
    value: Annotated[str, Form(max_length=256)],
) -> Response:
    # The same reading of the value as 'reelgraph set' (YAML scalars: 3 → int, true → bool).
    parsed = yaml.safe_load(value) if value else ""
    if not isinstance(parsed, str | int | float | bool):
        raise HTTPException(422, "a variable is a single value (text, number or true/false)")
    _set(request, scene_id, name, parsed, auth, rerun=True)
    return RedirectResponse(f"/scenes?running={scene_id}", status_code=303)
