"""Review decisions and notes, shared by ``reelgraph review`` and the review web app.

A decision applies to one exact master: the artifact key of the shot's master in the latest
render run (a content-addressed recipe hash; the master file's SHA-256 is recorded with it).
A re-render makes a new key, so it is ``pending`` again until someone decides on it.
Every decision and note is in the audit log under the person who made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from reelgraph.errors import ProjectError
from reelgraph.project.folder import Project
from reelgraph.project.store import NoteRecord, ReviewRecord, Store

Decision = Literal["approve", "reject"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject")

#: A master's review state, as the API and ``reelgraph status`` report it.
STATE_OF_DECISION = {"approve": "approved", "reject": "rejected"}
PENDING = "pending"

#: Longest note kept (characters); a longer one is refused, not cut.
NOTE_LIMIT = 4000


@dataclass(frozen=True)
class Master:
    """A shot's current master: the latest render run's ``master`` node output."""

    shot: str
    key: str
    run_id: int
    node_id: str
    file: str | None
    sha256: str | None


def latest_render_id(store: Store) -> int | None:
    run = store.latest_run()
    return run.id if run else None


def current_masters(project: Project) -> dict[str, Master]:
    """Shot → its current master (from the latest render run), in shot order."""
    run_id = latest_render_id(project.store)
    if run_id is None:
        return {}
    masters = {}
    for row in sorted(project.store.nodes(run_id, agent="master"), key=lambda r: str(r.shot)):
        if row.key is None or row.shot is None or row.outcome not in ("ran", "cached"):
            continue
        file, sha256 = _master_file(project, row.key)
        masters[row.shot] = Master(row.shot, row.key, run_id, row.node_id, file, sha256)
    return masters


def _master_file(project: Project, key: str) -> tuple[str | None, str | None]:
    manifest = project.artifacts / key[:2] / key / "manifest.json"
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None, None
    file = data.get("output", {}).get("file")
    info = data.get("files", {}).get(file) if file else None
    return file, (info or {}).get("sha256")


def review_states(store: Store, keys: dict[str, str]) -> dict[str, str]:
    """Shot → ``approved`` | ``rejected`` | ``pending`` for the given shot → master key."""
    latest: dict[tuple[str, str], str] = {}
    for row in store.reviews():
        latest[(row.shot, row.key)] = row.decision
    return {
        shot: STATE_OF_DECISION.get(latest.get((shot, key), ""), PENDING)
        for shot, key in keys.items()
    }


def review_state(store: Store, shot: str, key: str) -> str:
    return review_states(store, {shot: key})[shot]


def _check_note(note: str) -> str:
    if len(note) > NOTE_LIMIT:
        raise ProjectError(
            f"the note is {len(note)} characters long",
            hint=f"keep notes to {NOTE_LIMIT} characters",
        )
    return note


def decide(
    project: Project,
    shots: list[str],
    decision: str,
    note: str = "",
    *,
    actor: str | None = None,
) -> list[Master]:
    """Approve or reject the current master of each shot (``["all"]``: every shot).

    One transaction: either every shot gets the decision or none does. Returns the masters
    decided on."""
    if decision not in DECISIONS:
        raise ProjectError(f"unknown decision {decision!r}", hint="use approve or reject")
    _check_note(note)
    masters = current_masters(project)
    if not masters and latest_render_id(project.store) is None:
        raise ProjectError("nothing to review yet", hint="run 'reelgraph run' first")
    chosen = sorted(masters) if shots == ["all"] else shots
    missing = [s for s in chosen if s not in masters]
    if missing:
        raise ProjectError(
            f"no master for shot(s) {', '.join(missing)} in the latest run",
            hint=f"shots with masters: {', '.join(sorted(masters)) or 'none'}",
        )
    at = datetime.now(UTC).isoformat()
    by = actor or _default_actor()
    with project.store.transaction():
        for shot in chosen:
            master = masters[shot]
            project.store.add_review(ReviewRecord(None, shot, master.key, decision, note, by, at))
            project.audit.append(
                "review",
                shot,
                {"decision": decision, "key": master.key, "sha256": master.sha256, "note": note},
                actor=actor,
            )
    return [masters[s] for s in chosen]


def add_note(project: Project, shot: str, text: str, *, actor: str | None = None) -> None:
    """A note on a shot's current master (or on the shot, before it has one); audited."""
    text = _check_note(text).strip()
    if not text:
        raise ProjectError("the note is empty", hint="write what you want to say")
    if not project.store.has_shot(shot):
        raise ProjectError(f"no shot {shot!r}", hint="see 'reelgraph status' for the shots")
    master = current_masters(project).get(shot)
    with project.store.transaction():
        project.store.add_note(
            NoteRecord(
                None,
                shot,
                master.key if master else None,
                text,
                actor or _default_actor(),
                datetime.now(UTC).isoformat(),
            )
        )
        project.audit.append(
            "note", shot, {"key": master.key if master else None, "text": text}, actor=actor
        )


def history(store: Store, shot: str) -> list[dict[str, Any]]:
    """Decisions and notes on a shot, oldest first."""
    items = [
        {
            "kind": "decision",
            "decision": r.decision,
            "key": r.key,
            "text": r.note or "",
            "by": r.by,
            "at": r.at,
        }
        for r in store.reviews(shot=shot)
    ] + [
        {"kind": "note", "decision": None, "key": n.key, "text": n.text, "by": n.by, "at": n.at}
        for n in store.notes(shot)
    ]
    return sorted(items, key=lambda item: str(item["at"]))


def _default_actor() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
