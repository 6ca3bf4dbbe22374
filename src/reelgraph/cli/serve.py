"""Serve the review web app for a project: the shots grid, a frame-accurate player with QC
findings on its timeline, approvals bound to each master's exact content, scene variables
with live re-runs, costs, the audit log and delivery. People log in with the names and
passwords from 'reelgraph user add'; scripts send 'Authorization: Bearer TOKEN'. The API is
documented at /docs. Listens on localhost unless --host says otherwise."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys

from reelgraph.cli.common import add_project_option, project_from
from reelgraph.errors import ReelgraphError

HELP = "the review web app: shots, player, approvals, scenes, costs"

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765


class ServeError(ReelgraphError, OSError):
    """The server could not start listening."""


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)"
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from reelgraph.web.app import create_app

    project = project_from(args)  # refuse a folder that is not a project before listening
    root = project.root
    project.close()
    if not 0 <= args.port <= 65535:
        raise ServeError(f"port {args.port} is out of range", hint="use a port from 1 to 65535")
    if args.host in ("0.0.0.0", "::"):
        print(
            f"warning: listening on all interfaces ({args.host}): anyone who can reach this "
            "machine can reach the login page; prefer 127.0.0.1 behind an HTTPS proxy",
            file=sys.stderr,
        )
    try:
        # Bound here rather than by uvicorn, so a refused port is an error line, not a log
        # with a traceback.
        listener = socket.create_server(
            (args.host, args.port),
            family=socket.AF_INET6 if ":" in args.host else socket.AF_INET,
            reuse_port=False,
        )
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc})",
            hint="the port is in use or not allowed here; choose another with --port",
        ) from exc
    config = uvicorn.Config(
        create_app(root),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    with listener:
        asyncio.run(_serve(server, listener, args.host))
    return 0


async def _serve(server: object, listener: socket.socket, host: str) -> None:
    import uvicorn

    assert isinstance(server, uvicorn.Server)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started and not task.done():
        await asyncio.sleep(0.05)
    if server.started:
        port = listener.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        print(f"serving http://{shown}:{port}", flush=True)
    await task
