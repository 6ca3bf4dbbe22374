"""The programme's timelines as an editor receives them: programme.otio, .edl (CMX 3600 with
the grade's ASC CDL) and .fcpxml, read back by OpenTimelineIO with one clip per shot in
order, named by shot id, pointing at the delivered masters, with their ranges; QC findings
as markers; what a format cannot carry listed; nothing half-written when a check fails."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from reelgraph.algorithms.colour.asc_cdl import CDL
from reelgraph.deliver import timelines
from reelgraph.deliver.timelines import TimelineClip, commit, programme_timeline, write_timelines
from reelgraph.errors import ProjectError

SUNSET = CDL(slope=(1.1, 1.0, 0.86), offset=(0.02, 0.0, -0.02), saturation=1.1)


def _timeline(folder: Path) -> otio.schema.Timeline:
    clips = [
        TimelineClip("sh010", "sh010", 0, 19, 0, folder / "sh010.mp4", 24, SUNSET, ("#1",)),
        TimelineClip("sh020", "sh020b", 4, 19, 8, folder / "sh020b.mp4", 24, CDL()),
        TimelineClip("sh030", "sh030", 0, 23, 0, folder / "sh030.mp4", 24, CDL()),
    ]
    findings = [
        {"check": "flash", "severity": "fail", "start_frame": 25, "end_frame": 27,
         "message": "flash of 3 frames"},
        {"check": "loudness", "severity": "warning", "start_frame": None, "end_frame": None,
         "message": "programme loudness"},
    ]  # fmt: skip
    return programme_timeline("demo", clips, Fraction(24), findings)


# (name, first source frame, frames) of each clip; CMX 3600 starts a dissolve at its cut,
# so there the dissolve's first 4 frames belong to the incoming clip (same frames on screen).
EXPECTED = [("sh010", 0, 20), ("sh020b", 4, 16), ("sh030", 0, 24)]
EXPECTED_CMX = [("sh010", 0, 16), ("sh020b", 0, 20), ("sh030", 0, 24)]


def test_each_format_reads_back_with_the_cut(tmp_path: Path) -> None:
    lost = write_timelines(_timeline(tmp_path), tmp_path)
    written = commit(lost)
    assert sorted(p.name for p in written) == [
        "programme.edl",
        "programme.fcpxml",
        "programme.otio",
    ]
    for path in written:
        read = otio.adapters.read_from_file(str(path))
        clips = list(read.find_clips())
        got = [
            (c.name, c.source_range.start_time.to_frames(), c.source_range.duration.to_frames())
            for c in clips
        ]
        assert got == (EXPECTED_CMX if path.suffix == ".edl" else EXPECTED), path.name
        # The last clip starts at record frame 36 and the cut lasts 60 frames in every one.
        assert read.tracks[0].range_of_child(clips[-1]).start_time.to_frames() == 36
        assert read.duration().to_frames() == 60, path.name
        if path.suffix != ".edl":  # CMX 3600 carries the file name in a comment only
            assert clips[0].media_reference.target_url == "sh010.mp4"  # beside the timeline
    otio_file = otio.adapters.read_from_file(str(tmp_path / "programme.otio"))
    first = next(iter(otio_file.find_clips()))
    assert first.metadata["cdl"]["asc_sat"] == pytest.approx(1.1)
    assert first.metadata["reelgraph"]["slot"] == "sh010"
    transitions = list(otio_file.find_children(descended_from_type=otio.schema.Transition))
    assert [(t.in_offset.to_frames(), t.out_offset.to_frames()) for t in transitions] == [(4, 4)]
    markers = [m for c in otio_file.find_clips() for m in c.markers]
    assert len(markers) == 2 and markers[1].color == otio.schema.MarkerColor.RED
    # The flash at programme frames 25–27 lies in the second clip (from 20): its frames 9–11.
    assert markers[1].marked_range.start_time.to_frames() == 9
    assert markers[1].marked_range.duration.to_frames() == 3


def test_the_edl_carries_the_grade_as_asc_cdl_and_the_findings_as_locators(
    tmp_path: Path,
) -> None:
    commit(write_timelines(_timeline(tmp_path), tmp_path))
    edl = (tmp_path / "programme.edl").read_text()
    assert "*ASC_SOP (1.1 1.0 0.86) (0.02 0.0 -0.02) (1.0 1.0 1.0)" in edl
    assert "*ASC_SAT 1.1" in edl
    assert "* LOC: 00:00:00:09 RED" in edl
    read = otio.adapters.read_from_file(str(tmp_path / "programme.edl"))
    first = next(iter(read.find_clips()))
    assert first.metadata["cdl"]["asc_sop"]["slope"] == pytest.approx([1.1, 1.0, 0.86])


def test_what_a_format_cannot_carry_is_listed(tmp_path: Path) -> None:
    lost = {Path(k).name: v for k, v in write_timelines(_timeline(tmp_path), tmp_path).items()}
    assert lost[".programme.otio.tmp"] == []
    assert "the length of QC findings (markers are single frames)" in lost[".programme.edl.tmp"]
    fcpxml = lost[".programme.fcpxml.tmp"]
    assert "the grade's ASC CDL per clip" in fcpxml
    assert any(line.startswith("dissolves") for line in fcpxml)


def test_a_timeline_that_does_not_read_back_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = timelines.compare

    def fcpxml_breaks(written: otio.schema.Timeline, read: otio.schema.Timeline, file: str):  # type: ignore[no-untyped-def]
        if file.endswith(".fcpxml"):
            read.tracks[0].pop()  # as if the adapter dropped the last clip
        return real(written, read, file)

    monkeypatch.setattr(timelines, "compare", fcpxml_breaks)
    with pytest.raises(ProjectError) as caught:
        write_timelines(_timeline(tmp_path), tmp_path)
    assert "2 clips where the cut has 3" in caught.value.message and caught.value.hint
    assert list(tmp_path.iterdir()) == []
