"""People who may use the review app (``reelgraph serve``): ``user add NAME --role ROLE``
prints a one-time password (for the browser) and an API token (for scripts, as
``Authorization: Bearer TOKEN``); neither is stored in clear, so keep them now.
``user list`` shows names and roles; ``user remove NAME`` revokes access at once."""

from __future__ import annotations

import argparse

from reelgraph.cli.common import (
    add_json_option,
    add_project_option,
    console,
    emit_json,
    project_from,
)
from reelgraph.review.users import ROLES, add_user, list_users, remove_user

HELP = "add, list or remove review app users (viewer, reviewer, admin)"


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a user; prints a one-time password and a token")
    add.add_argument("name")
    add.add_argument(
        "--role",
        required=True,
        choices=ROLES,
        help="viewer looks; reviewer also approves, rejects, comments; admin also runs, delivers",
    )
    add_project_option(add)
    add_json_option(add, "reelgraph.User.1")
    listing = actions.add_parser("list", help="names and roles")
    add_project_option(listing)
    add_json_option(listing, "reelgraph.Users.1")
    remove = actions.add_parser("remove", help="remove a user and end their sessions")
    remove.add_argument("name")
    add_project_option(remove)
    add_json_option(remove, "reelgraph.Users.1 (who remains)")


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    if args.action == "add":
        new = add_user(project, args.name, args.role)
        if args.json:
            emit_json(
                {
                    "schema": "reelgraph.User.1",
                    "user": new.user.name,
                    "role": new.user.role,
                    "password": new.password,
                    "token": new.token,
                }
            )
        else:
            console.print(f"added {new.user.name} ({new.user.role}); shown once, keep them now:")
            print(f"password: {new.password}")
            print(f"token: {new.token}")
        return 0
    if args.action == "remove":
        remove_user(project, args.name)
        console.print(f"removed {args.name}; their sessions and token no longer work")
    users = list_users(project.store)
    if args.json:
        emit_json(
            {
                "schema": "reelgraph.Users.1",
                "users": [
                    {"user": u.name, "role": u.role, "created_at": u.created_at} for u in users
                ],
            }
        )
    elif args.action == "list":
        if not users:
            console.print("no users yet; add one with 'reelgraph user add NAME --role ROLE'")
        for u in users:
            print(f"{u.name}\t{u.role}\t{u.created_at}")
    return 0
