"""Every query of the package is a named method of ``project/store.py``.

The CLI and the review web app share one set of typed queries; a statement written
anywhere else would be a second definition of what a table holds. The check reads the
source as Python tokens, so SQL in a string, an f-string or a call on a connection is
found wherever it hides, and prose that merely mentions a table is not.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "reelgraph"

#: The one module allowed to speak SQL (docs/dev/conventions.md).
ALLOWED = {Path("project/store.py")}

STATEMENT = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|(CREATE|ALTER|DROP)\s+TABLE|PRAGMA\s+\w+|BEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED)"
    r"|COMMIT\b|ROLLBACK\b)",
    re.DOTALL,
)
#: String tokens: on Python 3.12+ the text of an f-string is its own token type.
STRINGS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
CALL = re.compile(r"\.(execute|executemany|executescript|query|one)\(")


def sql_outside_store(package: Path) -> list[str]:
    """``file:line: text`` of each SQL statement, raw query call or sqlite3 import in
    ``package`` outside the allowed module."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative in ALLOWED:
            continue
        text = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            line = token.start[0]
            if token.type in STRINGS and STATEMENT.search(token.string):
                found.append(f"{relative}:{line}: {token.string.strip()[:60]}")
            elif token.type == tokenize.NAME and token.string == "sqlite3":
                found.append(f"{relative}:{line}: sqlite3")
        for number, line_text in enumerate(text.splitlines(), 1):
            if CALL.search(line_text):
                found.append(f"{relative}:{number}: {line_text.strip()[:60]}")
    return found


def test_no_sql_outside_the_store() -> None:
    found = sql_outside_store(PACKAGE)
    assert not found, "SQL outside project/store.py (add a Store method):\n" + "\n".join(found)


def test_the_check_finds_sql_in_strings_fstrings_and_calls(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "store.py").write_text('SQL = "SELECT * FROM runs"\n')
    (tmp_path / "views.py").write_text(
        '"""Shots and the runs table, described in prose: select the latest."""\n'
        "def latest(store, kind):\n"
        '    where = f" WHERE kind = {kind!r}"\n'
        '    return store.query(f"SELECT id FROM runs{where}")\n'
    )
    (tmp_path / "ingest.py").write_text(
        "import sqlite3\n"
        "def put(db, row):\n"
        '    db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?)", row)\n'
        '    db.execute("UPDATE runs SET status = ?", ("done",))\n'
    )
    found = sql_outside_store(tmp_path)
    assert [f.split(":")[:2] for f in found] == [
        ["ingest.py", "1"],
        ["ingest.py", "3"],
        ["ingest.py", "4"],
        ["ingest.py", "3"],
        ["ingest.py", "4"],
        ["views.py", "4"],
        ["views.py", "4"],
    ]
