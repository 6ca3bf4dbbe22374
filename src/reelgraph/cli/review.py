"""Approve or reject a shot's current master, with a note. Deliveries wait for approval when
the brief's review.require_approval is true; a decision applies to that exact master."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime

from reelgraph.cli.common import console, project_from
from reelgraph.cli.ingest import add_project_option
from reelgraph.errors import ProjectError
from reelgraph.review.status import LATEST_RENDER

HELP = "approve or reject a shot's latest master"


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("decision", choices=["approve", "reject"])
    parser.add_argument("shots", nargs="+", help="shot ids, or 'all'")
    parser.add_argument("--note", default="", help="what the reviewer says")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    run_row = project.store.one(LATEST_RENDER)
    if run_row is None:
        raise ProjectError("nothing to review yet", hint="run 'reelgraph run' first")
    masters = {
        r["shot"]: r["key"]
        for r in project.store.query(
            "SELECT shot, key FROM nodes WHERE run_id = ? AND agent = 'master' AND key IS NOT NULL"
            " AND outcome IN ('ran', 'cached')",
            (run_row["id"],),
        )
    }
    shots = sorted(masters) if args.shots == ["all"] else args.shots
    missing = [s for s in shots if s not in masters]
    if missing:
        raise ProjectError(
            f"no master for shot(s) {', '.join(missing)} in the latest run",
            hint=f"shots with masters: {', '.join(sorted(masters)) or 'none'}",
        )
    who = getpass.getuser()
    with project.store.transaction() as db:
        for shot in shots:
            db.execute(
                "INSERT INTO reviews (shot, key, decision, note, by, at) VALUES (?, ?, ?, ?, ?, ?)",
                (shot, masters[shot], args.decision, args.note, who, datetime.now(UTC).isoformat()),
            )
            project.audit.append(
                "review", shot, {"decision": args.decision, "key": masters[shot], "note": args.note}
            )
    done = {"approve": "approved", "reject": "rejected"}[args.decision]
    console.print(f"{done}: {', '.join(shots)}; 'reelgraph deliver' copies approved masters")
    return 0
