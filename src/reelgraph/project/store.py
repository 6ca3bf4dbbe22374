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
from typing import Any, NamedTuple, TypeVar

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
CREATE TABLE IF NOT EXISTS transcripts (
    source TEXT PRIMARY KEY, key TEXT NOT NULL, model TEXT NOT NULL, words_json TEXT NOT NULL,
    created_at TEXT NOT NULL);
"""


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces — the form that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


# -- typed records -------------------------------------------------------------------------
# One NamedTuple per row shape the package reads: fields in the table's column order, so
# ``_asdict()`` gives what ``dict(row)`` gave. Every query of the package is a method of
# :class:`Store` below, the one module that speaks SQL (docs/dev/conventions.md).


class SourceRecord(NamedTuple):
    id: str
    path: str
    fingerprint: str
    probe_json: str
    rights_json: str | None
    ingested_at: str

    @property
    def probe(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.probe_json)
        return data

    @property
    def rights(self) -> dict[str, Any] | None:
        return json.loads(self.rights_json) if self.rights_json else None


class ShotRecord(NamedTuple):
    id: str
    scene: str
    source: str
    start_frame: int
    end_frame: int


class ShotSourceRecord(NamedTuple):
    """A shot joined with its source's file and probe."""

    id: str
    path: str
    start_frame: int
    end_frame: int
    probe_json: str


class AnalysisRecord(NamedTuple):
    shot: str
    kind: str
    key: str
    data_json: str


class RunRecord(NamedTuple):
    id: int
    plan_id: int
    started_at: str
    finished_at: str | None
    status: str
    executor: str
    pid: int | None
    kind: str
    budget_usd: float | None
    estimate_usd: float
    spent_usd: float
    message: str | None


class NodeRecord(NamedTuple):
    run_id: int
    node_id: str
    agent: str
    shot: str | None
    key: str | None
    outcome: str
    cost_usd: float
    estimate_usd: float
    reason: str | None


class LedgerEntry(NamedTuple):
    run_id: int
    node_id: str
    key: str
    agent: str
    shot: str | None
    variant: int
    wall_s: float
    cpu_s: float
    frames: int
    megapixels: float
    audio_s: float
    device: str
    cost_usd: float
    estimate_usd: float
    outcome: str
    at: str


class LedgerTotals(NamedTuple):
    """A node's executions in one run, summed."""

    wall_s: float
    cpu_s: float
    frames: int
    megapixels: float
    executions: int


class FindingRecord(NamedTuple):
    id: int | None
    run_id: int | None
    shot: str | None
    node_id: str | None
    key: str | None
    check_name: str
    severity: str
    start_frame: int | None
    end_frame: int | None
    start_tc: str | None
    end_tc: str | None
    value: float | None
    limit_value: float | None
    standard: str | None
    message: str | None


class DecisionRecord(NamedTuple):
    run_id: int
    node_id: str
    variant: int
    key: str
    params_json: str
    metrics_json: str
    chosen: int
    why: str


class ReviewRecord(NamedTuple):
    id: int | None
    shot: str
    key: str
    decision: str
    note: str | None
    by: str
    at: str


class NoteRecord(NamedTuple):
    id: int | None
    shot: str
    key: str | None
    text: str
    by: str
    at: str


class UserRecord(NamedTuple):
    name: str
    role: str
    password_salt: str
    password_hash: str
    token_id: str
    token_salt: str
    token_hash: str
    created_at: str


class SessionRecord(NamedTuple):
    """A live session's user and its CSRF token."""

    name: str
    role: str
    created_at: str
    csrf: str


class CalibrationRecord(NamedTuple):
    agent: str
    unit: str
    cpu_seconds_per_unit: float
    measured_at: str
    overhead_cpu_s: float | None  # None: the agent's declared overhead


class AuditRecord(NamedTuple):
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    data_json: str
    prev_hash: str
    hash: str

    @property
    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data_json)
        return value


class TranscriptRecord(NamedTuple):
    """A source's word-timed transcript (``reelgraph transcribe``); ``key`` names the
    source's fingerprint and the recogniser, so a changed file or model is transcribed anew."""

    source: str
    key: str
    model: str
    words_json: str
    created_at: str

    @property
    def words(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = json.loads(self.words_json)
        return value


_Record = TypeVar("_Record", bound=tuple[Any, ...])


def _columns(record: type[tuple[Any, ...]], table: str = "") -> str:
    fields: tuple[str, ...] = record._fields  # type: ignore[attr-defined]
    return ", ".join(f"{table}.{name}" if table else name for name in fields)


def _placeholders(record: type[tuple[Any, ...]]) -> str:
    return ", ".join("?" for _ in record._fields)  # type: ignore[attr-defined]


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

    def _records(
        self, record: type[_Record], sql: str, params: tuple[Any, ...] = ()
    ) -> list[_Record]:
        return [record(*row) for row in self.query(sql, params)]

    def _record(
        self, record: type[_Record], sql: str, params: tuple[Any, ...] = ()
    ) -> _Record | None:
        rows = self._records(record, sql, params)
        return rows[0] if rows else None

    def _select(
        self, record: type[_Record], table: str, where: str, *params: Any, order: str = "rowid"
    ) -> list[_Record]:
        """Rows of ``table`` as ``record``s: ``where`` is a condition with ``?`` for
        ``params`` (``"1"``: every row)."""
        return self._records(
            record, f"SELECT {_columns(record)} FROM {table} WHERE {where} ORDER BY {order}", params
        )

    # -- sources, scenes and shots ----------------------------------------------------------

    def sources(self) -> list[SourceRecord]:
        """Every ingested source, in ingest order."""
        return self._select(SourceRecord, "sources", "1")

    def source(self, source_id: str) -> SourceRecord | None:
        return next(iter(self._select(SourceRecord, "sources", "id = ?", source_id)), None)

    def source_at(self, path: str) -> SourceRecord | None:
        """The source ingested from ``path`` (an absolute path), if any."""
        return next(iter(self._select(SourceRecord, "sources", "path = ?", path)), None)

    def source_of_shot(self, shot: str) -> SourceRecord | None:
        return self._record(
            SourceRecord,
            f"SELECT {_columns(SourceRecord, 'sources')} FROM shots JOIN sources"
            " ON sources.id = shots.source WHERE shots.id = ?",
            (shot,),
        )

    def put_source(self, source: SourceRecord) -> None:
        """Add or replace a source (inside the caller's transaction, if one is open)."""
        self.execute(
            f"INSERT OR REPLACE INTO sources VALUES ({_placeholders(SourceRecord)})", source
        )

    def replace_shots(
        self, scenes: list[tuple[str, dict[str, Any]]], shots: list[ShotRecord]
    ) -> None:
        """The brief's scenes (id, variables) and shots, in place of the ones stored."""
        with self.transaction() as db:
            db.execute("DELETE FROM shots")
            db.execute("DELETE FROM scenes")
            for scene_id, variables in scenes:
                db.execute("INSERT INTO scenes VALUES (?, ?)", (scene_id, dumps(variables)))
            for shot in shots:
                db.execute(f"INSERT INTO shots VALUES ({_placeholders(ShotRecord)})", shot)

    def shots(self) -> list[ShotRecord]:
        """Every ingested shot, in ingest order."""
        return self._select(ShotRecord, "shots", "1")

    def has_shot(self, shot: str) -> bool:
        return self.one("SELECT id FROM shots WHERE id = ?", (shot,)) is not None

    def shot_sources(self) -> list[ShotSourceRecord]:
        """Every shot with its source's path and probe, in ingest order."""
        return self._records(
            ShotSourceRecord,
            "SELECT shots.id, sources.path, start_frame, end_frame, sources.probe_json"
            " FROM shots JOIN sources ON sources.id = shots.source ORDER BY shots.rowid",
        )

    def scene_variables(self, scene: str) -> dict[str, Any]:
        """The values ``reelgraph set`` gave a scene's variables, by name."""
        return {
            row["name"]: json.loads(row["value_json"])
            for row in self.query(
                "SELECT name, value_json FROM variables WHERE scene = ?", (scene,)
            )
        }

    def set_variable(self, scene: str, name: str, value: Any, at: str) -> None:
        self.execute(
            "INSERT OR REPLACE INTO variables VALUES (?, ?, ?, ?)", (scene, name, dumps(value), at)
        )

    # -- analysis ---------------------------------------------------------------------------

    def analyses(self) -> list[AnalysisRecord]:
        return self._records(
            AnalysisRecord, f"SELECT {_columns(AnalysisRecord)} FROM analysis ORDER BY rowid"
        )

    def latest_analyses(self, kind: str) -> list[AnalysisRecord]:
        """The rows of ``kind`` written by its latest measurement (the newest row's key)."""
        return self._records(
            AnalysisRecord,
            f"SELECT {_columns(AnalysisRecord)} FROM analysis WHERE kind = ? AND key ="
            " (SELECT key FROM analysis WHERE kind = ? ORDER BY rowid DESC LIMIT 1)"
            " ORDER BY rowid",
            (kind, kind),
        )

    def put_analysis(self, analysis: AnalysisRecord) -> None:
        self.execute(
            f"INSERT OR REPLACE INTO analysis VALUES ({_placeholders(AnalysisRecord)})", analysis
        )

    # -- plans and runs ---------------------------------------------------------------------

    def plan_id(self, digest: str) -> int | None:
        row = self.one("SELECT id FROM plans WHERE digest = ?", (digest,))
        return int(row["id"]) if row else None

    def add_plan(self, created_at: str, digest: str, plan_json: str) -> int:
        return self.execute(
            "INSERT INTO plans (created_at, digest, plan_json) VALUES (?, ?, ?)",
            (created_at, digest, plan_json),
        )

    def plan_json_of_run(self, run_id: int) -> str | None:
        row = self.one(
            "SELECT p.plan_json FROM runs r JOIN plans p ON p.id = r.plan_id WHERE r.id = ?",
            (run_id,),
        )
        return str(row["plan_json"]) if row else None

    def add_run(
        self,
        plan_id: int,
        started_at: str,
        executor: str,
        budget_usd: float | None,
        estimate_usd: float,
        pid: int,
        kind: str,
    ) -> int:
        """A run, marked running; returns its id."""
        return self.execute(
            "INSERT INTO runs (plan_id, started_at, status, executor, budget_usd, estimate_usd,"
            " pid, kind) VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
            (plan_id, started_at, executor, budget_usd, estimate_usd, pid, kind),
        )

    def finish_run(self, run_id: int, finished_at: str, status: str, spent_usd: float) -> None:
        self.execute(
            "UPDATE runs SET finished_at = ?, status = ?, spent_usd = ? WHERE id = ?",
            (finished_at, status, spent_usd, run_id),
        )

    def running_runs(self) -> list[RunRecord]:
        return self._records(
            RunRecord, f"SELECT {_columns(RunRecord)} FROM runs WHERE status = 'running'"
        )

    def mark_interrupted(self, run_id: int, message: str) -> None:
        self.execute(
            "UPDATE runs SET status = 'interrupted', message = ? WHERE id = ?", (message, run_id)
        )

    def run(self, run_id: int) -> RunRecord | None:
        return self._record(
            RunRecord, f"SELECT {_columns(RunRecord)} FROM runs WHERE id = ?", (run_id,)
        )

    def latest_run(self, kind: str = "render") -> RunRecord | None:
        """The newest run of ``kind`` (``render``: the one status, review and delivery mean)."""
        return self._record(
            RunRecord,
            f"SELECT {_columns(RunRecord)} FROM runs WHERE kind = ? ORDER BY id DESC LIMIT 1",
            (kind,),
        )

    def last_run_id(self) -> int | None:
        """The highest run number of any kind."""
        row = self.one("SELECT MAX(id) AS id FROM runs")
        return int(row["id"]) if row and row["id"] else None

    # -- nodes, ledger, variant decisions ---------------------------------------------------

    def put_node(self, node: NodeRecord) -> None:
        self.execute(f"INSERT OR REPLACE INTO nodes VALUES ({_placeholders(NodeRecord)})", node)

    def nodes(
        self, run_id: int, *, shot: str | None = None, agent: str | None = None
    ) -> list[NodeRecord]:
        """A run's nodes in the order they finished, optionally of one shot and/or agent."""
        clauses: list[str] = ["run_id = ?"]
        params: list[Any] = [run_id]
        for column, value in (("shot", shot), ("agent", agent)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return self._records(
            NodeRecord,
            f"SELECT {_columns(NodeRecord)} FROM nodes WHERE {' AND '.join(clauses)}"
            " ORDER BY rowid",
            tuple(params),
        )

    def node(self, run_id: int, node_id: str) -> NodeRecord | None:
        return self._record(
            NodeRecord,
            f"SELECT {_columns(NodeRecord)} FROM nodes WHERE run_id = ? AND node_id = ?",
            (run_id, node_id),
        )

    def master_versions(self, shot: str | None = None) -> list[tuple[str, str]]:
        """(shot, master key) of every master ever rendered, oldest version first."""
        where = " AND shot = ?" if shot is not None else ""
        return [
            (str(row["shot"]), str(row["key"]))
            for row in self.query(
                "SELECT shot, key FROM nodes WHERE agent = 'master' AND key IS NOT NULL"
                f" AND outcome IN ('ran', 'cached'){where} GROUP BY shot, key"
                " ORDER BY MIN(run_id)",
                (shot,) if shot is not None else (),
            )
        ]

    def add_ledger(self, entry: LedgerEntry) -> None:
        self.execute(
            f"INSERT INTO ledger ({_columns(LedgerEntry)}) VALUES ({_placeholders(LedgerEntry)})",
            entry,
        )

    def ledger_totals(self, run_id: int) -> dict[str, LedgerTotals]:
        """Node id → its executions in the run, summed."""
        return {
            row["node_id"]: LedgerTotals(*tuple(row)[1:])
            for row in self.query(
                "SELECT node_id, SUM(wall_s), SUM(cpu_s), SUM(frames), SUM(megapixels),"
                " COUNT(*) FROM ledger WHERE run_id = ? GROUP BY node_id",
                (run_id,),
            )
        }

    def ran_executions(self) -> list[LedgerEntry]:
        """Every ledger entry of an execution that ran (not one served from the cache)."""
        return self._records(
            LedgerEntry,
            f"SELECT {_columns(LedgerEntry)} FROM ledger WHERE outcome = 'ran' ORDER BY id",
        )

    def add_decision(self, decision: DecisionRecord) -> None:
        self.execute(
            f"INSERT INTO decisions ({_columns(DecisionRecord)})"
            f" VALUES ({_placeholders(DecisionRecord)})",
            decision,
        )

    def resolution(self, first_key: str) -> str | None:
        """The key of the variant kept for the node whose first variant has ``first_key``."""
        row = self.one("SELECT chosen_key FROM resolutions WHERE first_key = ?", (first_key,))
        return str(row["chosen_key"]) if row else None

    def set_resolution(self, first_key: str, chosen_key: str, run_id: int) -> None:
        self.execute(
            "INSERT OR REPLACE INTO resolutions VALUES (?, ?, ?)", (first_key, chosen_key, run_id)
        )

    # -- QC findings ------------------------------------------------------------------------

    def add_finding(self, finding: FindingRecord) -> None:
        self.execute(f"INSERT INTO findings VALUES ({_placeholders(FindingRecord)})", finding)

    def findings(
        self,
        run_id: int,
        *,
        shot: str | None = None,
        node_ids: tuple[str, ...] = (),
        severity: str | None = None,
        by_frame: bool = False,
    ) -> list[FindingRecord]:
        """A run's findings in the order they were found (``by_frame``: by first frame),
        optionally of one shot, of some nodes, of one severity."""
        clauses: list[str] = ["run_id = ?"]
        params: list[Any] = [run_id]
        if shot is not None:
            clauses.append("shot = ?")
            params.append(shot)
        if node_ids:
            clauses.append(f"node_id IN ({', '.join('?' for _ in node_ids)})")
            params.extend(node_ids)
        if severity is not None:
            clauses.append("severity = ?")
            params.append(severity)
        order = "start_frame, id" if by_frame else "id"
        return self._records(
            FindingRecord,
            f"SELECT {_columns(FindingRecord)} FROM findings WHERE {' AND '.join(clauses)}"
            f" ORDER BY {order}",
            tuple(params),
        )

    # -- reviews and notes ------------------------------------------------------------------

    def add_review(self, review: ReviewRecord) -> None:
        self.execute(f"INSERT INTO reviews VALUES ({_placeholders(ReviewRecord)})", review)

    def reviews(self, *, shot: str | None = None, key: str | None = None) -> list[ReviewRecord]:
        """Review decisions, oldest first, optionally on one shot and/or one master key."""
        clauses, params = [], []
        for column, value in (("shot", shot), ("key", key)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return self._records(
            ReviewRecord,
            f"SELECT {_columns(ReviewRecord)} FROM reviews{where} ORDER BY id",
            tuple(params),
        )

    def add_note(self, note: NoteRecord) -> None:
        self.execute(f"INSERT INTO notes VALUES ({_placeholders(NoteRecord)})", note)

    def notes(self, shot: str) -> list[NoteRecord]:
        return self._records(
            NoteRecord,
            f"SELECT {_columns(NoteRecord)} FROM notes WHERE shot = ? ORDER BY id",
            (shot,),
        )

    # -- users and sessions -----------------------------------------------------------------

    def users(self) -> list[UserRecord]:
        return self._select(UserRecord, "users", "1", order="name")

    def user(self, name: str) -> UserRecord | None:
        return next(iter(self._select(UserRecord, "users", "name = ?", name)), None)

    def user_with_token(self, token_id: str) -> UserRecord | None:
        return next(iter(self._select(UserRecord, "users", "token_id = ?", token_id)), None)

    def add_user(self, user: UserRecord) -> None:
        self.execute(f"INSERT INTO users VALUES ({_placeholders(UserRecord)})", user)

    def remove_user(self, name: str) -> None:
        """The user and their sessions, in one transaction (the caller's, if one is open)."""
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))
            db.execute("DELETE FROM users WHERE name = ?", (name,))

    def start_session(
        self, id_hash: str, user: str, csrf: str, created_at: str, expires_at: str
    ) -> None:
        """A new session; sessions expired by ``created_at`` are dropped in the same
        transaction."""
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (created_at,))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                (id_hash, user, csrf, created_at, expires_at),
            )

    def session(self, id_hash: str, now: str) -> SessionRecord | None:
        """The user and CSRF token of the session, if it is live at ``now``."""
        return self._record(
            SessionRecord,
            "SELECT u.name, u.role, u.created_at, s.csrf FROM sessions s JOIN users u"
            " ON u.name = s.user WHERE s.id_hash = ? AND s.expires_at > ?",
            (id_hash, now),
        )

    def end_session(self, id_hash: str) -> None:
        self.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    # -- calibration ------------------------------------------------------------------------

    def calibration(self) -> list[CalibrationRecord]:
        """Measured rates; ``overhead_cpu_s`` is None in a store made before overheads were
        measured."""
        return [
            CalibrationRecord(
                row["agent"],
                row["unit"],
                row["cpu_seconds_per_unit"],
                row["measured_at"],
                row["overhead_cpu_s"] if "overhead_cpu_s" in row.keys() else None,  # noqa: SIM118
            )
            for row in self.query("SELECT * FROM calibration")
        ]

    def save_calibration(self, record: CalibrationRecord) -> None:
        columns = {r["name"] for r in self.query("PRAGMA table_info(calibration)")}
        if "overhead_cpu_s" not in columns:  # a store made before overheads were measured
            self.execute("ALTER TABLE calibration ADD COLUMN overhead_cpu_s REAL")
        self.execute(
            f"INSERT OR REPLACE INTO calibration ({_columns(CalibrationRecord)})"
            f" VALUES ({_placeholders(CalibrationRecord)})",
            record,
        )

    # -- the audit log (hash chain kept by project/audit.py) --------------------------------

    def last_audit(self) -> AuditRecord | None:
        return self._record(
            AuditRecord, f"SELECT {_columns(AuditRecord)} FROM audit ORDER BY seq DESC LIMIT 1"
        )

    def add_audit(self, entry: AuditRecord) -> None:
        self.execute(f"INSERT INTO audit VALUES ({_placeholders(AuditRecord)})", entry)

    def audit_log(
        self,
        *,
        actor: str | None = None,
        subject: str | None = None,
        action: str | None = None,
        newest_first: bool = False,
        limit: int = -1,
    ) -> list[AuditRecord]:
        """Audit entries in order (``newest_first``: reversed), filtered by who (the part
        before any ``@``), subject (or what lies under it: ``shot/…``) and action; ``limit``
        -1: all."""
        clauses, params = [], []
        if actor:
            clauses.append("(actor = ? OR actor LIKE ?)")
            params += [actor, f"{actor}@%"]
        if subject:
            clauses.append("(subject = ? OR subject LIKE ?)")
            params += [subject, f"{subject}/%"]
        if action:
            clauses.append("action = ?")
            params.append(action)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if newest_first else "ASC"
        return self._records(
            AuditRecord,
            f"SELECT {_columns(AuditRecord)} FROM audit{where} ORDER BY seq {order} LIMIT ?",
            (*params, limit),
        )

    def last_audit_data(self, action: str, subject: str) -> dict[str, Any] | None:
        """The data of the latest entry of exactly this action and subject."""
        row = self.one(
            "SELECT data_json FROM audit WHERE action = ? AND subject = ? ORDER BY seq DESC"
            " LIMIT 1",
            (action, subject),
        )
        return json.loads(row["data_json"]) if row else None

    # -- transcripts ------------------------------------------------------------------------

    def transcript(self, source: str) -> TranscriptRecord | None:
        return self._record(
            TranscriptRecord,
            f"SELECT {_columns(TranscriptRecord)} FROM transcripts WHERE source = ?",
            (source,),
        )

    def put_transcript(self, record: TranscriptRecord) -> None:
        """Add or replace a source's transcript."""
        self.execute(
            f"INSERT OR REPLACE INTO transcripts VALUES ({_placeholders(TranscriptRecord)})",
            record,
        )

    def close(self) -> None:
        self.db.close()
