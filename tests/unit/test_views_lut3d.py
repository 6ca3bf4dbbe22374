"""The ``lut3d`` picture operation of views: a grade's 33³ LUT travels with every view over
it (linked beside the view, named by its SHA-256) and is applied when the picture is read,
exactly as :func:`reelgraph.colour.lut.apply` applies it; a LUT that is not the one named
is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reelgraph.agents._io import VIEW_FILE, frames, view_over, write_view
from reelgraph.algorithms.colour.asc_cdl import CDL, apply_cdl
from reelgraph.colour import lut
from reelgraph.errors import MediaError
from reelgraph.media.video import VideoReader
from reelgraph.orchestrator.agent import Input
from restore_clips import noisy_frames, write_clip

#: A cross-channel colour change no CDL can make.
MATRIX = np.array([[0.8, 0.2, 0.0], [0.1, 0.8, 0.1], [0.0, 0.3, 0.7]], np.float32)


def _view(folder: Path) -> Input:
    return Input(folder.name, folder, {"file": VIEW_FILE, "frames": 4})


@pytest.fixture
def graded(tmp_path: Path) -> tuple[Path, Path]:
    """A clip, and a folder holding a view of it through a LUT (as a grade writes it)."""
    clip = tmp_path / "cam.mkv"
    write_clip(clip, noisy_frames(4, 64, 48), "ffv1-rgb16")
    grade = tmp_path / "grade"
    grade.mkdir()
    lut.write_cube(grade / "look.cube", lut.bake(lambda x: np.clip(x @ MATRIX.T, 0, 1)), "t")
    op = {"op": "lut3d", "file": "look.cube", "sha256": lut.sha256(grade / "look.cube")}
    source = Input("cam", clip, {"file": clip.name, "frames": 4})
    write_view(grade, view_over(source, grade), op)
    return clip, grade


def test_a_view_applies_its_lut_and_a_view_over_it_carries_the_lut(
    graded: tuple[Path, Path], tmp_path: Path
) -> None:
    clip, grade = graded
    decoded = [np.clip(f.rgb, 0, 1) for f in VideoReader(clip)]
    table = lut.read_cube(grade / "look.cube")
    expected = [lut.apply(f, table) for f in decoded]
    ours = [f.rgb for f in frames(_view(grade))]
    np.testing.assert_allclose(ours, expected, atol=1e-6)
    assert np.abs(ours[0] - decoded[0]).mean() > 0.01  # the LUT did change the picture
    # A later step's view over the graded view: the LUT is linked beside it, then its CDL.
    later = tmp_path / "later"
    later.mkdir()
    cdl = CDL(slope=(1.1, 1.0, 0.9))
    write_view(later, view_over(_view(grade), later), {"op": "cdl", **cdl.to_dict()})
    assert (later / "look.cube").read_bytes() == (grade / "look.cube").read_bytes()
    ops = json.loads((later / VIEW_FILE).read_text())["ops"]
    assert [op["op"] for op in ops] == ["lut3d", "cdl"]
    chained = [f.rgb for f in frames(_view(later))]
    np.testing.assert_allclose(
        chained, [np.clip(apply_cdl(e, cdl), 0, 1) for e in expected], atol=1e-5
    )


def test_a_lut_that_is_not_the_one_named_is_refused(graded: tuple[Path, Path]) -> None:
    _, grade = graded
    damaged = grade / "look.cube"
    text = damaged.read_text().replace("0.", "0.9", 1)
    damaged.unlink()  # a new file, not the bytes a cached reader may hold
    damaged.write_text(text)
    with pytest.raises(MediaError, match="not the one it names"):
        next(frames(_view(grade)))
