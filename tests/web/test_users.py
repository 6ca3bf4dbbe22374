"""People and the server's front door, without a rendered project: users are stored only as
hashes, removing one revokes their token and sessions, a store made before these tables
existed gains them, and 'reelgraph serve' refuses what it cannot serve."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from review_project import reelgraph

from reelgraph.errors import ProjectError
from reelgraph.project.folder import open_project
from reelgraph.review.users import (
    add_user,
    list_users,
    session_user,
    start_session,
    verify_password,
    verify_token,
)

pytestmark = pytest.mark.slow  # a dozen 'reelgraph' processes


def test_users_are_stored_only_as_hashes_and_removal_revokes(tmp_path: Path) -> None:
    root = tmp_path / "p"
    reelgraph("init", str(root))
    project = open_project(root)
    new = add_user(project, "rita", "reviewer")
    session_id, csrf = start_session(project.store, new.user)
    project.store.query("PRAGMA wal_checkpoint(FULL)")
    stored = b"".join(f.read_bytes() for f in (root / ".reelgraph").glob("project.sqlite*"))
    secret = new.token.split("_", 2)[2]
    assert new.password.encode() not in stored and secret.encode() not in stored
    assert verify_password(project.store, "rita", new.password) == new.user
    assert verify_password(project.store, "rita", new.password + "x") is None
    assert verify_token(project.store, new.token) == new.user
    # Change one character of the secret to a different one (a fixed replacement fails the
    # test whenever the random secret already has that character there).
    cut = len(new.token) - len(secret) + len(secret) // 2
    swapped = "B" if new.token[cut] == "A" else "A"
    assert verify_token(project.store, new.token[:cut] + swapped + new.token[cut + 1 :]) is None
    assert session_user(project.store, session_id) == (new.user, csrf)
    listed = reelgraph("user", "list", "-p", str(root)).stdout
    assert listed.startswith("rita\treviewer\t")
    reelgraph("user", "remove", "rita", "-p", str(root))
    assert verify_token(project.store, new.token) is None
    assert session_user(project.store, session_id) is None
    again = reelgraph("user", "remove", "rita", "-p", str(root), check=False)
    assert again.returncode == 2 and "error: no user 'rita'" in again.stderr
    assert "hint: " in again.stderr and "Traceback" not in again.stderr
    log = reelgraph("audit", "log", "-p", str(root)).stderr
    assert "user_add rita" in log and "user_remove rita" in log
    project.close()


def test_a_store_from_before_gains_the_review_tables(tmp_path: Path) -> None:
    root = tmp_path / "old"
    reelgraph("init", str(root))
    database = root / ".reelgraph" / "project.sqlite"
    db = sqlite3.connect(database)
    for table in ("users", "sessions", "notes"):
        db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()
    project = open_project(root)
    made = add_user(project, "vera", "viewer")
    assert verify_token(project.store, made.token) == made.user
    assert project.audit.verify().ok  # the earlier entries are intact
    project.close()


def test_serve_refuses_what_it_cannot_serve(tmp_path: Path) -> None:
    missing = reelgraph("serve", "-p", str(tmp_path / "nowhere"), "--port", "0", check=False)
    assert missing.returncode == 2 and "error: " in missing.stderr and "hint: " in missing.stderr
    root = tmp_path / "p"
    reelgraph("init", str(root))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = reelgraph("serve", "-p", str(root), "--port", str(port), check=False)
    assert busy.returncode == 2, busy.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "hint: " in busy.stderr and "Traceback" not in busy.stderr


def test_bad_user_names_and_roles_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "p"
    reelgraph("init", str(root))
    refused = reelgraph("user", "add", "../x", "--role", "viewer", "-p", str(root), check=False)
    assert refused.returncode == 2 and "error: user name '../x' is not allowed" in refused.stderr
    project = open_project(root)
    for name in ("a b", "", "x" * 65, "ok\x00", "ok\n"):
        with pytest.raises(ProjectError):
            add_user(project, name, "viewer")
    with pytest.raises(ProjectError):
        add_user(project, "boss", "owner")
    assert list_users(project.store) == []
    project.close()
