"""The programme end to end: `reelgraph run` on a small project with an `edit:` section
delivers programme.mp4 and its three timelines; OpenTimelineIO reads each back with one
clip per shot in brief order; the programme lasts as long as its timeline (within a frame)
and meets the web loudness target by an independent meter (pyloudnorm). A bad edit is
refused with error and hint before anything is rendered or delivered."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import opentimelineio as otio
import pyloudnorm
import pytest

from conftest import make_project, reelgraph
from reelgraph.media.audio import read_audio
from reelgraph.media.probe import probe
from reelgraph.project.folder import open_project
from reelgraph.specs.loudness_targets import lookup

FRAMES = 16
EDIT = """edit:
  slots:
    - {shot: s0, out: 12}
    - {shot: s1, in: 3, transition: {dissolve: 6}}
    - {shot: s2}
"""


def _project(root: Path, edit: str) -> Path:
    reelgraph("init", str(root), check=True)
    make_project(root, clips=3, frames=FRAMES)
    (root / "brief.yaml").write_text((root / "brief.yaml").read_text() + edit)
    return root


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("programme") / "proj", EDIT)
    result = reelgraph("run", "-p", str(root), "--quiet")
    assert result.returncode == 0, result.stderr
    return root / "deliverables"


def test_the_programme_and_its_timelines_are_delivered(delivered: Path) -> None:
    names = {line.split()[1] for line in (delivered / "SHA256SUMS").read_text().splitlines()}
    assert {"programme.mp4", "programme.otio", "programme.edl", "programme.fcpxml"} <= names
    assert {"s0.mp4", "s1.mp4", "s2.mp4"} <= names
    manifest = json.loads((delivered / "manifest.json").read_text())
    programme = next(i for i in manifest["items"] if i["shot"] == "programme")
    assert [c["take"] for c in programme["clips"]] == ["s0", "s1", "s2"]
    assert "the grade's ASC CDL per clip" in programme["timelines_do_not_carry"]["programme.fcpxml"]
    assert "programme" in {step["agent"] for step in programme["recipe"]}


@pytest.mark.parametrize("name", ["programme.otio", "programme.edl", "programme.fcpxml"])
def test_each_timeline_reads_back_with_one_clip_per_shot_in_brief_order(
    delivered: Path, name: str
) -> None:
    timeline = otio.adapters.read_from_file(str(delivered / name))
    clips = list(timeline.find_clips())
    assert [c.name for c in clips] == ["s0", "s1", "s2"]
    # Record length: 13 + 13 + 16 frames, whatever the format's layout of the dissolve.
    assert timeline.duration().to_frames() == 13 + 13 + 16
    if not name.endswith(".edl"):  # CMX 3600 names the file in a comment only
        url = clips[1].media_reference.target_url
        assert url == "s1.mp4" and (delivered / url).is_file()


def test_the_programme_lasts_as_its_timeline_and_meets_the_loudness_target(
    delivered: Path,
) -> None:
    timeline = otio.adapters.read_from_file(str(delivered / "programme.otio"))
    seconds = timeline.duration().to_seconds()
    info = probe(delivered / "programme.mp4")
    video = info.first_video
    assert video.frame_count == timeline.duration().to_frames()
    assert (video.width, video.height, video.codec) == (1920, 1080, "h264")
    track = read_audio(delivered / "programme.mp4")
    assert abs(track.duration_s - seconds) < 1 / 24 + 0.025  # a frame, plus AAC's priming
    target = lookup("web")
    measured = pyloudnorm.Meter(track.rate).integrated_loudness(track.samples.astype("float64"))
    assert abs(measured - target.integrated_lufs) <= target.tolerance_lu


BAD = {
    "a slot naming a missing shot": (
        "edit:\n  slots:\n    - {shot: s0}\n    - {shot: s9}\n",
        "names no shot",
    ),
    "a take that is no shot": (
        "edit:\n  slots:\n    - {shot: s0, take: s7}\n",
        "which is no shot",
    ),
    "trims outside the clip": (
        "edit:\n  slots:\n    - {shot: s0, in: 4, out: 40}\n",
        "lie outside take s0",
    ),
    "a dissolve longer than a clip": (
        "edit:\n  slots:\n    - {shot: s0, out: 7}\n    - {shot: s1, in: 2, out: 5,"
        " transition: {dissolve: 6}}\n",
        "longer than a clip",
    ),
}


@pytest.fixture(scope="module")
def unedited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _project(tmp_path_factory.mktemp("bad") / "proj", "")


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_edit_is_refused_with_nothing_written(
    unedited: Path, tmp_path: Path, case: str
) -> None:
    edit, expected = BAD[case]
    root = Path(shutil.copytree(unedited, tmp_path / "proj"))
    (root / "brief.yaml").write_text((root / "brief.yaml").read_text() + edit)
    result = reelgraph("run", "-p", str(root))
    assert result.returncode != 0
    assert "error:" in result.stderr and expected in result.stderr, result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.stderr
    assert not (root / "deliverables").exists()
    artifacts = root / ".reelgraph" / "artifacts"
    assert not artifacts.exists() or not any(artifacts.iterdir())


def test_a_held_take_holds_the_programme(delivered: Path, tmp_path: Path) -> None:
    """With approval required and no shot approved, every shot is held — and so is the
    programme made of them, though an earlier delivery shipped them; nothing is lost."""
    root = Path(shutil.copytree(delivered.parent, tmp_path / "proj"))
    brief = root / "brief.yaml"
    brief.write_text(
        brief.read_text().replace("{require_approval: false}", "{require_approval: true}")
    )
    result = reelgraph("deliver", "-p", str(root), "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["delivered"] == []
    assert "is not delivered" in document["held"]["programme"]
    assert (root / "deliverables" / "programme.edl").read_text() == (
        delivered / "programme.edl"
    ).read_text()


def test_a_one_shot_cut_delivers_the_shot_master_as_the_programme(tmp_path: Path) -> None:
    """A cut that is one whole take with no transition is not encoded a second time: the
    programme is the shot master's bytes, and its timelines still point at that master."""
    root = tmp_path / "proj"
    reelgraph("init", str(root), check=True)
    make_project(root, clips=1, frames=FRAMES)
    result = reelgraph("run", "-p", str(root), "--quiet")
    assert result.returncode == 0, result.stderr
    delivered = root / "deliverables"
    assert (delivered / "programme.mp4").read_bytes() == (delivered / "s0.mp4").read_bytes()
    timeline = otio.adapters.read_from_file(str(delivered / "programme.otio"))
    [clip] = list(timeline.find_clips())
    assert clip.media_reference.target_url.endswith("s0.mp4")
    # One file, one check: the programme's QC is the shot master's, run once in this run
    # and reused (its findings hold the programme as they hold the shot).
    store = open_project(root).store
    run_id = store.last_run_id()
    assert run_id is not None
    shot_qc, programme_qc = store.node(run_id, "s0/qc"), store.node(run_id, "programme/qc")
    assert shot_qc is not None and programme_qc is not None
    assert programme_qc.key == shot_qc.key
    assert sorted([shot_qc.outcome, programme_qc.outcome]) == ["cached", "ran"]
    # ... and it is estimated as the link it is, not as an encode of the take.
    master = store.node(run_id, "s0/master")
    programme = store.node(run_id, "programme/master")
    assert master is not None and programme is not None
    assert programme.estimate_usd < master.estimate_usd / 100
    executed = store.ledger_totals(run_id)
    assert "s0/qc" in executed or "programme/qc" in executed
    assert not ("s0/qc" in executed and "programme/qc" in executed)
