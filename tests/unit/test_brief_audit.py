"""The brief's validation messages and the audit log's tamper detection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reelgraph.errors import BriefError
from reelgraph.project.brief import TEMPLATE, parse_brief
from reelgraph.project.folder import init_project


def test_template_is_a_valid_brief() -> None:
    brief = parse_brief(TEMPLATE)
    assert brief.delivery == "web-sdr" and brief.scenes[0].shots[0].source == "clip_a"


def test_misspelt_field_names_field_line_and_suggestion() -> None:
    text = TEMPLATE.replace("        source: clip_a", "        sourec: clip_a")
    line = text.splitlines().index("        sourec: clip_a") + 1
    with pytest.raises(BriefError) as error:
        parse_brief(text)
    message = str(error.value)
    assert (
        f"brief.yaml:{line}: scenes.0.shots.0.sourec: unknown field (did you mean 'source'?)"
        in message
    )


def test_unknown_delivery_spec_lists_valid_ones() -> None:
    with pytest.raises(BriefError, match="valid: web-sdr, broadcast-ebu"):
        parse_brief(TEMPLATE.replace("delivery: web-sdr", "delivery: web"))


def test_shot_naming_unknown_source_is_refused() -> None:
    with pytest.raises(BriefError, match="unknown source 'clip_b'"):
        parse_brief(TEMPLATE.replace("        source: clip_a", "        source: clip_b"))


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(BriefError, match=r"brief.yaml:\d+: not valid YAML"):
        parse_brief("project: x\n  delivery: [web-sdr\n")


@pytest.fixture
def audited(tmp_path: Path) -> tuple[Path, object]:
    project = init_project(tmp_path / "p")
    for i in range(5):
        project.audit.append("set", f"scene.var{i}", {"after": i})
    return tmp_path / "p" / ".reelgraph" / "project.sqlite", project


def test_untouched_log_verifies(audited: tuple[Path, object]) -> None:
    _, project = audited
    result = project.audit.verify()  # type: ignore[attr-defined]
    assert result.ok and result.entries == 6


def test_edited_entry_is_named(audited: tuple[Path, object]) -> None:
    db_path, project = audited
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE audit SET data_json = '{\"after\":99}' WHERE seq = 3")
    result = project.audit.verify()  # type: ignore[attr-defined]
    assert not result.ok
    assert any("entry 3" in p and "edited" in p for p in result.problems)


def test_deleted_entry_is_named(audited: tuple[Path, object]) -> None:
    db_path, project = audited
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM audit WHERE seq = 4")
    problems = project.audit.verify().problems  # type: ignore[attr-defined]
    assert any("4–4 are missing" in p for p in problems)


def test_deleted_tail_is_detected(audited: tuple[Path, object]) -> None:
    db_path, project = audited
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM audit WHERE seq = 6")
    problems = project.audit.verify().problems  # type: ignore[attr-defined]
    assert any("head records entry 6" in p for p in problems)


def test_rehashed_forgery_is_still_caught_by_the_next_link(audited: tuple[Path, object]) -> None:
    from reelgraph.project.audit import entry_hash

    db_path, project = audited
    with sqlite3.connect(db_path) as db:
        row = db.execute("SELECT * FROM audit WHERE seq = 2").fetchone()
        forged = '{"after":"forged"}'
        digest = entry_hash(row[6], 2, row[1], row[2], row[3], row[4], forged)
        db.execute("UPDATE audit SET data_json = ?, hash = ? WHERE seq = 2", (forged, digest))
    problems = project.audit.verify().problems  # type: ignore[attr-defined]
    assert any("entry 3 does not link" in p for p in problems)


@pytest.mark.parametrize(
    ("column", "value"),
    [("at", "2020-01-01T00:00:00.000+00:00"), ("actor", "someone-else@reelgraph")],
)
def test_edited_time_or_actor_is_named(
    audited: tuple[Path, object], column: str, value: str
) -> None:
    # Who did it and when are what an audit answers: both are inside the hash.
    db_path, project = audited
    with sqlite3.connect(db_path) as db:
        db.execute(f"UPDATE audit SET {column} = ? WHERE seq = 3", (value,))
    problems = project.audit.verify().problems  # type: ignore[attr-defined]
    assert any("entry 3" in p and "edited" in p for p in problems)


def test_rehashed_forgery_of_the_last_entry_is_caught_by_the_head(
    audited: tuple[Path, object],
) -> None:
    from reelgraph.project.audit import entry_hash

    db_path, project = audited
    with sqlite3.connect(db_path) as db:
        row = db.execute("SELECT * FROM audit WHERE seq = 6").fetchone()
        forged = '{"after":"forged"}'
        digest = entry_hash(row[6], 6, row[1], row[2], row[3], row[4], forged)
        db.execute("UPDATE audit SET data_json = ?, hash = ? WHERE seq = 6", (forged, digest))
    problems = project.audit.verify().problems  # type: ignore[attr-defined]
    assert any("head" in p for p in problems), problems


def test_head_is_written_only_when_the_entry_commits(audited: tuple[Path, object]) -> None:
    _, project = audited
    head = project.audit.head_path  # type: ignore[attr-defined]
    before = head.read_text()
    with pytest.raises(RuntimeError), project.store.transaction():  # type: ignore[attr-defined]
        project.audit.append("set", "scene.x", {"after": 1})  # type: ignore[attr-defined]
        assert head.read_text() == before  # not before the commit
        raise RuntimeError("the caller's work failed: its transaction rolls back")
    assert head.read_text() == before
    assert project.audit.verify().ok  # type: ignore[attr-defined]
    with project.store.transaction():  # type: ignore[attr-defined]
        seq = project.audit.append("set", "scene.x", {"after": 2})  # type: ignore[attr-defined]
    assert head.read_text().split()[0] == str(seq) == "7"
    assert project.audit.verify().ok  # type: ignore[attr-defined]


def test_a_damaged_head_file_is_reported(audited: tuple[Path, object]) -> None:
    _, project = audited
    project.audit.head_path.write_text("garbage\n")  # type: ignore[attr-defined]
    problems = project.audit.verify().problems  # type: ignore[attr-defined]
    assert problems == ["the log's head file (audit.head) is damaged"]
