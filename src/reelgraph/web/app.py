"""The review app: FastAPI with one router per resource, server-rendered pages (Jinja2 +
htmx, every script and stylesheet shipped in ``static/``), the JSON API documented at
``/docs``, request bodies capped, and headers that keep pages from being framed or sniffed."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelgraph import __version__
from reelgraph.errors import ReelgraphError
from reelgraph.web import (
    audit,
    auth,
    costs,
    delivery,
    media,
    programme,
    reviews,
    runs,
    scenes,
    shots,
)
from reelgraph.web.deps import HERE, AppState, LoginRequired

#: Largest request body accepted (bytes): notes and forms are small; nothing is uploaded.
MAX_BODY_BYTES = 64 * 1024

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, by the declared length or, for
    chunked bodies, as soon as the bytes received pass it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_big = JSONResponse({"detail": f"request body over {self.limit} bytes"}, 413)
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_big(scope, receive, send)
            return
        received, exceeded, started = 0, False, False

        async def limited() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a body it never fully got (often a 400)
            started = True
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, limited, guarded)
        if exceeded and not started:
            await too_big(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(root: Path) -> FastAPI:
    app = FastAPI(
        docs_url=None,  # served below from the package's own copy of Swagger UI (no CDN)
        redoc_url=None,
        title="reelgraph review",
        version=__version__,
        description="Review shots, approve or reject masters, change scene variables and "
        "follow runs. Authenticate with `Authorization: Bearer TOKEN` "
        "(from `reelgraph user add`).",
    )
    app.state.review = AppState(root)
    for module in (auth, shots, reviews, scenes, runs, media, costs, audit, delivery, programme):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="reelgraph review API",
            swagger_js_url="/static/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(ReelgraphError)
    async def refused(request: Request, exc: ReelgraphError) -> Response:
        return JSONResponse({"detail": str(exc), "hint": exc.hint}, status_code=400)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            if name == "Content-Security-Policy" and request.url.path == "/docs":
                continue  # the API explorer loads its own scripts
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    return app
