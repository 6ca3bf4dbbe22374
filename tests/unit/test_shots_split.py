"""Raw footage in: ``reelgraph ingest --split`` and ``split: auto`` make shots from the
detected boundaries, with ids that stay the same at every ingest."""

from __future__ import annotations

from pathlib import Path

import pytest
import shot_clips as clips

from reelgraph.cli.main import main
from reelgraph.project.folder import init_project, open_project

BRIEF = """\
schema: reelgraph.Brief.1
project: rushes
delivery: web-sdr
sources:
  - id: rushes
    path: rushes.mp4{split}
  - id: other
    path: other.mp4
scenes:
  - id: day
    shots:
      - id: all_of_it
        source: rushes
      - id: sh010
        source: other
"""


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rushes: hard cut at 30, 10-frame dissolve over 55–64 (cut point 60); other: one shot."""
    folder = tmp_path_factory.mktemp("footage")
    rushes = clips.shot("astronaut", 30) + clips.dissolve(
        clips.shot("coffee", 35, top=80), clips.shot("chelsea", 30, left=100), 10
    )
    clips.encode(rushes, folder / "rushes.mp4")
    clips.encode(clips.shot("rocket", 20), folder / "other.mp4")
    return folder


def make_project(tmp_path: Path, footage: Path, split: str = "") -> Path:
    root = tmp_path / "project"
    init_project(root, brief_text=BRIEF.format(split=split))
    for name in ("rushes.mp4", "other.mp4"):
        (root / name).write_bytes((footage / name).read_bytes())
    return root


def shots(root: Path) -> list[tuple[str, str, str, int, int]]:
    project = open_project(root)
    try:
        rows = project.store.query("SELECT id, scene, source, start_frame, end_frame FROM shots")
        return sorted(tuple(row) for row in rows)  # type: ignore[misc]
    finally:
        project.close()


EXPECTED = [
    ("rushes.000000-000029", "day", "rushes", 0, 29),
    ("rushes.000030-000059", "day", "rushes", 30, 59),
    ("rushes.000060-000084", "day", "rushes", 60, 84),
    ("sh010", "day", "other", 0, 19),
]


def test_ingest_split_replaces_the_whole_source_shot_and_ids_are_stable(
    tmp_path: Path, footage: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path, footage)
    assert main(["ingest", "-p", str(root)]) == 0
    assert [row[0] for row in shots(root)] == ["all_of_it", "sh010"]
    assert main(["ingest", "-p", str(root), "--split"]) == 0
    assert shots(root) == EXPECTED
    # A later plain ingest (every command runs one) keeps the split and its ids.
    assert main(["ingest", "-p", str(root)]) == 0
    assert shots(root) == EXPECTED
    project = open_project(root)
    try:
        rows = project.store.query("SELECT subject FROM audit WHERE action = 'split'")
    finally:
        project.close()
    # Each source split once: the detection is reused while the file is unchanged.
    assert sorted(row["subject"] for row in rows) == ["other", "rushes"]


def test_split_auto_in_the_brief_and_split_none_exempts(tmp_path: Path, footage: Path) -> None:
    root = make_project(tmp_path, footage, split="\n    split: auto")
    assert main(["ingest", "-p", str(root)]) == 0
    assert shots(root) == EXPECTED
    exempt = make_project(tmp_path / "exempt", footage, split="\n    split: none")
    assert main(["ingest", "-p", str(exempt), "--split"]) == 0
    assert [row[0] for row in shots(exempt)] == ["all_of_it", "sh010"]


def test_split_source_named_twice_is_refused_and_nothing_written(
    tmp_path: Path, footage: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path, footage)
    brief = (root / "brief.yaml").read_text()
    brief += "      - id: again\n        source: rushes\n"
    (root / "brief.yaml").write_text(brief)
    assert main(["ingest", "-p", str(root), "--split"]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "'all_of_it' and 'again'" in err and "hint: " in err
    assert shots(root) == []


def test_a_shot_is_read_from_its_first_frame_without_decoding_the_rest(footage: Path) -> None:
    import av
    import numpy as np

    from reelgraph.agents.shots import frames_from

    path = footage / "rushes.mp4"
    with av.open(str(path)) as container:
        sequential = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    for first in (0, 31, 57, 84):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            got = [
                (i, f.to_ndarray(format="rgb24")) for i, f in frames_from(container, stream, first)
            ]
        assert [i for i, _ in got] == list(range(first, len(sequential)))
        assert all(np.array_equal(frame, sequential[i]) for i, frame in got)
