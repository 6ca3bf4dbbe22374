"""Nobody gets in who should not: every API route refuses missing credentials, roles are
enforced, cookie-authenticated changes need the CSRF token, /media/ never serves a file
outside the artifacts and deliverables, bodies are capped, and password guessing is
throttled."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from review_project import Server, copy_project, reelgraph, start_server, stop_server

pytestmark = pytest.mark.slow  # the session fixture renders a project (tens of seconds)

SAMPLE = {"shot_id": "sh010", "scene_id": "rooftop", "name": "x.mp4"}


def review_of(server: Server, shot: str) -> str:
    with httpx.Client(base_url=server.url, headers=server.headers("vera")) as http:
        return str(http.get(f"/api/shots/{shot}").json()["review"])


def api_routes(server: Server) -> list[tuple[str, str]]:
    schema = httpx.get(f"{server.url}/openapi.json").raise_for_status().json()
    routes = []
    for path, methods in schema["paths"].items():
        for method in methods:
            concrete = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "0" * 64), path)
            routes.append((method.upper(), concrete))
    return routes


def test_every_api_route_refuses_without_credentials(server: Server) -> None:
    routes = api_routes(server)
    assert len(routes) >= 12  # the documented API, media included
    assert ("POST", "/api/shots/sh010/review") in routes
    wrong = {"Authorization": "Bearer rg_0000000000000000_not-a-token"}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for method, path in routes:
            for headers in ({}, wrong):
                response = http.request(method, path, headers=headers, json={})
                assert response.status_code == 401, (method, path, headers, response.text)
                assert response.headers.get("www-authenticate") == "Bearer"
        # Pages send the browser to the login page instead.
        for page in ("/", "/shots/sh010", "/scenes", "/costs", "/audit", "/delivery"):
            response = http.get(page)
            assert response.status_code == 303 and response.headers["location"].startswith(
                "/login?next="
            )


def test_roles_are_enforced(server: Server) -> None:
    before = review_of(server, "sh010")
    with httpx.Client(base_url=server.url, headers=server.headers("vera")) as http:
        refused = http.post("/api/shots/sh010/review", json={"decision": "approve"})
        assert refused.status_code == 403
        assert http.post("/api/shots/sh010/notes", json={"text": "hi"}).status_code == 403
    with httpx.Client(base_url=server.url, headers=server.headers("rita")) as http:
        variable = {"name": "time_of_day", "value": "night"}
        assert http.post("/api/scenes/rooftop/variables", json=variable).status_code == 403
        assert http.post("/api/runs").status_code == 403
        assert http.post("/api/deliver").status_code == 403
    assert review_of(server, "sh010") == before
    status = json.loads(reelgraph("status", "-p", str(server.root), "--json").stdout)
    assert status["reviews"]["sh010"] == before
    assert not (server.root / "deliverables" / "sh010.mp4").exists()


def login(server: Server, who: str, password: str | None = None) -> httpx.Client:
    http = httpx.Client(base_url=server.url, follow_redirects=False)
    form = {"name": who, "password": password or server.people[who].password, "next": "/"}
    response = http.post("/login", data=form)
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    return http


def csrf_of(http: httpx.Client) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', http.get("/shots/sh020").text)
    assert match
    return match.group(1)


def test_cookie_changes_need_the_csrf_token(server: Server) -> None:
    http = login(server, "rita")
    before = review_of(server, "sh020")
    form = {"decision": "approve", "note": "forged"}
    assert http.post("/shots/sh020/review", data=form).status_code == 403
    assert http.post("/shots/sh020/review", data={**form, "csrf": "wrong"}).status_code == 403
    api = http.post("/api/shots/sh020/review", json={"decision": "approve"})
    assert api.status_code == 403
    assert review_of(server, "sh020") == before
    token = csrf_of(http)
    assert http.post("/shots/sh020/review", data={**form, "csrf": token}).status_code == 303
    assert review_of(server, "sh020") == "approved"
    # After logging out, the session cookie is dead.
    assert http.post("/logout", data={"csrf": token}).status_code == 303
    assert http.get("/api/shots").status_code == 401


def raw_get(server: Server, path: str, token: str) -> tuple[int, bytes]:
    """Send the path exactly as written (no client-side normalisation of dots)."""
    netloc = urlsplit(server.url).netloc
    host, port = netloc.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.putheader("Authorization", f"Bearer {token}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


@pytest.fixture(scope="module")
def planted(server: Server) -> Iterator[dict[str, str]]:
    """A secret outside the served folders, links pointing at it from inside them, and a
    legitimate file to show the same requests do reach what they may."""
    secret = server.root / "secret.txt"
    secret.write_text("TOP SECRET CONTRACT")
    deliverables = server.root / "deliverables"
    deliverables.mkdir(exist_ok=True)
    (deliverables / "ok.txt").write_text("delivered file")
    (deliverables / "escape.txt").symlink_to(secret)
    (deliverables / "escape-dir").symlink_to(server.root)
    with httpx.Client(base_url=server.url, headers=server.headers("vera")) as client:
        key = client.get("/api/shots/sh010").json()["master_key"]
    artifact = server.root / ".reelgraph" / "artifacts" / key[:2] / key
    (artifact / "link.txt").symlink_to(secret)
    yield {"key": key}


TRAVERSALS = [
    "/media/deliverables/../secret.txt",
    "/media/deliverables/..%2Fsecret.txt",
    "/media/deliverables/%2e%2e/secret.txt",
    "/media/deliverables/%2e%2e%2fsecret.txt",
    "/media/deliverables/..%252Fsecret.txt",
    "/media/deliverables/..%5Csecret.txt",
    "/media/deliverables/%2Fetc%2Fpasswd",
    "/media/deliverables//etc/passwd",
    "/media/deliverables/ok.txt%00.mp4",
    "/media/deliverables/escape.txt",
    "/media/deliverables/escape-dir/secret.txt",
    "/media/artifacts/{key}/../../../../secret.txt",
    "/media/artifacts/{key}/..%2F..%2F..%2F..%2Fsecret.txt",
    "/media/artifacts/{key}/link.txt",
    "/media/artifacts/..%2F..%2Fsecret.txt/x",
    "/media/artifacts/{key}/%2Fetc%2Fpasswd",
    "/media/artifacts/{key}/C:%5Cwindows%5Cwin.ini",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_media_never_leaves_its_folders(server: Server, planted: dict[str, str], path: str) -> None:
    status, body = raw_get(server, path.format(key=planted["key"]), server.people["vera"].token)
    assert status in (400, 404), (path, status)
    assert b"SECRET" not in body and b"root:" not in body


def test_media_serves_what_it_may(server: Server, planted: dict[str, str]) -> None:
    token = server.people["vera"].token
    assert raw_get(server, "/media/deliverables/ok.txt", token) == (200, b"delivered file")
    status, body = raw_get(server, f"/media/artifacts/{planted['key']}/sh010.mp4", token)
    assert status == 200 and body[4:8] == b"ftyp"


def test_oversized_bodies_are_refused(server: Server) -> None:
    before = review_of(server, "sh010")
    huge = {"decision": "approve", "note": "x" * 200_000}
    with httpx.Client(base_url=server.url, headers=server.headers("rita")) as http:
        assert http.post("/api/shots/sh010/review", json=huge).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"decision": "approve", "note": "'
            for _ in range(100):
                yield b"y" * 4096
            yield b'"}'

        streamed = http.post(
            "/api/shots/sh010/review",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert streamed.status_code == 413
        # A note over the limit that still fits the body cap is refused by validation.
        long_note = {"decision": "approve", "note": "z" * 5000}
        assert http.post("/api/shots/sh010/review", json=long_note).status_code == 422
    assert review_of(server, "sh010") == before


@pytest.fixture
def fresh_server(rendered_project: Path, tmp_path: Path) -> Iterator[Server]:
    running = start_server(copy_project(rendered_project, tmp_path / "project"))
    yield running
    stop_server(running)


def test_password_guessing_is_throttled(fresh_server: Server) -> None:
    server = fresh_server
    with httpx.Client(base_url=server.url) as http:
        for attempt in range(5):
            wrong = http.post("/login", data={"name": "rita", "password": f"guess{attempt}"})
            assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        right = {"name": "rita", "password": server.people["rita"].password}
        locked = http.post("/login", data=right)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        assert "set-cookie" not in locked.headers
        # The guesser's address is throttled for other names too.
        other = {"name": "adam", "password": server.people["adam"].password}
        assert http.post("/login", data=other).status_code == 429
    log = json.loads(reelgraph("audit", "log", "-p", str(server.root), "--json").stdout)
    assert not [e for e in log["entries"] if e["action"] == "login"]
