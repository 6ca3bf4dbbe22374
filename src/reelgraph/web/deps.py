"""What every route depends on: the project (one store connection per server thread), the
templates, and who is asking — a session cookie or an ``Authorization: Bearer`` token —
with the role they need and, for cookie-authenticated changes, the CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.templating import Jinja2Templates

from reelgraph.project.folder import Project, open_project
from reelgraph.review.users import ROLES, User, session_user, verify_token

SESSION_COOKIE = "rg_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"

#: Login attempts allowed per name and per client address within the window.
LOGIN_ATTEMPTS, LOGIN_WINDOW_S = 5, 300.0

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))


class LoginRequired(Exception):
    """A page was asked for without a session: the browser is sent to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class LoginLimiter:
    """Failed logins per key (name, client address) in a sliding window."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window_s: float = LOGIN_WINDOW_S) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                self.window_s - (now - times[0])
                for key in keys
                if len(times := self._recent(key, now)) >= self.attempts
            ]
        return int(max(waits)) + 1 if waits else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)


@dataclass
class AppState:
    root: Path
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    # sha256(token) → token id, so a bearer token costs one scrypt per server, not per request.
    token_ids: dict[str, str] = field(default_factory=dict)
    local: threading.local = field(default_factory=threading.local)
    runner: Any = None  # the Popen of a run started from the app


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.review
    return state


def project_of(request: Request) -> Project:
    """This thread's connection to the project (SQLite connections stay in their thread)."""
    state = state_of(request)
    project: Project | None = getattr(state.local, "project", None)
    if project is None:
        project = open_project(state.root)
        state.local.project = project
    return project


@dataclass(frozen=True)
class Auth:
    user: User
    via: str  # "session" or "token"
    csrf: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this person."""
        return self.user.name


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(request: Request) -> Auth | None:
    project = project_of(request)
    token = _bearer(request)
    if token is not None:
        state = state_of(request)
        digest = hashlib.sha256(token.encode()).hexdigest()
        token_id = state.token_ids.get(digest)
        if token_id is not None:
            row = project.store.user_with_token(token_id)
            if row is not None:
                return Auth(User(row.name, row.role, row.created_at), "token")
            state.token_ids.pop(digest, None)
            return None
        user = verify_token(project.store, token)
        if user is None:
            return None
        state.token_ids[digest] = token.split("_", 2)[1]
        return Auth(user, "token")
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        found = session_user(project.store, session_id)
        if found is not None:
            return Auth(found[0], "session", found[1])
    return None


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/media/"))


def require(role: str) -> Callable[[Request], Auth]:
    """Dependency: someone with at least ``role`` (401 / login page, else 403)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def dependency(request: Request) -> Auth:
        auth = authenticate(request)
        if auth is None:
            if _is_api(request) or request.method != "GET":
                raise HTTPException(
                    401,
                    "log in or send Authorization: Bearer TOKEN",
                    {"WWW-Authenticate": "Bearer"},
                )
            raise LoginRequired(request.url.path)
        if not auth.user.may(role):
            raise HTTPException(403, f"{auth.user.role}s may not do this; it needs a {role}")
        return auth

    return dependency


def require_change(role: str) -> Callable[[Request], Awaitable[Auth]]:
    """Dependency for requests that change something: the role, and when the credentials
    are a session cookie (which a browser sends by itself), the session's CSRF token in the
    ``X-CSRF-Token`` header or the form's ``csrf`` field."""
    check = require(role)

    async def dependency(request: Request) -> Auth:
        auth = check(request)
        if auth.via == "session":
            sent = request.headers.get(CSRF_HEADER)
            if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                value = (await request.form()).get(CSRF_FIELD)
                sent = value if isinstance(value, str) else None
            if not sent or not auth.csrf or not hmac.compare_digest(sent, auth.csrf):
                raise HTTPException(403, "missing or wrong CSRF token; reload the page")
        return auth

    return dependency


def page(request: Request, name: str, auth: Auth | None, **context: Any) -> Any:
    """Render a template with what every page needs (who, their CSRF token)."""
    return templates.TemplateResponse(
        request,
        name,
        {"auth": auth, "csrf": auth.csrf if auth else None, "roles": ROLES, **context},
    )


def publish(project: Project, kind: str, subject: str, data: dict[str, Any]) -> None:
    """Tell pages following ``/api/events`` (decisions, variable changes) through the same
    ``events.jsonl`` the runner writes."""
    from reelgraph.orchestrator.events import Event, EventLog

    log = EventLog(project.state / "events.jsonl", [])
    try:
        log(Event(kind, subject, data))
    finally:
        log.close()
