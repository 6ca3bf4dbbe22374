"""Benchmark: the review app's shots grid for a 200-shot project, served on loopback.

Run on demand (not part of the test suite)::

    python benchmarks/review.py              # 200 shots, 20 timed requests
    python benchmarks/review.py --shots 500  # a bigger project

Recipe:

1. A real project: ``reelgraph init``, 20 small H.264 sources of 100 frames, a brief with
   10 scenes and 10 shots per source (frame ranges), so 200 shots; real ingest (probe and
   fingerprint).
2. A real render run through the orchestrator's Runner: per shot a ``master`` node and a
   ``qc`` node (one warning finding on every third shot). The agents are stand-ins that
   write a small file instead of encoding video — the grid reads the store (runs, nodes,
   findings, reviews), not the media, and rendering 200 shots would only make the set-up
   slow. 50 shots are approved and 10 rejected through the shared review layer.
3. ``reelgraph serve`` in its own process on a free loopback port; a viewer's bearer token.
4. Measured with a real HTTP client (httpx, one keep-alive connection): ``GET /`` (the
   grid page, all 200 cards) and ``GET /api/shots`` — one warm-up each, then 20 requests;
   the median and the slowest are printed.
5. Peer: Python's own ``http.server`` serving the same grid HTML as a static file, measured
   the same way in the same script: the ratio is what building the page from the store
   costs over sending the same bytes.

Target (issue 11): median under 300 ms for the grid.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import numpy as np

from reelgraph.ingest.sources import ingest
from reelgraph.media.video import VideoWriter
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output
from reelgraph.orchestrator.executor import InlineExecutor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.registry import Registry
from reelgraph.orchestrator.runner import Runner
from reelgraph.project.folder import init_project
from reelgraph.review.decisions import decide
from reelgraph.review.users import add_user

SHOTS_PER_SOURCE, FRAMES_PER_SHOT = 10, 10
TARGET_MS = 300.0


class StandInMaster(Agent):
    """Writes a small file where the real master would encode video."""

    name = "master"
    version = "bench"
    cost = Cost("node", 0.2, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        (ctx.out_dir / "master.json").write_text(json.dumps({"node": ctx.node_id}))
        return Output({"kind": "value", "file": "master.json", "frames": FRAMES_PER_SHOT})


class StandInQC(Agent):
    """Reports one warning on every third shot, as a QC node stores findings."""

    name = "qc"
    version = "bench"
    cost = Cost("node", 0.1, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        (ctx.out_dir / "qc.json").write_text("{}")
        index = int(ctx.node_id.split("/")[0][2:])
        findings = []
        if index % 3 == 0:
            findings.append(
                {
                    "check": "black",
                    "severity": "warning",
                    "start_frame": 2,
                    "end_frame": 4,
                    "start_tc": "00:00:00:02",
                    "end_tc": "00:00:00:04",
                    "value": 0.0,
                    "limit": 0.1,
                    "standard": "benchmark",
                    "message": "three black frames",
                }
            )
        return Output({"kind": "value", "file": "qc.json"}, findings=findings)


def build(root: Path, shots: int) -> None:
    sources = max(1, shots // SHOTS_PER_SOURCE)
    project = init_project(root)
    (root / "footage").mkdir()
    frames = SHOTS_PER_SOURCE * FRAMES_PER_SHOT
    for s in range(sources):
        with VideoWriter(
            root / "footage" / f"src{s:02d}.mp4",
            width=64,
            height=36,
            frame_rate=Fraction(24),
            preset="h264",
        ) as writer:
            for i in range(frames):
                writer.write(np.full((36, 64, 3), (i % 24) / 24, np.float32))
    lines = [
        "schema: reelgraph.Brief.1",
        "project: bench",
        "delivery: web-sdr",
        "sources:",
    ]
    for s in range(sources):
        lines += [
            f"  - id: src{s:02d}",
            f"    path: footage/src{s:02d}.mp4",
            "    rights: {owner: bench, licence: bench, origin: generated, cleared: true}",
        ]
    lines.append("scenes:")
    ids = [f"sh{i:03d}" for i in range(sources * SHOTS_PER_SOURCE)]
    per_scene = max(1, len(ids) // 10)
    for scene in range(0, len(ids), per_scene):
        lines += [f"  - id: scene{scene // per_scene:02d}", "    shots:"]
        for i in range(scene, min(scene + per_scene, len(ids))):
            source, part = divmod(i, SHOTS_PER_SOURCE)
            first = part * FRAMES_PER_SHOT
            lines.append(
                f"      - {{id: {ids[i]}, source: src{source:02d},"
                f" frames: [{first}, {first + FRAMES_PER_SHOT - 1}]}}"
            )
    (root / "brief.yaml").write_text("\n".join(lines) + "\n")
    ingest(project)
    nodes = []
    for shot in ids:
        source = f"src{int(shot[2:]) // SHOTS_PER_SOURCE:02d}"
        nodes.append(
            Node(f"{shot}/master", "master", {}, (f"source:{source}",), "stand-in master", shot)
        )
        nodes.append(Node(f"{shot}/qc", "qc", {}, (f"{shot}/master",), "stand-in QC", shot))
    registry = Registry(extra={"master": StandInMaster, "qc": StandInQC})
    Runner(
        project, Plan("bench", "web-sdr", tuple(nodes)), InlineExecutor(), registry=registry
    ).run()
    decide(project, ids[:50], "approve", "benchmark", actor="bench")
    decide(project, ids[50:60], "reject", "benchmark", actor="bench")
    project.close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def timed(client: httpx.Client, path: str, repeats: int) -> tuple[list[float], bytes]:
    body = client.get(path).raise_for_status().content  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body = client.get(path).raise_for_status().content
        times.append((time.perf_counter() - start) * 1000)
    return times, body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reelgraph-bench-review-") as tmp:
        root = Path(tmp) / "project"
        started = time.perf_counter()
        build(root, args.shots)
        print(f"built a {args.shots}-shot project in {time.perf_counter() - started:.1f} s")
        project = init_project(root)
        token = add_user(project, "bench-viewer", "viewer").token
        project.close()
        server = subprocess.Popen(
            [sys.executable, "-m", "reelgraph.cli.main", "serve", "-p", str(root), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().split()[1]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                grid, html = timed(client, "/", args.repeats)
                api, _ = timed(client, "/api/shots", args.repeats)
                cards = html.count(b'class="card ')
                statuses = {
                    s: html.count(f'data-status="{s}"'.encode())
                    for s in ("approved", "rejected", "rendered")
                }
        finally:
            server.terminate()
            server.wait(timeout=10)
        static = Path(tmp) / "static"
        static.mkdir()
        (static / "index.html").write_bytes(html)
        handler = functools.partial(QuietHandler, directory=str(static))
        peer_server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=peer_server.serve_forever, daemon=True)
        thread.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{peer_server.server_port}") as client:
            peer, _ = timed(client, "/index.html", args.repeats)
        peer_server.shutdown()
    median = statistics.median(grid)
    print(f"grid GET / ({cards} cards {statuses}, {len(html) / 1024:.0f} KiB)")
    print(f"median of {args.repeats} requests:")
    print(f"  reelgraph serve      {median:7.1f} ms  (slowest {max(grid):.1f} ms)")
    print(f"  GET /api/shots       {statistics.median(api):7.1f} ms  (slowest {max(api):.1f} ms)")
    print(f"  peer http.server     {statistics.median(peer):7.1f} ms  (same bytes, static file)")
    print(f"  ratio reelgraph/peer {median / statistics.median(peer):7.1f}x")
    verdict = "meets" if median < TARGET_MS else "MISSES"
    print(f"{verdict} the {TARGET_MS:.0f} ms target")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
