"""SDR→HDR as the project runs it: mapped, measured and stored in one pass, so the shot
master and the programme read the HDR picture instead of mapping it again — the same
picture (to the stored half-float sample) and the same HDR10 light levels as the view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelgraph.agents._io import frames, is_view
from reelgraph.agents.restore import SdrToHdr as SdrToHdrView
from reelgraph.agents.sdr_to_hdr import SdrToHdr
from reelgraph.errors import AgentError
from reelgraph.media.exr import sequence_file
from reelgraph.orchestrator.agent import Input, NodeContext
from reelgraph.orchestrator.registry import Registry
from restore_clips import intermediate


def _run(agent: SdrToHdr | SdrToHdrView, folder: Path, item: Input, **params: object) -> Input:
    folder.mkdir(parents=True)
    made = type(agent).make_params(dict(params))
    out = agent.run(NodeContext(folder.name, [item], made, {}, folder, 7))
    return Input(f"key-{folder.name}", folder, out.meta)


@pytest.fixture(scope="module")
def ramp(tmp_path_factory: pytest.TempPathFactory) -> Input:
    """3 frames: a grey-to-colour ramp with a peak-white square, changing per frame."""
    base = np.dstack([np.tile(np.linspace(0.02, 0.9, 64, dtype=np.float32), (40, 1))] * 3)
    base[..., 2] *= 0.7
    shots = []
    for n in range(3):
        frame = base * (0.8 + 0.1 * n)
        frame[6:18, 6:18] = 1.0
        shots.append(frame.astype(np.float32))
    return intermediate(tmp_path_factory.mktemp("ramp") / "conform", shots)


@pytest.mark.parametrize("transfer", ["pq", "hlg"])
def test_stored_hdr_picture_is_the_views_picture_and_light(
    ramp: Input, tmp_path: Path, transfer: str
) -> None:
    stored = _run(SdrToHdr(), tmp_path / "stored", ramp, transfer=transfer)
    view = _run(SdrToHdrView(), tmp_path / "view", ramp, transfer=transfer)
    assert not is_view(stored) and stored.meta["sequence"]
    assert (tmp_path / "stored" / sequence_file(stored.meta["sequence"], 2)).is_file()
    assert stored.meta["colour"] == view.meta["colour"]
    got = [f.rgb for f in frames(stored)]
    want = [f.rgb for f in frames(view)]
    assert len(got) == len(want) == 3
    for a, b in zip(got, want, strict=True):
        # What a view's reader maps, rounded once to the intermediate's half float.
        np.testing.assert_array_equal(a, b.astype(np.float16).astype(np.float32))
    if transfer == "pq":
        assert stored.meta["max_cll"] == 203  # SDR peak white at BT.2408's 203 cd/m²
    for level in ("max_cll", "max_fall"):
        assert abs(stored.meta[level] - view.meta[level]) <= 1


def test_the_project_runs_the_stored_mapping_and_refuses_hdr_input(
    ramp: Input, tmp_path: Path
) -> None:
    assert Registry().get("sdr_to_hdr") is SdrToHdr
    pq = _run(SdrToHdr(), tmp_path / "pq", ramp)
    with pytest.raises(AgentError, match="already HDR"):
        _run(SdrToHdr(), tmp_path / "again", pq)
