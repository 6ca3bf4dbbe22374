"""Append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical
JSON (sequence number, time, actor, action, subject, data). Editing an entry breaks its
own hash; deleting one breaks the sequence and the next entry's link; deleting the tail
is caught by the head (last sequence number and hash) mirrored in ``audit.head`` beside
the store, which is written after the transaction that appended commits.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelgraph.project.store import AuditRecord, Store, dumps

GENESIS = "0" * 64


def _actor() -> str:
    try:
        return f"{getpass.getuser()}@reelgraph"
    except (KeyError, OSError):
        return "unknown@reelgraph"


def entry_hash(
    prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str, data_json: str
) -> str:
    body = dumps([seq, at, actor, action, subject, json.loads(data_json)])
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


class AuditLog:
    def __init__(self, store: Store, head_path: Path) -> None:
        self.store = store
        self.head_path = head_path

    def append(
        self,
        action: str,
        subject: str,
        data: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> int:
        """Add an entry inside the caller's transaction (or a new one)."""
        data_json = dumps(data or {})
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        who = actor or _actor()
        with self.store.transaction():
            last = self.store.last_audit()
            seq = (last.seq + 1) if last else 1
            prev = last.hash if last else GENESIS
            digest = entry_hash(prev, seq, at, who, action, subject, data_json)
            self.store.add_audit(
                AuditRecord(seq, at, who, action, subject, data_json, prev, digest)
            )
            # The head mirrors the committed log: written after the commit of the caller's
            # transaction, never for an entry that a rollback takes back.
            self.store.after_commit(self._write_head)
        return seq

    def _write_head(self) -> None:
        last = self.store.last_audit()
        if last is None:
            return
        try:
            # Another process may have appended and written its head since our commit.
            head_seq = int(self.head_path.read_text().split()[0])
        except (OSError, IndexError, ValueError):
            head_seq = 0  # none yet, or unreadable: verify() reports a damaged one
        if head_seq > last.seq:
            return
        tmp = self.head_path.with_name(f"{self.head_path.name}.{os.getpid()}.tmp")
        tmp.write_text(f"{last.seq} {last.hash}\n")
        os.replace(tmp, self.head_path)

    def verify(self) -> VerifyResult:
        rows = self.store.audit_log()
        problems: list[str] = []
        prev = GENESIS
        expected_seq = 1
        for row in rows:
            if row.seq != expected_seq:
                problems.append(
                    f"entries {expected_seq}–{row.seq - 1} are missing (deleted)"
                    if row.seq > expected_seq
                    else f"entry {row.seq} is out of order"
                )
            if row.prev_hash != prev:
                problems.append(f"entry {row.seq} does not link to the entry before it")
            digest = entry_hash(
                row.prev_hash,
                row.seq,
                row.at,
                row.actor,
                row.action,
                row.subject,
                row.data_json,
            )
            if digest != row.hash:
                problems.append(
                    f"entry {row.seq} ({row.action} {row.subject}) was edited: "
                    "its content no longer matches its hash"
                )
            prev = row.hash
            expected_seq = row.seq + 1
        head = self.head_path.read_text().split() if self.head_path.exists() else None
        if head is not None and (len(head) != 2 or not head[0].isdigit()):
            problems.append("the log's head file (audit.head) is damaged")
        elif head is not None:
            head_seq, head_hash = head
            if int(head_seq) != expected_seq - 1 or head_hash != prev:
                problems.append(
                    f"the log ends at entry {expected_seq - 1} but its head records entry "
                    f"{head_seq}: entries at the end were deleted or the head was edited"
                )
        elif rows:
            problems.append("the log's head file (audit.head) is missing")
        return VerifyResult(len(rows), problems)


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems
