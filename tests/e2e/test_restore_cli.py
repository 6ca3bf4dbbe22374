"""`reelgraph restore IN OUT`: the trade formats probe right (codec, bit depth, colour tags,
HDR10 metadata, EXR chromaticities and values above 1.0), and bad input is refused with
`error:` + `hint:`, a non-zero exit and nothing written."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from conftest import reelgraph
from reelgraph.cli.main import main
from reelgraph.media.exr import read_exr
from reelgraph.media.hdr import read_hdr10_metadata
from reelgraph.media.probe import probe
from reelgraph.media.video import VideoReader
from reelgraph.project.folder import init_project, open_project
from restore_clips import noisy_frames, tiny_onnx_x2, write_alpha_clip, write_clip


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clips")
    frames = noisy_frames(6, 64, 48)
    write_clip(root / "noisy.mp4", frames, "h264", audio=None)
    write_clip(root / "ten.mov", frames, "prores")  # 10-bit 4:2:2
    write_clip(root / "odd.mkv", noisy_frames(6, 63, 47), "ffv1")  # 10-bit 4:4:4, odd size
    write_clip(root / "one.mp4", frames[:1], "h264")
    write_clip(root / "three.mp4", frames[:3], "h264")
    write_alpha_clip(root / "alpha.mkv")
    tiny_onnx_x2(root / "x2.onnx")
    (root / "broken.onnx").write_bytes(b"not an onnx model at all")
    return root


@pytest.fixture(scope="module", autouse=True)
def restore_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Restores outside a project are cached in $XDG_CACHE_HOME: a fresh one here."""
    cache = tmp_path_factory.mktemp("cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    yield cache / "reelgraph" / "restore"
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


def restore(*args: str | Path) -> int:
    return main(["restore", *map(str, args)])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(
    ("fmt", "name", "codec", "pix_fmt", "tags"),
    [
        ("h264", "out.mp4", "h264", "yuv420p", ("bt709", "bt709", "bt709")),
        ("prores", "out.mov", "prores", "yuv422p10le", ("bt709", "bt709", "bt709")),
        # FFmpeg decodes ProRes 4444 to 12 bits whatever the encoder was given (10 here).
        ("prores4444", "out4.mov", "prores", "yuv444p12le", ("bt709", "bt709", "bt709")),
        ("ffv1", "out.mkv", "ffv1", "yuv444p10le", ("bt709", "bt709", "bt709")),
        ("hevc-hdr10", "hdr.mp4", "hevc", "yuv420p10le", ("bt2020", "smpte2084", "bt2020nc")),
    ],
)
def test_formats_probe_right(
    clips: Path, tmp_path: Path, fmt: str, name: str, codec: str, pix_fmt: str, tags: tuple
) -> None:
    out = tmp_path / name
    assert restore(clips / "noisy.mp4", out, "--format", fmt, "--upscale", "2") == 0
    video = probe(out).first_video
    assert (video.codec, video.pixel_format, video.width, video.height) == (codec, pix_fmt, 128, 96)
    assert video.bit_depth == {"h264": 8, "prores4444": 12}.get(fmt, 10)
    colour = video.colour
    assert (colour.primaries, colour.transfer, colour.matrix) == tags and not colour.assumed
    assert video.frame_count == 6 and leftovers(tmp_path) == []
    if fmt == "hevc-hdr10":
        hdr10 = read_hdr10_metadata(out)
        assert hdr10 is not None and hdr10.max_luminance == 1000.0
        assert hdr10.max_cll is not None and 0 < hdr10.max_cll <= 203
        assert hdr10.max_fall is not None and 0 < hdr10.max_fall <= hdr10.max_cll


def test_exr_plates_and_lossless_hdr(
    clips: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plates = tmp_path / "plates"
    assert restore(clips / "noisy.mp4", plates, "--hdr", "pq", "--exr-type", "float") == 0
    files = sorted(plates.glob("plates.*.exr"))
    assert len(files) == 6 and leftovers(tmp_path) == []
    rgb, chroma = read_exr(files[0])
    assert rgb.dtype == np.float32 and rgb.shape == (48, 64, 3)
    assert chroma == pytest.approx((0.708, 0.292, 0.17, 0.797, 0.131, 0.046, 0.3127, 0.329))
    err = capsys.readouterr().err
    assert "denoise:" in err and "SDR→HDR: PQ" in err and "MaxCLL" in err
    # HLG into the lossless 16-bit FFV1 (RGB, tagged BT.2020 / ARIB STD-B67).
    out = tmp_path / "hlg.mkv"
    assert restore(clips / "noisy.mp4", out, "--hdr", "hlg") == 0
    video = probe(out).first_video
    assert (video.pixel_format, video.colour.primaries, video.colour.transfer) == (
        "gbrp16le",
        "bt2020",
        "arib-std-b67",
    )


def test_sdr_exr_is_scene_linear_bt709(clips: Path, tmp_path: Path) -> None:
    assert restore(clips / "ten.mov", tmp_path / "sdr", "--upscale", "2") == 0
    rgb, chroma = read_exr(tmp_path / "sdr" / "sdr.0000.exr")
    assert rgb.shape == (96, 128, 3) and chroma == pytest.approx(
        (0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329)
    )


def test_odd_sizes_short_clips_and_ten_bit_input(
    clips: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Odd size: refused for 4:2:0 at ×1 before any work, fine in a 4:4:4 format or at ×2.
    assert restore(clips / "odd.mkv", tmp_path / "odd.mp4") == 2
    err = capsys.readouterr().err
    assert "error: the output would be 63×47" in err and "hint: use --upscale 2" in err
    assert list(tmp_path.iterdir()) == []
    assert restore(clips / "odd.mkv", tmp_path / "odd.mkv") == 0
    assert probe(tmp_path / "odd.mkv").first_video.width == 63
    assert restore(clips / "odd.mkv", tmp_path / "odd2.mp4", "--upscale", "2") == 0
    assert probe(tmp_path / "odd2.mp4").first_video.width == 126
    # One frame, and fewer frames than the 5-frame window: restored, and said so.
    for clip in ("one.mp4", "three.mp4"):
        out = tmp_path / f"r-{clip}"
        assert restore(clips / clip, out, "--upscale", "2", "--denoise", "4") == 0
        count = 1 if clip == "one.mp4" else 3
        assert probe(out).first_video.frame_count == count
        assert "shorter than the 5-frame temporal window" in capsys.readouterr().err
    # 10-bit input keeps its precision on the way in (no 8-bit lattice in the analysis).
    out = tmp_path / "ten.mov"
    assert restore(clips / "ten.mov", out, "--denoise", "off") == 0
    assert "10-bit source" in capsys.readouterr().err
    assert probe(out).first_video.bit_depth == 10


def test_onnx_upscaler(clips: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "onnx.mkv"
    assert restore(clips / "noisy.mp4", out, "--upscaler", clips / "x2.onnx") == 0
    assert probe(out).first_video.width == 128  # the model's ×2, without --upscale
    assert "with the ONNX model" in capsys.readouterr().err
    frame = next(iter(VideoReader(out))).rgb
    assert np.isfinite(frame).all()


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (("alpha.mkv", "a.mp4"), "has an alpha channel", "--drop-alpha"),
        (("noisy.mp4", "m.mp4", "--upscaler", "missing.onnx"), "ONNX model not found", "path"),
        (("noisy.mp4", "b.mp4", "--upscaler", "broken.onnx"), "not a loadable ONNX", "export"),
        (("noisy.mp4", "s.mp4", "--upscaler", "x2.onnx", "--upscale", "4"), "upscales ×2", ""),
        (("noisy.mp4", "p.mov", "--hdr", "pq"), "cannot carry PQ", "hevc-hdr10"),
        (("noisy.mp4", "h.mp4", "--format", "hevc-hdr10", "--hdr", "off"), "PQ (HDR10)", "pq"),
        (("noisy.mp4", "x.avi"), "cannot tell the output format", "--format"),
        (("noisy.mp4", "y.mp4", "--format", "prores"), "written as .mov", "y.mov"),
        (("noisy.mp4", "z.mp4", "--denoise", "lots"), "denoise 'lots'", "sigma"),
        (("missing.mp4", "w.mp4"), "missing.mp4", ""),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    clips: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
    hint: str,
) -> None:
    source, out, *rest = args
    rest = [str(clips / r) if r.endswith(".onnx") else r for r in rest]
    assert restore(clips / source, tmp_path / out, *rest) == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err and "hint:" in err and hint in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_drop_alpha_restores_the_colour(clips: Path, tmp_path: Path) -> None:
    assert restore(clips / "alpha.mkv", tmp_path / "a.mkv", "--drop-alpha") == 0
    assert probe(tmp_path / "a.mkv").first_video.has_alpha is False


def test_command_line_errors_exit_2_without_traceback(clips: Path, tmp_path: Path) -> None:
    result = reelgraph("restore", str(clips / "alpha.mkv"), str(tmp_path / "a.mp4"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith("error:")
    assert reelgraph("restore", "--help").returncode == 0


def test_restore_runs_through_the_orchestrator_cached_and_recorded(
    clips: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A restore is a run like a project's: in the ledger and the audit log, and a second
    restore of the same clip into another format with the same decisions (10-bit, grain
    kept) takes the restored picture from cache."""
    project = tmp_path / "film"
    init_project(project).close()
    (tmp_path / "out").mkdir()

    def restore_json(out: str) -> dict:
        capsys.readouterr()
        argv = ["-p", project, "--executor", "inline", "--json"]
        assert restore(clips / "noisy.mp4", tmp_path / "out" / out, "--denoise", "3", *argv) == 0
        return json.loads(capsys.readouterr().out)

    first = restore_json("a.mkv")
    assert {n["id"]: n["outcome"] for n in first["nodes"]} == {"restore": "ran", "master": "ran"}
    second = restore_json("b.mov")
    assert {n["id"]: n["outcome"] for n in second["nodes"]} == {
        "restore": "cached",
        "master": "ran",
    }
    assert second["nodes"][0]["key"] == first["nodes"][0]["key"]
    assert probe(tmp_path / "out" / "b.mov").first_video.codec == "prores"
    assert leftovers(tmp_path / "out") == []

    opened = open_project(project)
    try:
        runs = opened.store.query("SELECT id, kind, status FROM runs ORDER BY id")
        assert [(r["kind"], r["status"]) for r in runs] == [("restore", "completed")] * 2
        ledger = opened.store.query(
            "SELECT node_id, outcome FROM nodes WHERE run_id = ?", (second["run"],)
        )
        assert {r["node_id"]: r["outcome"] for r in ledger}["restore"] == "cached"
        measured = opened.store.query(
            "SELECT agent, cpu_s, frames FROM ledger WHERE run_id = ?", (first["run"],)
        )
        assert {r["agent"] for r in measured} == {"restore", "master"}
        assert all(r["cpu_s"] > 0 and r["frames"] == 6 for r in measured)
        written = [
            r["subject"]
            for r in opened.store.query("SELECT subject FROM audit WHERE action = 'restore_out'")
        ]
        assert written == [str((tmp_path / "out" / n).resolve()) for n in ("a.mkv", "b.mov")]
        assert opened.audit.verify().ok
    finally:
        opened.close()


def test_without_a_project_the_restore_cache_records_it(
    clips: Path, tmp_path: Path, restore_cache: Path
) -> None:
    assert restore(clips / "three.mp4", tmp_path / "c.mkv", "--executor", "inline", "-q") == 0
    cache = open_project(restore_cache)
    try:
        assert (
            cache.store.one("SELECT kind FROM runs ORDER BY id DESC LIMIT 1")["kind"] == "restore"
        )
    finally:
        cache.close()
