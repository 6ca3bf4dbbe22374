"""``reelgraph transcribe`` and ``reelgraph search``: a project's dialogue transcribed once
and stored, a phrase found in the right shot at the right timecode, the documented JSON,
and what happens without the extra ``[asr]`` and with bad input."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from speech_audio import placed_speech, video_with_sound
from test_docs_schemas import assert_matches

from reelgraph.cli.main import main
from reelgraph.project.folder import init_project

FPS = 25
BRIEF = """\
schema: reelgraph.Brief.1
project: search
delivery: web-sdr
sources:
  - id: rushes
    path: rushes.mov
scenes:
  - id: one
    shots:
      - id: sh010
        source: rushes
        frames: [0, 149]
      - id: sh020
        source: rushes
        frames: [150, 296]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    root = tmp_path_factory.mktemp("search") / "p"
    init_project(root, brief_text=BRIEF)
    audio, places = placed_speech()  # "age of wisdom" at 2.0 s, "best of times" at 6.6 s
    video_with_sound(root / "rushes.mov", audio, fps=FPS)
    return root, places


def test_search_finds_the_line_in_its_shot_at_its_timecode(
    project: tuple[Path, list], capsys: pytest.CaptureFixture[str]
) -> None:
    root, places = project
    assert main(["search", "-p", str(root), "Best of Times", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert_matches("reelgraph.Search.1", data)
    (hit,) = data["hits"]
    start, end, _ = places[1]
    assert start < hit["start_s"] < hit["end_s"] < end
    assert hit["text"] == "best of times" and hit["frame_rate"] == "25/1"
    assert hit["start_frame"] == int(hit["start_s"] * FPS)
    seconds, frames = divmod(hit["start_frame"], FPS)
    assert hit["start_tc"] == f"00:00:{seconds:02d}:{frames:02d}"
    assert [s["shot"] for s in hit["shots"]] == ["sh020"]
    assert hit["shots"][0]["frame"] == hit["start_frame"] - 150

    # "It was" opens both phrases: one hit in each shot, in time order; the text output
    # gives the same places.
    assert main(["search", "-p", str(root), "it was"]) == 0
    text = capsys.readouterr().err
    assert "sh010" in text and "sh020" in text and "00:00:02:" in text
    assert main(["search", "-p", str(root), "it was", "--json"]) == 0
    shots = [h["shots"][0]["shot"] for h in json.loads(capsys.readouterr().out)["hits"]]
    assert shots[0] == "sh010" and "sh020" in shots[1:]
    assert main(["search", "-p", str(root), "ages of wisdom", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"] == []  # no partial words


@pytest.mark.slow
def test_transcripts_are_stored_and_reused_until_forced(
    project: tuple[Path, list], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project
    assert main(["transcribe", "-p", str(root), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert_matches("reelgraph.Transcripts.1", data)
    (first,) = data["transcripts"]
    assert "the age of wisdom" in first["text"] and "best of times" in first["text"]
    assert main(["transcribe", "-p", str(root), "--json"]) == 0
    (again,) = json.loads(capsys.readouterr().out)["transcripts"]
    assert again["made"] is False and again["words"] == first["words"]
    assert main(["transcribe", "-p", str(root), "--force", "--json"]) == 0
    (forced,) = json.loads(capsys.readouterr().out)["transcripts"]
    assert forced["made"] is True and forced["words"] == first["words"]


def test_a_file_on_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audio, _ = placed_speech()
    clip = video_with_sound(tmp_path / "clip.mov", audio[: 48000 * 5])  # "age of wisdom"
    assert main(["transcribe", str(clip), "--json"]) == 0
    (document,) = json.loads(capsys.readouterr().out)["transcripts"]
    assert document["source"] == "clip.mov" and "wisdom" in document["text"]
    assert_matches("reelgraph.Transcripts.1", {"schema": "reelgraph.Transcripts.1",
                                               "transcripts": [document]})  # fmt: skip


def test_without_the_extra_the_commands_say_how_to_install_it(
    project: tuple[Path, list], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pocketsphinx" else real(name, *a),
    )
    for argv in (["search", "-p", str(root), "wisdom"], ["transcribe", "-p", str(root)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and "hint: install the speech recogniser with: pip " \
            "install 'reelgraph[asr]'" in err and "Traceback" not in err  # fmt: skip


def test_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    silent = video_with_sound(tmp_path / "silent.mov", None)
    cases = [
        (["transcribe", str(silent)], "no sound"),
        (["transcribe", str(tmp_path / "missing.wav")], "missing.wav"),
        (["transcribe"], "either a media file or --project"),
        (["search", "-p", str(tmp_path), "?!"], "no word"),
        (["search", "-p", str(tmp_path), "words"], "not a reelgraph project"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error:") and message in err and "hint:" in err, (argv, err)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert main(["transcribe", str(empty)]) == 2
    assert "hint:" in capsys.readouterr().err
    np.testing.assert_equal(sorted(p.name for p in tmp_path.iterdir()), ["empty.wav", "silent.mov"])


def test_progress_runs_to_the_files_length_when_the_sound_states_none(tmp_path: Path) -> None:
    """A Matroska sound stream states no duration: the bar's total is the file's."""
    from reelgraph.analyse.transcripts import transcribe_file
    from reelgraph.media.audio import write_audio

    path = tmp_path / "sound.mkv"
    write_audio(path, np.zeros((48000, 1), np.float32), 48000, codec="flac")
    calls: list[tuple[float, float]] = []
    transcribe_file(path, progress=lambda done, total: calls.append((done, total)))
    assert calls and all(total == pytest.approx(1.0, abs=1e-3) for _, total in calls)
    assert calls[-1][0] == pytest.approx(1.0, abs=1e-3)
