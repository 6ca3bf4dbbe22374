"""Check the hash-chained audit log (``verify``) or list its entries (``log``)."""

from __future__ import annotations

import argparse
import json

from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_json,
    project_from,
)
from reelgraph.errors import AuditError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["verify", "log"])
    add_project_option(parser)
    add_json_option(parser, "reelgraph.AuditLog.1 (log) or reelgraph.AuditVerify.1 (verify)")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    if args.action == "log":
        rows = [r._asdict() for r in project.store.audit_log()]
        if args.json:
            emit_json(
                {
                    "schema": "reelgraph.AuditLog.1",
                    "entries": [
                        {
                            **{k: v for k, v in r.items() if k != "data_json"},
                            "data": json.loads(r["data_json"]),
                        }
                        for r in rows
                    ],
                }
            )
        else:
            for r in rows:
                console.print(f"{r['seq']:>5} {r['at']} {r['actor']} {r['action']} {r['subject']}")
        return 0
    result = project.audit.verify()
    if args.json:
        emit_json(
            {
                "schema": "reelgraph.AuditVerify.1",
                "ok": result.ok,
                "entries": result.entries,
                "problems": result.problems,
            }
        )
    if not result.ok:
        raise AuditError("audit log verification FAILED:\n  " + "\n  ".join(result.problems))
    if not args.json:
        console.print(f"audit log intact: {result.entries} entries, hash chain verified")
    return 0
