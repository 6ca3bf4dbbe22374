"""`reelgraph set` refuses a scene variable's value that the agents reading it cannot use,
listing the valid values, and leaves the project as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelgraph.agents import grade
from reelgraph.cli.main import main
from reelgraph.project.folder import init_project, open_project


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    init_project(tmp_path / "proj").close()
    return tmp_path / "proj"


def test_a_time_of_day_without_a_look_is_refused_with_the_valid_ones(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["set", "-p", str(project_dir), "opening.time_of_day=midnight"]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "midnight" in err and "Traceback" not in err
    hint = next(line for line in err.splitlines() if line.startswith("hint: "))
    assert all(look in hint for look in grade.LOOKS)
    project = open_project(project_dir)
    assert "time_of_day" not in project.variables("opening") or (
        project.variables("opening")["time_of_day"] != "midnight"
    )
    assert project.store.query("SELECT * FROM audit WHERE action = 'set'") == []
    project.close()


def test_a_look_in_the_table_is_accepted(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["set", "-p", str(project_dir), "opening.time_of_day=night"]) == 0
    # The valid values are the looks table itself: a look added there is accepted at once.
    monkeypatch.setitem(grade.LOOKS, "dusk", grade.LOOKS["sunset"])
    assert main(["set", "-p", str(project_dir), "opening.time_of_day=dusk"]) == 0
    project = open_project(project_dir)
    assert project.variables("opening")["time_of_day"] == "dusk"
    project.close()


def test_a_variable_no_agent_constrains_takes_any_value(project_dir: Path) -> None:
    assert main(["set", "-p", str(project_dir), "opening.mood=anything"]) == 0
