"""``reelgraph cut``: the brief's edit section becomes an OpenTimelineIO timeline — order,
takes, trims, dissolves, pacing — read back here; bad edits are refused with nothing
written."""

from __future__ import annotations

import json
from pathlib import Path

import opentimelineio as otio
import pytest
import shot_clips as clips
from test_docs_schemas import assert_matches

from reelgraph.cli.main import main
from reelgraph.project.folder import init_project

BRIEF = """\
schema: reelgraph.Brief.1
project: cut
delivery: web-sdr
sources:
  - {{id: a, path: a.mp4}}
  - {{id: b, path: b.mp4}}
  - {{id: c, path: c.mp4}}
scenes:
  - id: one
    shots:
      - {{id: sh_a, source: a}}
      - {{id: sh_b, source: b}}
      - {{id: sh_c, source: c}}
{edit}"""


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cut_media")
    clips.encode(clips.shot("astronaut", 40), folder / "a.mp4")
    clips.encode(clips.shot("coffee", 40), folder / "b.mp4")
    clips.encode(clips.shot("chelsea", 40), folder / "c.mp4")
    return folder


def project(tmp_path: Path, media: Path, edit: str) -> Path:
    root = tmp_path / "p"
    init_project(root, brief_text=BRIEF.format(edit=edit))
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        (root / name).write_bytes((media / name).read_bytes())
    return root


def cut(root: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["cut", "-p", str(root), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


EDIT = """\
edit:
  slots:
    - {shot: sh_c, out: 34}
    - shot: sh_a
      in: 5
      out: 30
      transition: {dissolve: 8}
    - shot: sh_b
"""


def test_edit_order_trims_and_dissolve_in_the_timeline(
    tmp_path: Path, media: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, media, EDIT)
    data = cut(root, capsys)
    assert_matches("reelgraph.Cut.1", data)
    assert [c["slot"] for c in data["clips"]] == ["sh_c", "sh_a", "sh_b"]
    a = data["clips"][1]
    assert (a["source_in"], a["source_out"]) == (5, 30)
    assert a["transition"] == {"kind": "dissolve", "frames": 8}
    assert a["record_in"] == 35  # centred on the cut, made from handles: no overlap
    assert data["frames"] == 35 + 26 + 40
    assert any("trimmed in the brief" in why for why in a["why"])
    timeline = otio.adapters.read_from_file(data["timeline"])
    track = timeline.tracks[0]
    assert [c.name for c in track.find_clips()] == ["sh_c", "sh_a", "sh_b"]
    transitions = [item for item in track if isinstance(item, otio.schema.Transition)]
    assert len(transitions) == 1 and transitions[0].in_offset.value == 4
    clip_a = list(track.find_clips())[1]
    assert clip_a.source_range.start_time.value == 5 and clip_a.source_range.duration.value == 26
    assert clip_a.media_reference.target_url.endswith("/a.mp4")
    assert timeline.duration().value == data["frames"]


def test_default_is_brief_order_and_pacing_trims_heads_and_tails(
    tmp_path: Path, media: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, media, "edit:\n  pacing: {target_runtime_s: 3.0}\n")
    data = cut(root, capsys)
    assert [c["slot"] for c in data["clips"]] == ["sh_a", "sh_b", "sh_c"]
    assert abs(data["frames"] - 75) <= 1  # 3.0 s at 25 fps
    for clip in data["clips"]:
        assert clip["source_in"] > 0 and clip["source_out"] < 39  # both ends trimmed
        assert any("target runtime 3 s" in why for why in clip["why"])


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("edit:\n  slots:\n    - shot: sh_x\n", "names no shot"),
        ("edit:\n  slots:\n    - {shot: sh_a, take: nope}\n", "which is no shot"),
        ("edit:\n  slots:\n    - {shot: sh_a, in: 10, out: 45}\n", "outside take"),
        (
            "edit:\n  slots:\n    - {shot: sh_a, out: 9}\n"
            "    - {shot: sh_b, transition: {dissolve: 12}}\n",
            "longer than a clip",
        ),
        (
            "edit:\n  slots:\n    - {shot: sh_a}\n"
            "    - {shot: sh_b, in: 10, transition: {dissolve: 12}}\n",
            "needs 6 frames after",
        ),
    ],
)
def test_bad_edits_are_refused_and_nothing_is_written(
    tmp_path: Path, media: Path, capsys: pytest.CaptureFixture[str], edit: str, expected: str
) -> None:
    root = project(tmp_path, media, edit)
    assert main(["cut", "-p", str(root), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error: " in captured.err and expected in captured.err and "hint: " in captured.err
    assert not (root / ".reelgraph" / "cut.otio").exists()


def test_pacing_trims_where_nothing_happens(
    tmp_path: Path, media: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, media, "edit:\n  slots:\n    - shot: sh_a\n"
                   "  pacing: {target_runtime_s: 1.0}\n")  # fmt: skip
    still = clips.shot("rocket", 1) * 25  # 25 frames where nothing moves, then a fast pan
    clips.encode(still + clips.shot("rocket", 15, step=6.0), root / "a.mp4")
    (clip,) = cut(root, capsys)["clips"]
    assert (clip["source_in"], clip["source_out"]) == (15, 39)  # all 15 from the still head
    assert any("least speech and motion" in why for why in clip["why"])
