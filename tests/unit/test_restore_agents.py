"""The restoration agents on real (small) files: analyse_plate, restore, sdr_to_hdr, and the
master's HDR10 and EXR outputs; the planning rules and their explanations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from reelgraph.agents._io import frames, is_view, read_view
from reelgraph.agents.master import Master
from reelgraph.agents.restore import (
    MAX_RADIUS,
    AnalysePlate,
    FlickerComparison,
    JoinChunks,
    Restore,
    SdrToHdr,
)
from reelgraph.errors import AgentError, PlanError
from reelgraph.media.exr import read_exr, write_exr
from reelgraph.media.hdr import read_hdr10_metadata
from reelgraph.media.probe import probe
from reelgraph.orchestrator.agent import Agent, Input, NodeContext, Output
from reelgraph.orchestrator.registry import Registry
from reelgraph.plan.restoration import CHUNK_FRAMES, Target, decide_restore
from reelgraph.plan.rules import ShotContext
from reelgraph.plan.rules import restore as rules
from reelgraph.project.brief import Brief
from reelgraph.qc.profiles import get_profile
from reelgraph.specs.delivery import get_spec
from restore_clips import NOISE, clean_frames, intermediate, noisy_frames


def run_agent(
    agent: Agent,
    folder: Path,
    inputs: list[Input],
    params: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
) -> tuple[Output, Input]:
    folder.mkdir(parents=True)
    made = type(agent).make_params(params or {})
    out = agent.run(NodeContext(folder.name, inputs, made, variables or {}, folder, 7))
    return out, Input(f"key-{folder.name}", folder, out.meta)


def read_all(item: Input) -> list[np.ndarray]:
    return [frame.rgb for frame in frames(item)]


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Input:
    """12 frames, 96×64, of a panned photograph with white noise σ 6/255 (8-bit)."""
    return intermediate(tmp_path_factory.mktemp("noisy") / "conform", noisy_frames(12))


def test_analyse_plate_documents_the_plate(noisy: Input, tmp_path: Path) -> None:
    out, _ = run_agent(AnalysePlate(), tmp_path / "plate", [noisy], {"bit_depth": 8})
    assert out.meta == {"kind": "analysis", "file": "analysis.json", "analysis_kind": "plate"}
    doc = json.loads((tmp_path / "plate" / "analysis.json").read_text())
    assert doc["schema"] == "reelgraph.PlateAnalysis.1"
    # Uncompressed white noise: the estimator recovers its sigma (the photo adds a little).
    assert doc["noise_sigma_luma_255"] == pytest.approx(NOISE * 255, rel=0.25)
    assert len(doc["noise_sigma"]) == 3 and doc["frame_count"] == 8
    assert doc["source_bit_depth"] == 8 and doc["effective_bit_depth"] == 8
    assert (doc["primaries"], doc["transfer"]) == ("bt709", "bt709")
    assert doc["looks_generated_8bit"] is False  # noisy, so not "generated-clean"
    assert "noise σ" in doc["summary"] and "looks generated: no" in doc["summary"]
    assert doc["banding_cambi"] >= 0.0
    from test_docs_schemas import assert_matches

    assert_matches("reelgraph.PlateAnalysis.1", doc)


def test_restore_lowers_noise_upscales_and_adds_no_flicker(noisy: Input, tmp_path: Path) -> None:
    params = {"denoise_sigma": 6.0, "upscale": 2}
    out, item = run_agent(Restore(), tmp_path / "restore", [noisy], params)
    assert (out.meta["width"], out.meta["height"], out.meta["frames"]) == (192, 128, 12)
    assert out.meta["colour"]["primaries"] == "bt709"
    m = out.metrics
    assert m["noise_out_255"] < 0.5 * m["noise_in_255"]
    # QC's own flicker measure: restoration added nothing it would see.
    assert m["flicker_global_added"] == m["flicker_local_added"] == 0.0
    assert m["flicker_local_max"] <= max(m["flicker_local_source"], 0.02)
    assert {"seconds_flow", "seconds_denoise", "seconds_upscale"} <= set(m)
    restored = read_all(item)
    assert len(restored) == 12 and restored[0].shape == (128, 192, 3)
    # Closer to the clean pan than the noisy input is (both compared at the source size).
    import cv2

    clean = clean_frames(12)
    small = [cv2.resize(f, (96, 64), interpolation=cv2.INTER_AREA) for f in restored]
    error_in = np.mean([np.mean((a - b) ** 2) for a, b in zip(read_all(noisy), clean, strict=True)])
    error_out = np.mean([np.mean((a - b) ** 2) for a, b in zip(small, clean, strict=True)])
    assert error_out < 0.5 * error_in


def test_chunked_restore_equals_the_whole_shot(noisy: Input, tmp_path: Path) -> None:
    """Two chunk nodes (frames 0–4 and 5–11, each reading 2 frames of context) give exactly
    the frames of one whole-shot node — grain included, which is seeded per frame from
    the input, not from the node."""
    params = {"deblock_qp": 30, "denoise_sigma": 6.0, "upscale": 2, "deband": True}
    params["grain"] = "match"
    _, whole = run_agent(Restore(), tmp_path / "whole", [noisy], params)
    _, first = run_agent(Restore(), tmp_path / "a", [noisy], {**params, "stop": 5})
    out, second = run_agent(Restore(), tmp_path / "b", [noisy], {**params, "start": 5})
    assert out.meta["frames"] == 7 and out.metrics["grain_sigma_255"] > 1.0
    # The join is a view over both chunks: nothing re-encoded, the same frames.
    meta, joined = run_agent(JoinChunks(), tmp_path / "joined", [first, second])
    assert is_view(joined) and meta.meta["frames"] == 12
    chunks = read_all(joined)
    reference = read_all(whole)
    assert len(chunks) == len(reference) == 12
    assert max(float(np.abs(a - b).max()) for a, b in zip(chunks, reference, strict=True)) == 0.0
    assert [f.rgb.shape for f in frames(joined, start=4, stop=7)] == [reference[0].shape] * 3


def test_long_shots_are_restored_in_parallel_chunks_and_joined() -> None:
    long_shot = shot("web-sdr", PLATE, frames=150)
    steps = rules.picture_steps(long_shot, "sh1/conform")
    assert [n.agent for n in steps] == ["restore", "restore", "restore", "join_chunks"]
    spans = [(n.params["start"], n.params["stop"]) for n in steps[:3]]
    assert spans == [(0, 50), (50, 100), (100, 150)]
    assert all(n.params["denoise_sigma"] == steps[0].params["denoise_sigma"] for n in steps[:3])
    assert steps[3].id == "sh1/restore" and steps[3].inputs == tuple(n.id for n in steps[:3])
    (single,) = rules.picture_steps(shot("web-sdr", PLATE, frames=CHUNK_FRAMES), "sh1/conform")
    assert "start" not in single.params


def test_grain_scene_variable_overrides_the_parameter(noisy: Input, tmp_path: Path) -> None:
    assert Restore.reads == ("grain",)
    params = {"denoise_sigma": 6.0, "grain": "match"}
    out, _ = run_agent(Restore(), tmp_path / "off", [noisy], params, {"grain": "off"})
    assert out.meta["restore"]["grain"] == "off" and out.metrics["grain_sigma_255"] == 0.0
    with pytest.raises(AgentError, match="grain"):
        run_agent(Restore(), tmp_path / "bad", [noisy], params, {"grain": "lots"})


def test_measure_mode_decides_from_the_picture(noisy: Input, tmp_path: Path) -> None:
    out, _ = run_agent(Restore(), tmp_path / "measure", [noisy], {"measure": True})
    applied = out.meta["restore"]
    assert applied["denoise_sigma"] > 3.0  # σ 6/255 white noise, measured
    assert any(line.startswith("denoise:") for line in applied["decisions"])


def test_propose_strengthens_the_temporal_filter() -> None:
    params = Restore.make_params({"denoise_sigma": 2.0})
    stronger = Restore().propose(params, {"flicker_global_added": 0.01}, [])
    assert (stronger.radius, stronger.denoise_sigma) == (3, 3.0)
    assert Restore().propose(Restore.make_params({"radius": MAX_RADIUS}), {}, []) is None
    objectives = {o.metric: (o.kind, o.target) for o in Restore.objectives}
    assert objectives == {
        "flicker_global_added": ("at_most", 0.0),
        "flicker_local_added": ("at_most", 0.0),
    }


def test_flicker_objective_is_the_qc_measure_beyond_source_and_limit(rng) -> None:
    """A restored picture that pumps where the source is steady breaks the objective by
    what the delivery QC's flicker check (same algorithm, same limit) would measure."""
    limit = get_profile("web-sdr").objectives()["flicker_global_max"].target
    texture = cv2.GaussianBlur(rng.random((72, 96)).astype(np.float32), (0, 0), 2) * 0.5 + 0.25
    steady = np.repeat(texture[..., None], 3, axis=2)
    pumping, calm = FlickerComparison(), FlickerComparison()
    for k in range(8):
        pumping.push(steady, np.clip(steady + 0.03 * (k % 2), 0, 1))
        calm.push(steady, steady)
    m = pumping.metrics()
    assert m["flicker_global_max"] == pytest.approx(0.03, abs=0.004)
    assert m["flicker_global_added"] == pytest.approx(m["flicker_global_max"] - limit)
    assert calm.metrics()["flicker_global_added"] == 0.0


def test_restore_parameters_are_validated() -> None:
    for bad in ({"upscale": 3}, {"grain": "lots"}, {"upscaler": "magic"}, {"start": 4, "stop": 2}):
        with pytest.raises(PlanError):
            Restore.make_params(bad)


def test_one_frame_and_short_clips_restore(tmp_path: Path) -> None:
    for count in (1, 3):
        item = intermediate(tmp_path / f"in{count}", noisy_frames(count))
        out, restored = run_agent(
            Restore(), tmp_path / f"out{count}", [item], {"denoise_sigma": 6.0, "upscale": 2}
        )
        assert out.meta["frames"] == count and len(read_all(restored)) == count
        if count == 1:
            assert "flicker_global_max" not in out.metrics  # no frame pair to measure
            assert out.metrics["flicker_global_added"] == 0.0


@pytest.fixture(scope="module")
def white(tmp_path_factory: pytest.TempPathFactory) -> Input:
    """4 frames: a grey ramp with a peak-white square."""
    frame = np.dstack([np.tile(np.linspace(0.05, 0.8, 64, dtype=np.float32), (48, 1))] * 3)
    frame[8:24, 8:24] = 1.0
    return intermediate(tmp_path_factory.mktemp("white") / "conform", [frame] * 4)


def test_sdr_to_hdr_pq_maps_white_to_203_and_measures_light(white: Input, tmp_path: Path) -> None:
    out, item = run_agent(SdrToHdr(), tmp_path / "pq", [white])
    assert out.meta["colour"]["primaries"] == "bt2020"
    assert out.meta["colour"]["transfer"] == "smpte2084"
    assert out.meta["max_cll"] == 203 and 0 < out.meta["max_fall"] < 203
    # A view: the mapping is applied by the reader, no intermediate is encoded.
    assert is_view(item) and [op["op"] for op in read_view(item).ops] == ["itm"]
    peak = read_all(item)[0][12, 12]
    assert peak == pytest.approx(0.5807, abs=2e-4)  # BT.2408 Table 1: 58 % PQ


def test_sdr_to_hdr_hlg_and_refusing_hdr_input(white: Input, tmp_path: Path) -> None:
    out, item = run_agent(SdrToHdr(), tmp_path / "hlg", [white], {"transfer": "hlg"})
    assert out.meta["colour"]["transfer"] == "arib-std-b67"
    assert read_all(item)[0][12, 12] == pytest.approx(0.75, abs=2e-3)  # BT.2408: 75 % HLG
    with pytest.raises(AgentError, match="already HDR"):
        run_agent(SdrToHdr(), tmp_path / "again", [item])


def test_master_hdr10_carries_mastering_display_and_light_levels(
    white: Input, tmp_path: Path
) -> None:
    _, pq = run_agent(SdrToHdr(), tmp_path / "pq", [white], {"peak_luminance": 1000.0})
    out, item = run_agent(Master(), tmp_path / "m", [pq], {"preset": "hevc-hdr10"})
    video = probe(item.file()).first_video
    assert (video.codec, video.bit_depth, video.pixel_format) == ("hevc", 10, "yuv420p10le")
    assert (video.colour.primaries, video.colour.transfer, video.colour.matrix) == (
        "bt2020",
        "smpte2084",
        "bt2020nc",
    )
    hdr10 = read_hdr10_metadata(item.file())
    assert hdr10 is not None and out.meta["hdr10"]["max_cll"] == 203
    assert (hdr10.max_cll, hdr10.max_fall) == (203, out.meta["hdr10"]["max_fall"])
    assert hdr10.max_luminance == 1000.0 and hdr10.min_luminance == pytest.approx(0.005)
    assert hdr10.primaries == ((0.708, 0.292), (0.17, 0.797), (0.131, 0.046))


def test_master_exr_from_pq_keeps_highlights_above_one(white: Input, tmp_path: Path) -> None:
    expanded = {"sdr_reference_white": 0.9, "peak_luminance": 1000.0}
    _, pq = run_agent(SdrToHdr(), tmp_path / "pq", [white], expanded)
    params = {"preset": "exr", "exr_pixel_type": "float", "name": "plate"}
    out, _ = run_agent(Master(), tmp_path / "exr", [pq], params)
    rgb, chroma = read_exr(tmp_path / "exr" / out.meta["files"][0])
    assert chroma == pytest.approx((0.708, 0.292, 0.17, 0.797, 0.131, 0.046, 0.3127, 0.329))
    # SDR peak → 1000 cd/m² = 1000/203 of diffuse white, kept in float (4.93, not 1.0).
    assert float(rgb.max()) == pytest.approx(1000 / 203, rel=2e-3)


def test_float_exr_keeps_four_as_four(tmp_path: Path) -> None:
    write_exr(tmp_path / "four.exr", np.full((4, 4, 3), 4.0, np.float32), pixel_type="float")
    rgb, _ = read_exr(tmp_path / "four.exr")
    assert float(rgb.min()) == float(rgb.max()) == 4.0


def test_master_refuses_hdr_pictures_for_sdr_presets(white: Input, tmp_path: Path) -> None:
    _, pq = run_agent(SdrToHdr(), tmp_path / "pq", [white])
    with pytest.raises(AgentError, match="smpte2084"):
        run_agent(Master(), tmp_path / "h264", [pq], {"preset": "h264"})


# -- planning rules ------------------------------------------------------------------------

PLATE = {
    "width": 640,
    "height": 360,
    "noise_sigma": [3.1 / 255, 2.9 / 255, 3.3 / 255],
    "noise_sigma_luma": 3.05 / 255,
    "blockiness": 1.30,
    "block_size": 8,
    "block_offset": [0, 4],
    "banding": 3.0,
    "effective_resolution": 0.7,
    "lattice_8bit": 1.0,
}


def shot(
    spec: str,
    analysis: dict[str, Any] | None,
    variables: dict[str, Any] | None = None,
    frames: int = 36,
) -> ShotContext:
    brief = Brief.model_validate(
        {
            "schema": "reelgraph.Brief.1",
            "project": "rules",
            "delivery": spec,
            "sources": [{"id": "a", "path": "a.mp4"}],
            "scenes": [{"id": "s", "shots": [{"id": "sh1", "source": "a"}]}],
        }
    )
    return ShotContext(
        registry=Registry(),
        brief=brief,
        spec=get_spec(spec),
        scene="s",
        variables=variables or {},
        shot="sh1",
        source="a",
        first=0,
        last=frames - 1,
        source_meta={"width": 640, "height": 360, "bit_depth": 8},
        analysis={"plate": analysis} if analysis else {},
    )


def test_rules_explain_every_decision_with_its_figures() -> None:
    (node,) = rules.picture_steps(shot("web-sdr", PLATE), "sh1/conform")
    assert node.agent == "restore" and node.inputs == ("sh1/conform",)
    assert node.params == {
        "deblock_qp": 30,
        "block_size": 8,
        "block_offset_x": 0,
        "block_offset_y": 4,
        "denoise_sigma": 6.1,
        "upscale": 2,
    }
    text = node.explanation
    assert "blockiness 1.30 on a 8 px grid" in text and "qp 30" in text
    assert "σ≈3.05/255 on luma" in text and "×2 for an 8-bit compressed source" in text
    assert "upscale ×2: source 640×360, web-sdr 1920×1080 (×3.00)" in text
    assert "Lanczos fit ×1.50" in text
    assert "no debanding: banding 3.0 (CAMBI, the delivery QC's score), below 5" in text
    assert "grain: not re-applied for web-sdr" in text and "s.grain=match" in text
    assert rules.display_steps(shot("web-sdr", PLATE), "sh1/grade") == []


def test_rules_for_hdr_plates_and_scene_grain() -> None:
    ctx = shot("streaming-hdr", PLATE, {"grain": "heavy"})
    (node,) = rules.picture_steps(ctx, "sh1/conform")
    assert node.params["upscale"] == 2 and node.params["deband"] is True  # ×6: ×2, then Lanczos
    assert node.params["grain"] == "heavy" and node.variables == {"grain": "heavy"}
    assert "going to 10-bit" in node.explanation
    (hdr,) = rules.display_steps(ctx, "sh1/grade")
    assert (hdr.agent, hdr.params, hdr.inputs) == (
        "sdr_to_hdr",
        {"transfer": "pq", "method": "bt2408"},
        ("sh1/grade",),
    )
    assert "203 cd/m²" in hdr.explanation
    (plates,) = rules.picture_steps(shot("vfx-plates", PLATE), "sh1/conform")
    assert "upscale" not in plates.params and plates.params["grain"] == "match"
    assert "keeps the source's size (640×360)" in plates.explanation


def test_rules_without_analysis_measure_when_running() -> None:
    (node,) = rules.picture_steps(shot("web-sdr", None), "sh1/conform")
    assert node.params == {"measure": True, "upscale": 2}
    assert "not analysed yet" in node.explanation
    (analysis,) = rules.analysis_steps(shot("web-sdr", None), "sh1/conform", None)
    assert (analysis.agent, analysis.params) == ("analyse_plate", {"bit_depth": 8})


def test_clean_plate_gets_no_deblock_denoise_or_deband() -> None:
    clean = {**PLATE, "blockiness": 1.02, "noise_sigma_luma": 0.1 / 255, "banding": 0.0}
    decision = decide_restore(clean, Target("web-sdr", 640, 360, 8))
    assert decision.params == {}
    assert [r.split(":")[0] for r in decision.reasons] == [
        "no deblocking",
        "no denoising",
        "no upscale",
        "no debanding",
        "grain",
    ]


def test_deband_on_the_qc_scale_and_for_deeper_outputs() -> None:
    """Banding the delivery QC would flag (CAMBI ≥ 5) is debanded for any output; milder
    banding only when an 8-bit source is headed for 10 bits or more."""
    flagged = {**PLATE, "banding": 8.7}
    decision = decide_restore(flagged, Target("web-sdr", 1920, 1080, 8))
    assert decision.params["deband"] is True and "banding 8.7 (CAMBI" in decision.explanation()
    mild = {**PLATE, "banding": 3.0}
    assert "deband" not in decide_restore(mild, Target("web-sdr", 1920, 1080, 8)).params
    deep = decide_restore(mild, Target("broadcast-ebu", 1920, 1080, 10))
    assert deep.params["deband"] is True and "going to 10-bit" in deep.explanation()
