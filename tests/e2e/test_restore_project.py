"""Restoration in a project: analysed, planned from the analysis with explanations, cached
on a re-run, and re-rendered for one scene when its `grain` variable changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import make_project
from reelgraph.cli.main import main


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Any]:
    """Run a reelgraph command in this process (inline executor: no worker start-up);
    returns its parsed JSON output when it printed some."""

    def call(*args: str) -> Any:
        capsys.readouterr()
        assert main(list(args)) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        return json.loads(out) if out.strip() else None

    return call


def test_restoration_is_planned_cached_and_follows_the_grain_variable(
    tmp_path: Path, cli: Any
) -> None:
    root = str(tmp_path / "proj")
    cli("init", root)
    make_project(Path(root), clips=1, frames=12, size=(160, 90))
    cli("run", "-p", root, "-q", "--executor", "inline")

    analysis = cli("analyse", "-p", root, "--json", "--executor", "inline")
    plate = analysis["shots"]["s0"]["plate"]
    assert plate["schema"] == "reelgraph.PlateAnalysis.1" and plate["width"] == 160
    plan = cli("plan", "-p", root, "--json")
    nodes = {n["id"]: n for n in plan["nodes"]}
    restore = nodes["s0/restore"]
    assert restore["cached"] and "measure" not in restore["params"]
    assert restore["params"]["upscale"] == 2 and restore["params"]["denoise_sigma"] > 1
    # Restoration stops at ×2, whatever the ratio; the master's Lanczos fit does the rest.
    assert (
        "upscale ×2: source 160×90, web-sdr 1920×1080 (×12.00), then the master's Lanczos "
        "fit ×6.00 (super-resolution recovers about one octave" in restore["explanation"]
    )
    assert "denoise: σ≈" in restore["explanation"]
    assert nodes["s0/grade"]["inputs"] == ["s0/restore"]
    assert nodes["s0/restore"]["inputs"] == ["s0/conform"]

    # A second run renders nothing.
    status = cli("run", "-p", root, "--json", "--executor", "inline")
    assert status["totals"]["ran"] == 0 and status["totals"]["failed"] == 0

    # The scene's grain variable re-renders its restoration and what follows, nothing before.
    cli("set", "-p", root, "one.grain=match")
    status = cli("run", "-p", root, "--json", "--executor", "inline")
    ran = {n["id"] for n in status["nodes"] if n["outcome"] == "ran"}
    assert {"s0/restore", "s0/grade", "s0/master"} <= ran
    assert not ran & {"s0/conform", "s0/analyse_plate", "s0/audio"}
    restore = next(n for n in status["nodes"] if n["id"] == "s0/restore")
    manifest = json.loads((Path(root) / ".reelgraph" / "artifacts" / restore["key"][:2] /
                           restore["key"] / "manifest.json").read_text())  # fmt: skip
    assert manifest["variables"] == {"grain": "match"}
    assert manifest["output"]["restore"]["grain"] == "match"


def test_hdr_delivery_plans_sdr_to_hdr_after_the_grade(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "hdr"
    cli("init", str(root))
    make_project(root, clips=1, frames=6, size=(160, 90))
    brief = root / "brief.yaml"
    brief.write_text(brief.read_text().replace("delivery: web-sdr", "delivery: streaming-hdr"))
    plan = cli("plan", "-p", str(root), "--json")
    chain = [n["id"] for n in plan["nodes"] if n["shot"] == "s0"]
    picture = [n for n in chain if n.split("/")[1] in ("conform", "restore", "grade",
                                                        "sdr_to_hdr", "master")]  # fmt: skip
    assert picture == ["s0/conform", "s0/restore", "s0/grade", "s0/sdr_to_hdr", "s0/master"]
    nodes = {n["id"]: n for n in plan["nodes"]}
    assert nodes["s0/sdr_to_hdr"]["params"] == {"transfer": "pq", "method": "bt2408"}
    assert nodes["s0/master"]["inputs"][0] == "s0/sdr_to_hdr"
    # Not analysed yet: the restore node measures the picture itself when it runs.
    assert nodes["s0/restore"]["params"] == {"measure": True, "upscale": 2, "grain": "match"}
    assert "not analysed yet" in nodes["s0/restore"]["explanation"]


def test_vfx_plates_at_the_briefs_output_size_as_32_bit_float_exr(tmp_path: Path, cli: Any) -> None:
    """``output:`` overrides vfx-plates' keep-the-size: 8-bit 160×90 shots become 640×360
    32-bit float linear EXR frames, upscaled ×2 by restoration and ×2 by the master's fit."""
    import OpenEXR

    root = tmp_path / "plates"
    cli("init", str(root))
    make_project(root, clips=1, frames=3, size=(160, 90))
    brief = root / "brief.yaml"
    text = brief.read_text().replace("delivery: web-sdr", "delivery: vfx-plates")
    brief.write_text(text + "output: {width: 640, height: 360, exr_pixel_type: float}\n")
    cli("run", "-p", str(root), "-q", "--executor", "inline")
    plan = {n["id"]: n for n in cli("plan", "-p", str(root), "--json")["nodes"]}
    assert plan["s0/restore"]["params"]["upscale"] == 2
    assert "upscale ×2: source 160×90, vfx-plates 640×360" in plan["s0/restore"]["explanation"]
    assert plan["s0/master"]["params"]["exr_pixel_type"] == "float"
    plates = sorted((root / "deliverables").rglob("*.exr"))
    assert len(plates) == 3
    with OpenEXR.File(str(plates[0])) as exr:
        header = exr.header()
        (x0, y0), (x1, y1) = header["dataWindow"]
        assert (x1 - x0 + 1, y1 - y0 + 1) == (640, 360)
        assert header["chromaticities"] is not None
        pixels = exr.channels()["RGB"].pixels
        assert pixels.dtype == np.float32 and pixels.shape == (360, 640, 3)

    # A sample type on a delivery that has no EXR is refused with the reason.
    brief.write_text(text.replace("vfx-plates", "web-sdr") + "output: {exr_pixel_type: float}\n")
    refused = main(["plan", "-p", str(root)])
    assert refused != 0
