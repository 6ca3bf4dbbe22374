"""Logging in and out. A session is an HttpOnly, SameSite=Strict cookie; failed attempts
are counted per name and per client address, and past the limit every attempt — right or
wrong — is refused with 429 until the window has passed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from reelgraph.review.users import SESSION_LIFETIME, end_session, start_session, verify_password
from reelgraph.web.deps import (
    SESSION_COOKIE,
    Auth,
    page,
    project_of,
    require_change,
    state_of,
)

router = APIRouter(tags=["auth"])


def _safe_next(target: str) -> str:
    # Only paths on this site: "//host" or "https://…" would send people elsewhere.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    response: Response = page(request, "login.html", None, next=_safe_next(next), error=None)
    return response


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    state = state_of(request)
    client = request.client.host if request.client else "unknown"
    keys = (f"name:{name.lower()}", f"addr:{client}")
    wait = state.limiter.retry_after(*keys)
    if wait:
        response: Response = page(
            request,
            "login.html",
            None,
            next=_safe_next(next),
            error=f"too many failed attempts; try again in {wait} s",
        )
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response
    project = project_of(request)
    user = verify_password(project.store, name, password)
    if user is None:
        state.limiter.failed(*keys)
        response = page(
            request, "login.html", None, next=_safe_next(next), error="wrong name or password"
        )
        response.status_code = 401
        return response
    session_id, _ = start_session(project.store, user)
    project.audit.append("login", user.name, {"client": client}, actor=user.name)
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return redirect


@router.post("/logout", include_in_schema=False)
def logout(request: Request, auth: Annotated[Auth, Depends(require_change("viewer"))]) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        end_session(project_of(request).store, session_id)
    redirect = RedirectResponse("/login", status_code=303)
    redirect.delete_cookie(SESSION_COOKIE, path="/")
    return redirect
