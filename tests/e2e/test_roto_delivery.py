"""Mattes delivered with their shot: channel A of the vfx-plates EXR, in the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import OpenEXR
import pytest

from conftest import make_project
from reelgraph.cli.main import main
from reelgraph.deliver.delivery import verify_deliverables
from reelgraph.media.mattes import read_mask


def _run_with_keyframe(
    root: Path, key: np.ndarray, delivery: str, capsys: pytest.CaptureFixture[str]
) -> Path:
    """A one-shot project (3 frames, 160×90) whose shot asks for mattes from the keyframe
    ``key`` on frame 0, run (and delivered) for ``delivery``."""
    assert main(["init", str(root)]) == 0
    make_project(root, clips=1, frames=3, size=(160, 90))
    cv2.imwrite(str(root / "hero.png"), key)
    brief = root / "brief.yaml"
    text = brief.read_text().replace("delivery: web-sdr", f"delivery: {delivery}")
    text = text.replace(
        "{id: s0, source: c0}",
        "{id: s0, source: c0, roto: {subject: keyframe, keyframes: {0: hero.png}}}",
    )
    brief.write_text(text)
    assert main(["run", "-p", str(root), "-q", "--executor", "inline"]) == 0, capsys.readouterr()
    return root


def test_vfx_plates_carry_the_shots_matte_as_alpha(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = np.zeros((90, 160), np.uint8)
    cv2.rectangle(key, (50, 20), (110, 80), 255, -1)
    root = _run_with_keyframe(tmp_path / "plates", key, "vfx-plates", capsys)
    out = root / "deliverables"
    manifest = json.loads((out / "manifest.json").read_text())
    (item,) = [i for i in manifest["items"] if i["shot"] == "s0"]
    mattes = item["mattes"]
    assert mattes["delivered_as"] == "alpha channel A of the plates"
    plates = sorted(out.glob("*.exr"))
    assert len(plates) == 3 and [p.name for p in plates] == sorted(mattes["files"])
    artifact = root / ".reelgraph" / "artifacts" / mattes["key"][:2] / mattes["key"]
    master = root / ".reelgraph" / "artifacts" / item["key"][:2] / item["key"]
    for index, plate in enumerate(plates):
        with OpenEXR.File(str(plate)) as exr:
            channels = exr.channels()
            assert set(exr.header()) >= {"chromaticities", "compression"}
            rgba = channels["RGBA"].pixels
        with OpenEXR.File(str(master / plate.name)) as exr:
            rgb = exr.channels()["RGB"].pixels
        assert rgba.dtype == rgb.dtype == np.float16  # the plate's own samples, untouched
        assert np.array_equal(rgba[..., :3], rgb)
        matte = read_mask(artifact / f"s0.{index:06d}.exr")
        assert np.array_equal(rgba[..., 3], matte.astype(np.float16))
    first = read_mask(artifact / "s0.000000.exr")
    assert np.array_equal(first >= 0.5, key >= 128)  # the keyframe, exactly, on its frame
    # The RGBA plates are what the checksums and the manifest describe.
    assert verify_deliverables(out) == []
    sums = (out / "SHA256SUMS").read_text()
    assert all(f"  {p.name}\n" in sums for p in plates)


def test_web_masters_carry_the_shots_mattes_as_files_beside_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``mattes: files`` (every spec but vfx-plates): the matte sequence goes out unchanged
    beside the master, each file listed with its checksum; a matte damaged in the store
    after the run refuses the delivery instead of sending it."""
    key = np.zeros((90, 160), np.uint8)
    cv2.circle(key, (80, 45), 30, 255, -1)
    root = _run_with_keyframe(tmp_path / "web", key, "web-sdr", capsys)
    out = root / "deliverables"
    manifest = json.loads((out / "manifest.json").read_text())
    (item,) = [i for i in manifest["items"] if i["shot"] == "s0"]
    mattes = item["mattes"]
    assert mattes["delivered_as"] == "files"
    names = [f"s0.{index:06d}.png" for index in range(3)]
    assert sorted(mattes["files"]) == names
    artifact = root / ".reelgraph" / "artifacts" / mattes["key"][:2] / mattes["key"]
    for name in names:
        delivered = out / name
        assert delivered.read_bytes() == (artifact / name).read_bytes()
        assert cv2.imread(str(delivered), cv2.IMREAD_UNCHANGED).dtype == np.uint16
    assert np.array_equal(read_mask(out / names[0]) >= 0.5, key >= 128)
    listed = {f["file"]: f["sha256"] for f in item["files"]}
    assert set(names) <= set(listed)
    assert verify_deliverables(out) == []
    sums = (out / "SHA256SUMS").read_text()
    assert all(f"{listed[n]}  {n}\n" in sums for n in names)

    # A matte damaged in the store is found before anything is copied.
    for name in names:
        (out / name).unlink()
    damaged = artifact / names[1]
    damaged.chmod(0o644)
    damaged.write_bytes(damaged.read_bytes()[:-40])
    code = main(["deliver", "-p", str(root)])
    err = capsys.readouterr().err
    assert code != 0 and "error:" in err and "hint:" in err
    assert not (out / names[1]).exists()
