"""The review app's API over real HTTP (uvicorn on loopback, started by 'reelgraph serve'):
what a script sees of shots, reviews, proxies, runs and events."""

from __future__ import annotations

import hashlib
import json
import time

import av
import httpx
import numpy as np
import pytest
from review_project import FPS, FRAMES, Server, read_frame_number, reelgraph

pytestmark = pytest.mark.slow  # the session fixture renders a project (tens of seconds)


def client(server: Server, who: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=server.headers(who), timeout=120)


def test_shots_list_what_a_supervisor_needs(server: Server) -> None:
    with client(server, "vera") as http:
        shots = {s["id"]: s for s in http.get("/api/shots").raise_for_status().json()}
        assert set(shots) == {"sh010", "sh020"}
        first = shots["sh010"]
        assert first["scene"] == "rooftop" and first["review"] == "pending"
        # The masters have no sound, which the web-sdr spec asks for: QC fails.
        assert first["qc"] == "fail" and first["status"] == "qc failed"
        assert first["version"] == 1 and first["cost_usd"] > 0
        street = http.get("/api/shots", params={"scene": "street"}).json()
        assert [s["id"] for s in street] == ["sh020"]


def test_shot_detail_binds_to_the_master_file(server: Server) -> None:
    with client(server, "vera") as http:
        detail = http.get("/api/shots/sh010").raise_for_status().json()
        assert detail["frames"] == FRAMES and detail["frame_rate"] == "24/1"
        key = detail["master_key"]
        master = server.root / ".reelgraph" / "artifacts" / key[:2] / key / "sh010.mp4"
        assert detail["master_sha256"] == hashlib.sha256(master.read_bytes()).hexdigest()
        assert any(
            f["check"] == "spec" and f["severity"] == "fail" for f in detail["findings_list"]
        )
        agents = [n["agent"] for n in detail["nodes"]]
        assert "master" in agents and "qc" in agents
        assert all(n["why"] for n in detail["nodes"])  # the planner's reason for each node
        assert http.get("/api/shots/nope").status_code == 404
        timecodes = http.get("/api/shots/sh010/timecodes").json()
        assert len(timecodes) == FRAMES and timecodes[23] == "00:00:00:23"


def test_proxy_is_all_intra_frame_exact_and_served_in_ranges(server: Server) -> None:
    with client(server, "vera") as http:
        key = http.get("/api/shots/sh010").json()["master_key"]
        whole = http.get(f"/media/proxy/{key}.mp4")
        assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
        part = http.get(f"/media/proxy/{key}.mp4", headers={"Range": "bytes=100-299"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 100-299/{len(whole.content)}"
        assert part.content == whole.content[100:300]
    path = server.root / "proxy.mp4"
    path.write_bytes(whole.content)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        assert len(packets) == FRAMES and all(p.is_keyframe for p in packets)
    with av.open(str(path)) as container:
        numbers = [
            read_frame_number(f.to_ndarray(format="rgb24").astype(np.float32) / 255)
            for f in container.decode(video=0)
        ]
    assert numbers == list(range(FRAMES))


def test_review_by_api_is_recorded_bound_and_audited(server: Server) -> None:
    with client(server, "rita") as http:
        before = http.get("/api/shots/sh020").json()
        done = (
            http.post(
                "/api/shots/sh020/review", json={"decision": "reject", "note": "sound missing"}
            )
            .raise_for_status()
            .json()
        )
        assert done["review"] == "rejected" and done["key"] == before["master_key"]
        assert done["sha256"] == before["master_sha256"] and done["by"] == "rita"
        after = http.get("/api/shots/sh020").json()
        assert after["review"] == "rejected" and after["status"] == "rejected"
        assert after["history"][-1]["text"] == "sound missing"
        assert http.post("/api/shots/sh020/review", json={"decision": "maybe"}).status_code == 422
    status = json.loads(reelgraph("status", "-p", str(server.root), "--json").stdout)
    assert status["reviews"]["sh020"] == "rejected"
    log = json.loads(reelgraph("audit", "log", "-p", str(server.root), "--json").stdout)
    review = [e for e in log["entries"] if e["action"] == "review" and e["subject"] == "sh020"]
    assert review[-1]["actor"] == "rita" and review[-1]["data"]["key"] == before["master_key"]


def test_latest_run_and_costs(server: Server) -> None:
    with client(server, "vera") as http:
        run = http.get("/api/runs/latest").raise_for_status().json()
        assert run["status"] == "completed" and run["nodes"] >= 8 and run["cost_usd"] > 0
        costs = http.get("/api/costs").json()
        assert costs["schema"] == "reelgraph.Status.1" and costs["run"]["id"] == run["id"]
        audit = http.get("/api/audit", params={"action": "run_start"}).json()
        assert audit["ok"] is True and audit["entries"]


def test_variable_change_reruns_and_needs_a_new_approval(server: Server) -> None:
    """An admin changes the rooftop's time of day; the re-run streams over SSE; sh010 gets a
    new master (version 2) whose review is pending, while sh020 is untouched."""
    with client(server, "rita") as http:
        http.post("/api/shots/sh010/review", json={"decision": "approve"}).raise_for_status()
        old = http.get("/api/shots/sh010").json()
        assert old["review"] == "approved"
    seen: list[str] = []
    with client(server, "adam") as http:
        with http.stream("GET", "/api/events", timeout=300) as events:
            changed = (
                http.post(
                    "/api/scenes/rooftop/variables",
                    json={"name": "time_of_day", "value": "night", "rerun": True},
                )
                .raise_for_status()
                .json()
            )
            assert changed["run_started"] is True
            deadline = time.monotonic() + 240
            finished: set[int] = set()
            for line in events.iter_lines():
                if line.startswith("event: "):
                    seen.append(line[7:])
                if line.startswith("data: ") and seen and seen[-1] == "run_done":
                    finished.add(json.loads(line[6:])["data"]["run"])
                    latest = http.get("/api/runs/latest").json()
                    if latest["id"] in finished:
                        break
                assert time.monotonic() < deadline, f"no end of run; events: {seen}"
        assert "set" in seen and "node_done" in seen and "run_done" in seen
        new = http.get("/api/shots/sh010").json()
        assert new["master_key"] != old["master_key"]
        assert new["version"] == 2 and new["review"] == "pending"
        assert new["variables"]["time_of_day"] == "night"
        assert http.get("/api/shots/sh020").json()["version"] == 1
    log = json.loads(reelgraph("audit", "log", "-p", str(server.root), "--json").stdout)
    assert any(
        e["action"] == "set" and e["actor"] == "adam" and e["subject"] == "rooftop.time_of_day"
        for e in log["entries"]
    )


def test_programme_shows_the_cut_in_brief_order(server: Server) -> None:
    """The programme page and its API: the brief's cut clip by clip, end to end on the
    record time line, with each clip's reasons."""
    with client(server, "vera") as http:
        cut = http.get("/api/programme").raise_for_status().json()
        assert cut["schema"] == "reelgraph.Programme.1"
        clips = cut["clips"]
        assert [c["take"] for c in clips] == ["sh010", "sh020"]
        assert clips[0]["record_in"] == 0 and clips[1]["record_in"] == clips[0]["record_out"]
        assert cut["frames"] == sum(c["last"] - c["first"] + 1 for c in clips)
        assert clips[1]["record_in_tc"] == f"00:00:{clips[1]['record_in'] // FPS:02d}:" + (
            f"{clips[1]['record_in'] % FPS:02d}"
        )
        assert all(c["why"] for c in clips)
        page = http.get("/programme").raise_for_status().text
        assert "sh020" in page and "record in" in page
