"""Approve, reject and comment: the API and the shot page's forms call the same
:mod:`reelgraph.review.decisions` functions as ``reelgraph review``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from reelgraph.errors import ProjectError
from reelgraph.review.decisions import NOTE_LIMIT, STATE_OF_DECISION, add_note, decide
from reelgraph.review.views import has_shot, shot_detail
from reelgraph.web.deps import Auth, page, project_of, publish, require_change
from reelgraph.web.models import NoteIn, ReviewIn, ReviewOut

router = APIRouter(tags=["reviews"])
Reviewer = Annotated[Auth, Depends(require_change("reviewer"))]


def _decide(request: Request, shot_id: str, decision: str, note: str, auth: Auth) -> ReviewOut:
    project = project_of(request)
    if not has_shot(project, shot_id):
        raise HTTPException(404, f"no shot {shot_id!r}")
    try:
        (master,) = decide(project, [shot_id], decision, note, actor=auth.actor)
    except ProjectError as exc:
        raise HTTPException(409, f"{exc}; {exc.hint}") from exc
    state = STATE_OF_DECISION[decision]
    publish(project, "review", shot_id, {"review": state, "key": master.key, "by": auth.actor})
    return ReviewOut(
        shot=shot_id, review=state, key=master.key, sha256=master.sha256, by=auth.actor
    )


@router.post("/api/shots/{shot_id}/review", response_model=ReviewOut)
def review(request: Request, shot_id: str, body: ReviewIn, auth: Reviewer) -> ReviewOut:
    """Approve or reject the shot's current master (its exact artifact key); a re-render
    makes a new master that needs a new decision. Reviewers and admins."""
    return _decide(request, shot_id, body.decision, body.note, auth)


@router.post("/api/shots/{shot_id}/notes", status_code=201)
def note(request: Request, shot_id: str, body: NoteIn, auth: Reviewer) -> dict[str, str]:
    """A note on the shot's current master. Reviewers and admins."""
    try:
        add_note(project_of(request), shot_id, body.text, actor=auth.actor)
    except ProjectError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"shot": shot_id, "by": auth.actor}


def _panel(request: Request, shot_id: str, auth: Auth) -> Response:
    if request.headers.get("HX-Request"):
        response: Response = page(
            request, "_review_panel.html", auth, d=shot_detail(project_of(request), shot_id)
        )
        return response
    return RedirectResponse(f"/shots/{shot_id}", status_code=303)


@router.post("/shots/{shot_id}/review", include_in_schema=False)
def review_form(
    request: Request,
    shot_id: str,
    auth: Reviewer,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    note: Annotated[str, Form(max_length=NOTE_LIMIT)] = "",
) -> Response:
    _decide(request, shot_id, decision, note, auth)
    return _panel(request, shot_id, auth)


@router.post("/shots/{shot_id}/notes", include_in_schema=False)
def note_form(
    request: Request,
    shot_id: str,
    auth: Reviewer,
    text: Annotated[str, Form(min_length=1, max_length=NOTE_LIMIT)],
) -> Response:
    try:
        add_note(project_of(request), shot_id, text, actor=auth.actor)
    except ProjectError as exc:
        raise HTTPException(404, str(exc)) from exc
    return _panel(request, shot_id, auth)
