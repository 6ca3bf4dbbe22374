"""``reelgraph takes``: files or a project's shots, the JSON document (documented schema),
a brief's ``take:`` honoured and audited once, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shot_clips as clips
from test_docs_schemas import assert_matches
from test_takes import blurred, setup_frames

from reelgraph.cli.main import main
from reelgraph.project.folder import init_project, open_project

BRIEF = """\
schema: reelgraph.Brief.1
project: takes
delivery: web-sdr
sources:
  - id: a
    path: a.mp4
  - id: b
    path: b.mp4
scenes:
  - id: one
    shots:
      - id: take_sharp
        source: a
      - id: take_soft
        source: b{take}
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("takes_cli")
    base = setup_frames()[:24]
    return {
        "a": clips.encode(base, folder / "take_sharp.mp4"),
        "b": clips.encode(blurred(base), folder / "take_soft.mp4"),
    }


def test_files_json_matches_docs_and_ranks_sharp_first(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["takes", str(files["b"]), str(files["a"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert_matches("reelgraph.Takes.1", data)
    (group,) = data["groups"]
    assert [t["take"] for t in group["takes"]] == ["take_sharp", "take_soft"]
    assert group["chosen"] == "take_sharp" and group["chosen_by"] == "auto"


def test_project_brief_choice_is_honoured_and_audited_once(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "p"
    init_project(root, brief_text=BRIEF.format(take="\n        take: take_soft"))
    for source, path in files.items():
        (root / f"{source}.mp4").write_bytes(path.read_bytes())
    for _ in range(2):
        assert main(["takes", "-p", str(root), "--json"]) == 0
        group = json.loads(capsys.readouterr().out)["groups"][0]
        assert (group["best"], group["chosen"], group["chosen_by"]) == (
            "take_sharp",
            "take_soft",
            "brief",
        )
    project = open_project(root)
    try:
        audits = project.store.query("SELECT data_json FROM audit WHERE action='take_override'")
        stored = project.store.query("SELECT shot, data_json FROM analysis WHERE kind='take'")
    finally:
        project.close()
    assert [json.loads(a["data_json"]) for a in audits] == [
        {"automatic": "take_sharp", "chosen": "take_soft"}
    ]
    chosen = {row["shot"]: json.loads(row["data_json"])["chosen"] for row in stored}
    assert chosen == {"take_sharp": False, "take_soft": True}


def test_bad_input(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["takes"]) == 2
    assert "hint: " in capsys.readouterr().err
    missing = tmp_path / "nope.mp4"
    assert main(["takes", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "no such file" in err and "Traceback" not in err
    root = tmp_path / "p"
    init_project(root, brief_text=BRIEF.format(take="\n        take: nothing_like_it"))
    for source, path in files.items():
        (root / f"{source}.mp4").write_bytes(path.read_bytes())
    assert main(["takes", "-p", str(root)]) == 2
    err = capsys.readouterr().err
    assert "nothing_like_it" in err and "hint: " in err
