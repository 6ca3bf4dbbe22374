"""The project store: SQLite in WAL mode under ``.reelgraph/``.

WAL lets readers (``reelgraph status`` while a run goes on) work beside the one writer,
and a killed writer leaves the database at its last committed transaction. Every change
that belongs together is one transaction (``with store.transaction():``), so a refused
command leaves the store as it was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reelgraph.errors import ProjectError

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, fingerprint TEXT NOT NULL,
    probe_json TEXT NOT NULL, rights_json TEXT, ingested_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenes (id TEXT PRIMARY KEY, variables_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS variables (
    scene TEXT NOT NULL, name TEXT NOT NULL, value_json TEXT NOT NULL, set_at TEXT NOT NULL,
    PRIMARY KEY (scene, name));
CREATE TABLE IF NOT EXISTS shots (
    id TEXT PRIMARY KEY, scene TEXT NOT NULL, source TEXT NOT NULL,
    start_frame INTEGER NOT NULL, end_frame INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS analysis (
    shot TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, data_json TEXT NOT NULL,
    PRIMARY KEY (shot, kind));
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, digest TEXT NOT NULL,
    plan_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, plan_id INTEGER NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL, executor TEXT NOT NULL, pid INTEGER,
    kind TEXT NOT NULL DEFAULT 'render',
    budget_usd REAL, estimate_usd REAL NOT NULL DEFAULT 0, spent_usd REAL NOT NULL DEFAULT 0,
    message TEXT);
CREATE TABLE IF NOT EXISTS nodes (
    run_id INTEGER NOT NULL, node_id TEXT NOT NULL, agent TEXT NOT NULL, shot TEXT,
    key TEXT, outcome TEXT NOT NULL, cost_usd REAL NOT NULL DEFAULT 0,
    estimate_usd REAL NOT NULL DEFAULT 0, reason TEXT,
    PRIMARY KEY (run_id, node_id));
CREATE TABLE IF NOT EXISTS artifacts (
    key TEXT PRIMARY KEY, agent TEXT NOT NULL, version TEXT NOT NULL, path TEXT NOT NULL,
    created_at TEXT NOT NULL, size_bytes INTEGER NOT NULL, meta_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, node_id TEXT NOT NULL, key TEXT NOT NULL,
    agent TEXT NOT NULL, shot TEXT, variant INTEGER NOT NULL DEFAULT 0,
    wall_s REAL NOT NULL, cpu_s REAL NOT NULL, gpu_s REAL NOT NULL DEFAULT 0,
    frames INTEGER NOT NULL, megapixels REAL NOT NULL, audio_s REAL NOT NULL,
    device TEXT NOT NULL, cost_usd REAL NOT NULL, estimate_usd REAL NOT NULL,
    outcome TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY, run_id INTEGER, shot TEXT, node_id TEXT, key TEXT,
    check_name TEXT NOT NULL, severity TEXT NOT NULL, start_frame INTEGER, end_frame INTEGER,
    start_tc TEXT, end_tc TEXT, value REAL, limit_value REAL, standard TEXT, message TEXT);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, node_id TEXT NOT NULL,
    variant INTEGER NOT NULL, key TEXT NOT NULL, params_json TEXT NOT NULL,
    metrics_json TEXT NOT NULL, chosen INTEGER NOT NULL, why TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resolutions (
    first_key TEXT PRIMARY KEY, chosen_key TEXT NOT NULL, run_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY, shot TEXT NOT NULL, key TEXT NOT NULL, decision TEXT NOT NULL,
    note TEXT, by TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY, shot TEXT NOT NULL, key TEXT, text TEXT NOT NULL,
    by TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, password_salt TEXT NOT NULL,
    password_hash TEXT NOT NULL, token_id TEXT NOT NULL UNIQUE, token_salt TEXT NOT NULL,
    token_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calibration (
    agent TEXT PRIMARY KEY, unit TEXT NOT NULL, cpu_seconds_per_unit REAL NOT NULL,
    measured_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL, data_json TEXT NOT NULL, prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL);
"""


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces — the form that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class Store:
    """A connection to one project's database, safe to use from one thread at a time."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        if not create and not path.exists():
            raise ProjectError(f"{path.parent.parent}: not a reelgraph project (no store)")
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []
        try:
            self.db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            # The schema is created idempotently on every open, so a store made by an
            # earlier version gains the tables added since.
            if create or self._missing_tables():
                with self.transaction():
                    for statement in DDL.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                    self.db.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
        except sqlite3.DatabaseError as exc:
            raise ProjectError(
                f"{path}: project store is unreadable ({exc})",
                path=path,
                hint="restore .reelgraph/ from a backup, or re-create the project with "
                "'reelgraph init' and re-ingest",
            ) from exc

    def _missing_tables(self) -> bool:
        wanted = {
            line.split()[5]
            for line in DDL.splitlines()
            if line.startswith("CREATE TABLE IF NOT EXISTS")
        }
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return bool(wanted - have)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit; nested uses join the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self.db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.db
            except BaseException:
                self._depth -= 1
                if outer:
                    self._after_commit.clear()
                    self.db.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self.db.execute("COMMIT")
                    callbacks, self._after_commit = self._after_commit, []
                    for callback in callbacks:
                        callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits (now, outside one); a
        rollback drops it. For files that mirror the store and must never run ahead of it."""
        with self._lock:
            if self._depth == 0:
                callback()
            else:
                self._after_commit.append(callback)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self.db.execute(sql, params))

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement inside a transaction; returns the last row id."""
        with self.transaction() as db:
            cursor = db.execute(sql, params)
            return int(cursor.lastrowid or 0)

    def close(self) -> None:
        self.db.close()
