"""The main job: `reelgraph demo` builds and runs the sample project end to end, and
`reelgraph set` then re-renders exactly the scene that reads the variable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import reelgraph
from reelgraph.algorithms.audio import lookup, measure
from reelgraph.demo.build import SHOTS
from reelgraph.media.audio import read_audio
from reelgraph.media.probe import probe


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "reelgraph-demo"
    result = reelgraph("demo", str(root), "--quiet")
    assert result.returncode == 0, result.stderr
    return root


def test_demo_delivers_web_masters_with_checksums(demo: Path) -> None:
    sums = (demo / "deliverables" / "SHA256SUMS").read_text().splitlines()
    assert {line.split()[1] for line in sums} >= {
        "programme.otio", "programme.edl", "programme.fcpxml"
    }  # fmt: skip
    sums = [line for line in sums if line.endswith(".mp4")]
    assert len(sums) == 5  # the four shots' masters and the programme
    for line in sums:
        info = probe(demo / "deliverables" / line.split()[1])
        video = info.first_video
        assert (video.codec, video.width, video.height, video.bit_depth) == ("h264", 1920, 1080, 8)
        assert video.colour.matrix == "bt709" and not video.colour.assumed
        assert info.audio and info.audio[0].channels == 2
    manifest = json.loads((demo / "deliverables" / "manifest.json").read_text())
    agents = {step["agent"] for item in manifest["items"] for step in item["recipe"]}
    assert {"conform", "grade", "master"} <= agents


def test_demo_masters_meet_the_web_loudness_target(demo: Path) -> None:
    """The shots' dialogue is recorded at −34, −18, −28 and −15 dBFS; every delivered master,
    measured with the meter (AAC decode included), is within web's −14 LUFS ±1 LU and at or
    under −1 dBTP."""
    target = lookup("web")
    masters = sorted((demo / "deliverables").glob("*.mp4"))
    assert len(masters) == 5  # the programme too, levelled as one
    for master in masters:
        track = read_audio(master)
        check = measure(track.samples, track.rate).check(target)
        assert check.passed, (master.name, check)
    manifest = json.loads((demo / "deliverables" / "manifest.json").read_text())
    for item in manifest["items"]:
        assert "loudness_level" in {step["agent"] for step in item["recipe"]}
    analysis = json.loads(reelgraph("analyse", "-p", str(demo), "--json", check=True).stdout)
    assert set(analysis["shots"]) == {s.id for s in SHOTS}
    quietest = analysis["shots"]["sh010"]["loudness"]
    assert quietest["integrated_lufs"] < -28.0 and quietest["compliant"] is False


def test_demo_masters_are_restored(demo: Path) -> None:
    """Every shot is restored before its grade, planned from its plate analysis with the
    figures in the explanation, and every denoised master is cleaner than its footage."""
    import cv2

    from reelgraph.agents.restore import luma_noise
    from reelgraph.media.video import VideoReader

    plan = json.loads(reelgraph("plan", "-p", str(demo), "--json", check=True).stdout)
    restores = {n["shot"]: n for n in plan["nodes"] if n["agent"] == "restore"}
    assert set(restores) == {s.id for s in SHOTS}
    for node in restores.values():
        assert node["cached"] and node["params"]["upscale"] == 2
        assert "upscale ×2: source 640×360, web-sdr 1920×1080 (×3.00)" in node["explanation"]
        grade = next(n for n in plan["nodes"] if n["id"] == f"{node['shot']}/grade")
        # The restored picture first; then the scene's hero node, which samples the scene's
        # pictures once for all its grades (n decodes for n shots, not n²): the brief's hero
        # in the kitchen, the shot nearest the median look at the launch.
        assert grade["inputs"][0] == node["id"]
        assert grade["inputs"][1:] == [f"{grade['scene']}/hero"]
    heroes = {n["id"]: n["inputs"] for n in plan["nodes"] if n["agent"] == "scene_hero"}
    assert heroes == {
        "kitchen/hero": ["sh010/conform"],  # the brief's hero
        "launch/hero": ["sh030/conform", "sh040/conform"],
    }
    # sh030 was encoded clean but blocky and banded; the others keep the encoder's noise.
    assert "deblock: blockiness" in restores["sh030"]["explanation"]
    assert "deband: banding" in restores["sh030"]["explanation"]
    denoised = [s for s in SHOTS if "denoise_sigma" in restores[s.id]["params"]]
    assert [s.id for s in denoised] == ["sh010", "sh020", "sh040"]
    for shot in denoised:
        assert "denoise: σ≈" in restores[shot.id]["explanation"]
        source = list(VideoReader(demo / "footage" / f"{shot.id}.mp4", stop=12))[::4]
        master = list(VideoReader(demo / "deliverables" / f"{shot.id}.mp4", stop=12))[::4]
        noise_in = np.median([luma_noise(f.rgb) for f in source])
        small = [cv2.resize(f.rgb, (640, 360), interpolation=cv2.INTER_AREA) for f in master]
        noise_out = np.median([luma_noise(np.clip(f, 0, 1)) for f in small])
        assert noise_out < noise_in, (shot.id, noise_in * 255, noise_out * 255)


def test_demo_audit_log_verifies(demo: Path) -> None:
    assert reelgraph("audit", "verify", "-p", str(demo)).returncode == 0


def test_scene_variable_rerenders_only_that_scene(demo: Path) -> None:
    reelgraph("set", "-p", str(demo), "launch.time_of_day=night", check=True)
    reelgraph("run", "-p", str(demo), "-q", check=True)
    status = json.loads(reelgraph("status", "-p", str(demo), "--json", check=True).stdout)
    ran = {n["id"] for n in status["nodes"] if n["outcome"] == "ran"}
    launch = {"sh030", "sh040"}
    assert {"sh030/grade", "sh040/grade", "sh030/master", "sh040/master"} <= ran
    # The programme holds the launch shots, so it is rendered and checked again too.
    assert {"programme/master", "programme/qc"} <= ran
    assert all(node.split("/")[0] in launch | {"programme"} for node in ran)
    assert not any(n.endswith("/conform") for n in ran)


def _artifact(root: Path, key: str) -> Path:
    return root / ".reelgraph" / "artifacts" / key[:2] / key


def test_the_kitchen_angles_are_matched_to_each_other(demo: Path) -> None:
    """The kitchen's two angles share part of their view and were made with opposite colour
    casts: sh020's grade matches it to sh010 on what they share, so the continuity report's
    ΔE2000 between them drops."""
    status = json.loads(reelgraph("status", "-p", str(demo), "--json", check=True).stdout)
    keys = {n["id"]: n["key"] for n in status["nodes"]}
    grade = _artifact(demo, keys["sh020/grade"])
    report = json.loads((grade / "continuity" / "continuity.json").read_text())
    entry = report["shots"][0]
    assert (entry["shot"], entry["hero"], entry["method"]) == ("sh020", "sh010", "homography")
    assert entry["delta_e_after"] < 0.6 * entry["delta_e_before"], entry
    assert (grade / "continuity.cc").is_file()


def test_demo_masters_pass_qc(demo: Path) -> None:
    # The latest render run (`plan` and `analyse` record analysis-only runs too).
    status = json.loads(reelgraph("status", "-p", str(demo), "--json", check=True).stdout)
    run = status["run"]["id"]
    while run > 1 and not any(n["agent"] == "master" for n in status["nodes"]):
        run -= 1
        found = reelgraph("status", "-p", str(demo), "--run", str(run), "--json", check=True)
        status = json.loads(found.stdout)
    qc = {n["id"]: n["outcome"] for n in status["nodes"] if n["agent"] == "qc"}
    assert sorted(qc) == ["programme/qc", "sh010/qc", "sh020/qc", "sh030/qc", "sh040/qc"]
    assert set(qc.values()) <= {"ran", "cached"}
    fails = [f for f in status["findings"] if f["node"] in qc and f["severity"] == "fail"]
    assert fails == [], fails  # a failing master would be held, not delivered


def test_demo_qc_reports_are_collected_under_reports(demo: Path) -> None:
    for shot in ("sh010", "sh020", "sh030", "sh040"):
        page = demo / "reports" / "qc" / shot / "index.html"
        assert page.is_file(), f"no QC report for {shot}"
        assert (page.parent / "loudness.png").is_file()


def test_a_kitchen_variable_rerenders_only_the_kitchens_grades_and_what_follows(
    demo: Path,
) -> None:
    """Last, as it changes the project: warmth is read by the kitchen's grades only, so a
    new value leaves every other node of the plan in the cache."""
    reelgraph("set", "-p", str(demo), "kitchen.warmth=+500", check=True)
    plan = json.loads(reelgraph("plan", "-p", str(demo), "--json", check=True).stdout)
    stale = {n["id"] for n in plan["nodes"] if not n["cached"]}
    assert {"sh010/grade", "sh020/grade", "sh010/master", "sh020/master"} <= stale
    assert all(node.split("/")[0] in {"sh010", "sh020", "programme"} for node in stale), stale
    assert not any(n.endswith(("/conform", "/restore", "/audio")) for n in stale), stale
