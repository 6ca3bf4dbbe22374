"""The JSON schemas documented in docs/cli.md match what the commands print.

Every command's ``--json`` prints a document labelled with its schema (``reelgraph.Probe.1``,
``reelgraph.Plan.1``, ``reelgraph.Status.1``, ``reelgraph.Loudness.1``, ``reelgraph.QC.1``,
``reelgraph.Init.1``, ``reelgraph.Ingest.1``, ``reelgraph.Analysis.1``, ``reelgraph.Deliver.1``,
``reelgraph.Calibration.1``, ``reelgraph.AuditVerify.1``, ``reelgraph.AuditLog.1``,
``reelgraph.Level.1``, ``reelgraph.Restore.1``). Each schema is documented as key tables,
each table preceded by a marker line ``<!-- schema: reelgraph.X.1 -->``; the first column is
the key's path, the second its JSON type. These tests run the commands on tiny inputs (stub
agents for the run, a three-frame clip for probe and plan) and fail when a key is added,
removed, renamed or changes type without the documentation following.

Path notation (as in docs/cli.md): ``a.b`` is key ``b`` inside object ``a``; ``a[]`` is
every element of array ``a``; ``streams[video]`` is every element of ``streams`` whose
``kind`` is ``video``. A ``map<…>`` is an object keyed by data (shot ids, parameter
names), so its keys are not part of the schema. A key whose type is another schema's
name (``reelgraph.Probe.1``) holds a whole document of that schema, checked against its own
tables.
"""

from __future__ import annotations

import hashlib
import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelgraph.cli.main import main
from reelgraph.media.video import VideoWriter
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output
from reelgraph.orchestrator.executor import InlineExecutor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.registry import Registry
from reelgraph.orchestrator.runner import Runner, SourceRef
from reelgraph.project.folder import init_project
from stub_agents import STUBS

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
MARKER = re.compile(r"<!--\s*schema:\s*(\S+)\s*-->")
# Arrays whose elements differ by a discriminating key: path → key.
DISCRIMINATED = {"streams": "kind"}


class FlagFrames(Agent):
    """Passes its input on and reports one QC finding, so findings[] has an element."""

    name = "doc_flag"
    version = "1"
    cost = Cost("node", 0.1, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        (ctx.out_dir / "value.json").write_text('{"value": 0}')
        finding = {
            "check": "black",
            "severity": "warning",
            "start_frame": 0,
            "end_frame": 1,
            "start_tc": "00:00:00:00",
            "end_tc": "00:00:00:01",
            "value": 0.0,
            "limit": 0.1,
            "standard": "schema test",
            "message": "two black frames",
        }
        return Output({"kind": "value", "file": "value.json"}, findings=[finding])


# -- the documentation ---------------------------------------------------------------------


def _types(cell: str) -> set[str]:
    """``number | null`` → {number, null}; ``array<object>`` → {array}; ``map<…>`` → {map}."""
    return {part.strip().split("<", 1)[0].strip() for part in cell.split("|") if part.strip()}


def documented(schema: str) -> dict[str, set[str]]:
    """path → JSON types, from every table marked for ``schema`` in docs/cli.md."""
    lines = CLI_DOC.read_text(encoding="utf-8").splitlines()
    keys: dict[str, set[str]] = {}
    for i, line in enumerate(lines):
        found = MARKER.search(line)
        if not found or found.group(1) != schema:
            continue
        j = i + 1
        while j < len(lines) and not lines[j].lstrip().startswith("|"):
            j += 1
        j += 2  # the header row and the |---| row
        while j < len(lines) and lines[j].lstrip().startswith("|"):
            # Split on pipes that are not inside backticks or escaped (types use "\|").
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", lines[j].strip())[1:-1]]
            path = cells[0].strip("`")
            keys[path] = _types(cells[1].replace("\\|", "|").replace("`", ""))
            j += 1
    assert keys, f"docs/cli.md has no table marked <!-- schema: {schema} -->"
    return keys


# -- what the code prints ------------------------------------------------------------------


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def flatten(
    value: Any,
    maps: set[str],
    path: str = "",
    out: dict[str, set[str]] | None = None,
    *,
    element: bool = False,
) -> dict[str, set[str]]:
    """path → JSON types seen, for every key of a JSON document (see the module docstring).

    The elements of an array of objects are not keys themselves (``element``): only their
    keys are recorded, under ``array[]`` or ``array[kind]``."""
    out = {} if out is None else out
    if path and not element:
        kind = "map" if path in maps and isinstance(value, dict) else _json_type(value)
        out.setdefault(path, set()).add(kind)
    if isinstance(value, dict) and path not in maps:
        for key, item in value.items():
            flatten(item, maps, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                tag = str(item[DISCRIMINATED[path]]) if path in DISCRIMINATED else ""
                flatten(item, maps, f"{path}[{tag}]", out, element=True)
    return out


def _values_at(value: Any, path: str) -> list[Any]:
    """Every value at ``path`` (``a.b``, ``a[].b``) in a document."""
    found = [value]
    for part in path.split("."):
        key, is_array = part.removesuffix("[]"), part.endswith("[]")
        found = [item[key] for item in found if isinstance(item, dict) and key in item]
        if is_array:
            found = [element for array in found for element in array]
    return found


def assert_matches(schema: str, data: dict[str, Any]) -> None:
    doc = documented(schema)
    embedded = {
        path: kind for path, types in doc.items() for kind in types if kind.startswith("reelgraph.")
    }
    for path in embedded:
        doc[path] = doc[path] - {embedded[path]} | {"map"}  # opaque here, checked below
    maps = {path for path, types in doc.items() if "map" in types}
    code = flatten(json.loads(json.dumps(data)), maps)
    assert data["schema"] == schema
    undocumented = sorted(set(code) - set(doc))
    missing = sorted(set(doc) - set(code))
    assert not undocumented, f"{schema}: keys the code prints but docs/cli.md lacks: {undocumented}"
    assert not missing, f"{schema}: keys docs/cli.md lists but the code does not print: {missing}"
    wrong = {}
    for path, seen in code.items():
        allowed = doc[path] | ({"integer"} if "number" in doc[path] else set())
        if not seen <= allowed:
            wrong[path] = (sorted(seen), sorted(doc[path]))
    assert not wrong, f"{schema}: types differ from docs/cli.md (seen, documented): {wrong}"
    for path, inner in embedded.items():
        for value in _values_at(data, path):
            assert_matches(inner, value)


# -- a tiny project ------------------------------------------------------------------------


def write_clip(path: Path) -> None:
    """Three 64×48 frames of H.264 with a stereo AAC track: a video and an audio stream."""
    rate = 48000
    ramp = np.linspace(0.1, 0.9, 64, dtype=np.float32)
    image = np.ascontiguousarray(np.broadcast_to(ramp[None, :, None], (48, 64, 3)))
    t = np.arange(rate // 8) / rate
    tone = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None].repeat(2, 1)
    with VideoWriter(
        path, width=64, height=48, frame_rate=Fraction(24), preset="h264", audio=(rate, "stereo")
    ) as writer:
        for _ in range(3):
            writer.write(image)
        writer.write_audio(tone, rate)


BRIEF = """\
schema: reelgraph.Brief.1
project: schema-test
delivery: web-sdr
sources:
  - id: clip
    path: footage/clip.mp4
    rights: {owner: test, licence: test, origin: generated, cleared: true}
scenes:
  - id: scene
    variables: {time_of_day: day}
    shots:
      - {id: sh010, source: clip}
"""


@pytest.fixture(scope="module")
def clip_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schemas") / "clip"
    init_project(root, brief_text=BRIEF).close()
    (root / "footage").mkdir()
    write_clip(root / "footage" / "clip.mp4")
    return root


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(list(argv)) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


# -- the tests -----------------------------------------------------------------------------


def test_probe_json_matches_docs(clip_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_json(capsys, "probe", str(clip_project / "footage" / "clip.mp4"), "--json")
    assert {s["kind"] for s in data["streams"]} == {"video", "audio"}
    assert_matches("reelgraph.Probe.1", data)


def test_plan_json_matches_docs(clip_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_json(capsys, "plan", "-p", str(clip_project), "--json")
    assert data["nodes"], "the plan has no nodes"
    assert_matches("reelgraph.Plan.1", data)


def test_status_json_matches_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = init_project(tmp_path / "stub")
    value = project.root / "input.txt"
    value.write_text("2")
    digest = hashlib.sha256(value.read_bytes()).hexdigest()
    sources = {"input": SourceRef("input", value, digest, {"kind": "value"})}
    plan = Plan(
        "stub",
        "web-sdr",
        (
            Node("load", "stub_load", {}, ("source:input",), "read the number", "s1", "sc"),
            Node("add", "stub_add", {"amount": 1.0}, ("load",), "add one", "s1", "sc"),
            Node("flag", "doc_flag", {}, ("add",), "report a finding", "s1", "sc"),
        ),
    )
    registry = Registry(extra={**STUBS, FlagFrames.name: FlagFrames})
    Runner(project, plan, InlineExecutor(), registry=registry, sources=sources).run()
    project.close()
    data = cli_json(capsys, "status", "-p", str(tmp_path / "stub"), "--json")
    assert data["findings"], "the run stored no finding"
    assert_matches("reelgraph.Status.1", data)


def test_loudness_json_matches_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rng: np.random.Generator
) -> None:
    from audio_synth import speech_like

    from reelgraph.media.audio import write_audio

    voice, _ = speech_like(rng, 4.0, level_dbfs=-30.0)
    path = tmp_path / "dialogue.wav"
    write_audio(path, np.stack([voice, voice], axis=1).astype(np.float32), 48000)
    capsys.readouterr()
    assert main(["loudness", str(path), "--spec", "web", "--json"]) == 1  # not compliant
    data = json.loads(capsys.readouterr().out)
    assert data["target"] is not None and data["short_term"]["lufs"]
    assert_matches("reelgraph.Loudness.1", data)


def test_qc_json_matches_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rate, frames = 48000, 24
    t = np.arange(rate) / rate
    tone = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None].repeat(2, 1)
    path = tmp_path / "master.mp4"
    with VideoWriter(path, width=64, height=48, frame_rate=Fraction(24), preset="h264",
                     audio=(rate, "stereo")) as writer:  # fmt: skip
        for k in range(frames):
            writer.write(np.full((48, 64, 3), 0.2 + 0.02 * (k % 2), np.float32))
        writer.write_audio(tone, rate)
    capsys.readouterr()
    assert main(["qc", str(path), "--json"]) == 1  # 64×48 is not web-sdr's 1080p
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] and data["audio"]["integrated_lufs"] is not None
    assert_matches("reelgraph.QC.1", data)


def test_init_json_matches_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_json(capsys, "init", str(tmp_path / "new"), "--json")
    assert Path(data["brief"]).is_file()
    assert_matches("reelgraph.Init.1", data)


def test_ingest_json_matches_docs(clip_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_json(capsys, "ingest", "-p", str(clip_project), "--json")
    assert [s["id"] for s in data["sources"]] == ["clip"]
    assert_matches("reelgraph.Ingest.1", data)  # and each probe against reelgraph.Probe.1


def test_analysis_json_matches_docs(clip_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_json(capsys, "analyse", "-p", str(clip_project), "--executor", "inline", "--json")
    assert set(data["shots"]["sh010"]) == {"plate", "loudness"}
    assert_matches("reelgraph.Analysis.1", data)
    assert_matches("reelgraph.PlateAnalysis.1", data["shots"]["sh010"]["plate"])


def test_audit_json_matches_docs(clip_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = cli_json(capsys, "audit", "log", "-p", str(clip_project), "--json")
    assert log["entries"][0]["action"] == "init"
    assert_matches("reelgraph.AuditLog.1", log)
    verify = cli_json(capsys, "audit", "verify", "-p", str(clip_project), "--json")
    assert verify["ok"] and verify["entries"] == len(log["entries"])
    assert_matches("reelgraph.AuditVerify.1", verify)


@pytest.mark.slow  # calibrate synthesises and renders a 24-frame clip
def test_calibration_json_matches_docs(
    clip_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("calibrate", "-p", str(clip_project), "--agents", "extract_audio", "--json")
    data = cli_json(capsys, *argv)
    assert data["agents"]["extract_audio"]["unit"] == "audio_second"
    assert_matches("reelgraph.Calibration.1", data)


def test_deliver_json_matches_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = init_project(tmp_path / "stub")
    value = project.root / "input.txt"
    value.write_text("2")
    digest = hashlib.sha256(value.read_bytes()).hexdigest()
    sources = {"input": SourceRef("input", value, digest, {"kind": "value"})}
    plan = Plan(
        "stub", "web-sdr", (Node("load", "stub_load", {}, ("source:input",), "read", "s1", "sc"),)
    )
    Runner(project, plan, InlineExecutor(), registry=Registry(extra=STUBS), sources=sources).run()
    project.close()
    capsys.readouterr()
    main(["deliver", "-p", str(tmp_path / "stub"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert_matches("reelgraph.Deliver.1", data)


def test_level_json_matches_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rng: np.random.Generator
) -> None:
    from audio_synth import speech_like

    from reelgraph.media.audio import write_audio

    voice, _ = speech_like(rng, 4.0, level_dbfs=-30.0)
    path = tmp_path / "dialogue.wav"
    write_audio(path, np.stack([voice, voice], axis=1).astype(np.float32), 48000)
    data = cli_json(
        capsys, "level", str(path), str(tmp_path / "out.wav"), "--spec", "web", "--json"
    )
    assert (
        data["compliant"] and data["after"]["integrated_lufs"] > data["before"]["integrated_lufs"]
    )
    assert_matches("reelgraph.Level.1", data)


def test_user_json_matches_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "people")
    cli_json(capsys, "init", root, "--json")
    added = cli_json(capsys, "user", "add", "rita", "--role", "reviewer", "-p", root, "--json")
    assert added["user"] == "rita" and added["token"].startswith("rg_")
    assert_matches("reelgraph.User.1", added)
    listed = cli_json(capsys, "user", "list", "-p", root, "--json")
    assert [u["user"] for u in listed["users"]] == ["rita"]
    assert_matches("reelgraph.Users.1", listed)
    cli_json(capsys, "user", "add", "vera", "--role", "viewer", "-p", root, "--json")
    remaining = cli_json(capsys, "user", "remove", "rita", "-p", root, "--json")
    assert [u["user"] for u in remaining["users"]] == ["vera"]
    assert_matches("reelgraph.Users.1", remaining)


class StubMaster(Agent):
    """Writes a one-line "master", so a render run has a master to review."""

    name = "master"
    version = "stub"
    cost = Cost("node", 0.1, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        (ctx.out_dir / "sh1.txt").write_text("a master\n")
        return Output({"kind": "master", "file": "sh1.txt"})


def test_review_json_matches_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = init_project(tmp_path / "stub")
    value = project.root / "input.txt"
    value.write_text("2")
    digest = hashlib.sha256(value.read_bytes()).hexdigest()
    sources = {"input": SourceRef("input", value, digest, {"kind": "value"})}
    plan = Plan(
        "stub", "web-sdr", (Node("sh1/master", "master", {}, ("source:input",), "m", "sh1", "sc"),)
    )
    registry = Registry(extra={StubMaster.name: StubMaster})
    Runner(project, plan, InlineExecutor(), registry=registry, sources=sources).run()
    project.close()
    argv = ("review", "approve", "sh1", "--note", "fine", "-p", str(tmp_path / "stub"), "--json")
    data = cli_json(capsys, *argv)
    assert [m["shot"] for m in data["masters"]] == ["sh1"] and data["masters"][0]["run"] == 1
    assert_matches("reelgraph.Review.1", data)


@pytest.mark.slow  # restores (denoises) and masters a six-frame clip
def test_restore_json_matches_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from restore_clips import noisy_frames
    from restore_clips import write_clip as write_restore_clip

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_restore_clip(tmp_path / "noisy.mp4", noisy_frames(6, 64, 48), "h264", audio=None)
    argv = ("restore", str(tmp_path / "noisy.mp4"), str(tmp_path / "out.mkv"), "--json")
    data = cli_json(capsys, *argv, "--executor", "inline")
    assert [n["id"] for n in data["nodes"]] == ["restore", "master"]
    assert_matches("reelgraph.Restore.1", data)  # and plate against PlateAnalysis.1


def test_documented_tables_are_found() -> None:
    """A renamed marker must not make the comparison vacuous."""
    for schema in (
        "reelgraph.Probe.1",
        "reelgraph.Plan.1",
        "reelgraph.Status.1",
        "reelgraph.Loudness.1",
        "reelgraph.QC.1",
        "reelgraph.Level.1",
        "reelgraph.AuditLog.1",
        "reelgraph.Restore.1",
    ):
        assert len(documented(schema)) > 5
    for schema in (
        "reelgraph.Init.1",
        "reelgraph.Ingest.1",
        "reelgraph.Analysis.1",
        "reelgraph.Deliver.1",
        "reelgraph.Calibration.1",
        "reelgraph.AuditVerify.1",
        "reelgraph.Review.1",
    ):
        assert len(documented(schema)) >= 2
