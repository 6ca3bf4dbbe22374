"""`reelgraph loudness` and `reelgraph level` on real files: after `level --spec X` the meter
finds the output within X's tolerance and at or under its true-peak ceiling (quiet, hot,
5.1 and noisy inputs); video keeps its picture untouched; bad input gives `error:` and
`hint:`, exit 2, no traceback and nothing written."""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from scipy.io import wavfile

from conftest import make_clip, reelgraph
from reelgraph.algorithms.audio import lookup, measure
from reelgraph.cli.main import main
from reelgraph.demo.build import SHOTS
from reelgraph.media.audio import read_audio, write_audio
from reelgraph.media.video import VideoWriter

sys.path.append(str(Path(__file__).resolve().parents[1] / "unit"))
from audio_synth import pink_noise, sine, speech_like

RATE = 48000
SECONDS = 6.0
SPECS = ("ebu-r128", "atsc-a85", "streaming", "web")


def _lufs(samples: np.ndarray, layout: str | None = None) -> float:
    return measure(samples, RATE, layout=layout, true_peak=False).integrated_lufs


def _scaled(samples: np.ndarray, lufs: float, layout: str | None = None) -> np.ndarray:
    return samples * 10 ** ((lufs - _lufs(samples, layout)) / 20)


def make_inputs(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(4)
    n = int(SECONDS * RATE)
    voice, _ = speech_like(rng, SECONDS, RATE, level_dbfs=-20.0)
    stereo = np.stack([voice, 0.9 * voice], axis=1)
    # Hot: a dense mix (speech over a loud noise bed) at −8 LUFS, clipped: peaks at 0 dBFS.
    bed = pink_noise(rng, n, -20.0)
    hot = np.clip(_scaled(np.stack([voice + bed, 0.9 * voice + bed], 1), -7.9), -1.0, 1.0)
    # 5.1: dialogue in the centre, room in the other speakers, rumble in the LFE.
    room = [pink_noise(rng, n, -50.0) for _ in range(4)]
    surround = np.stack(
        [room[0], room[1], voice, sine(RATE, SECONDS, -30.0, 50.0), room[2], room[3]], axis=1
    )
    noisy = stereo + pink_noise(rng, n, -34.0)[:, None]  # speech about 14 dB over the noise
    files = {
        "quiet": ("quiet.wav", _scaled(stereo, -40.0), None),
        "hot": ("hot.wav", hot, None),
        "5.1": ("surround.wav", _scaled(surround, -30.0, "5.1"), "5.1"),
        "noisy": ("noisy.wav", _scaled(noisy, -26.0), None),
    }
    paths = {}
    for name, (file, samples, layout) in files.items():
        write_audio(folder / file, samples.astype(np.float32), RATE, layout=layout)
        paths[name] = folder / file
    return paths


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_inputs(tmp_path_factory.mktemp("loudness-in"))


def test_the_inputs_are_what_they_claim(inputs: dict[str, Path]) -> None:
    quiet = read_audio(inputs["quiet"])
    assert _lufs(quiet.samples) == pytest.approx(-40.0, abs=0.1)
    hot = read_audio(inputs["hot"])
    assert _lufs(hot.samples) == pytest.approx(-8.0, abs=0.3)
    assert np.abs(hot.samples).max() >= 0.999  # peaks at 0 dBFS
    surround = read_audio(inputs["5.1"])
    assert surround.layout == "5.1" and surround.channels == 6


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("kind", ["quiet", "hot", "5.1", "noisy"])
def test_level_output_meets_the_spec(
    inputs: dict[str, Path], tmp_path: Path, spec: str, kind: str
) -> None:
    out = tmp_path / ("out.flac" if kind == "5.1" else "out.wav")
    denoise = ["--noise-reduction", "0.8"] if kind == "noisy" else []
    assert main(["level", str(inputs[kind]), str(out), "--spec", spec, *denoise]) == 0
    written = read_audio(out)
    assert written.channels == (6 if kind == "5.1" else 2)
    target = lookup(spec)
    # Measured afresh, as QC would: the dialogue gate is detected again on the output.
    m = measure(written.samples, RATE, layout="5.1" if kind == "5.1" else None,
                dialogue=target.gating == "dialogue")  # fmt: skip
    check = m.check(target)
    assert abs(check.deviation_lu) <= target.tolerance_lu, (kind, spec, check)
    assert check.true_peak_dbtp <= target.true_peak_max_dbtp, (kind, spec, check)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_loudness_json_and_report(inputs: dict[str, Path], tmp_path: Path) -> None:
    result = reelgraph("loudness", str(inputs["quiet"]), "--spec", "web", "--json",
                       "--report", str(tmp_path / "report"))  # fmt: skip
    assert result.returncode == 1, result.stderr  # −40 LUFS is not web-compliant
    doc = json.loads(result.stdout)
    assert doc["schema"] == "reelgraph.Loudness.1" and doc["compliant"] is False
    assert doc["integrated_lufs"] == pytest.approx(-40.0, abs=0.1)
    assert doc["target"]["loudness_ok"] is False and doc["target"]["true_peak_ok"] is True
    assert len(doc["short_term"]["lufs"]) == len(doc["short_term"]["end_s"]) > 20
    page = (tmp_path / "report" / "index.html").read_text()
    assert "loudness.png" in page and "NOT compliant with web" in page
    assert (tmp_path / "report" / "loudness.png").stat().st_size > 10_000


def _video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.video[0]) if p.size]


@pytest.mark.parametrize("suffix", [".mov", ".mp4"])
def test_level_video_keeps_the_picture_untouched(tmp_path: Path, suffix: str) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, SHOTS[0], frames=48, size=(160, 96), seed=3)  # dialogue at −34 dBFS
    out = tmp_path / f"levelled{suffix}"
    result = reelgraph("level", str(clip), str(out), "--spec", "web")
    assert result.returncode == 0, result.stderr
    assert "before" in result.stderr and "after" in result.stderr
    assert "limited: " in result.stderr and "video copied untouched" in result.stderr
    assert _video_packets(out) == _video_packets(clip)
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.name == (
            "aac" if suffix == ".mp4" else "pcm_s24le"
        )
    check = measure(read_audio(out).samples, RATE).check("web")
    assert check.passed, check  # AAC included: the limiter kept 1 dB more headroom


# -- bad input -------------------------------------------------------------------------------


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good.wav"
    write_audio(good, np.full((RATE, 2), 0.1, np.float32) * np.sin(np.arange(RATE))[:, None], RATE)
    silence = folder / "silence.wav"
    write_audio(silence, np.zeros((RATE * 2, 2), np.float32), RATE)
    one = folder / "one-sample.wav"
    write_audio(one, np.full((1, 2), 0.5, np.float32), RATE)
    nan = np.full((RATE, 2), 0.1, np.float32)
    nan[1000, 1] = np.nan
    wavfile.write(folder / "nan.wav", RATE, nan)
    inf = np.full((RATE, 2), 0.1, np.float32)
    inf[2000, 0] = np.inf
    wavfile.write(folder / "inf.wav", RATE, inf)
    mute = folder / "no-audio.mp4"
    with VideoWriter(mute, width=64, height=48, frame_rate=Fraction(24), preset="h264") as w:
        for _ in range(12):
            w.write(np.full((48, 64, 3), 0.5, np.float32))
    return {
        "silence": (silence, "silent"),
        "no-audio-stream": (mute, "no audio stream"),
        "one-sample": (one, "too short"),
        "nan": (folder / "nan.wav", "NaN or infinite"),
        "inf": (folder / "inf.wav", "NaN or infinite"),
        "unknown-spec": (good, "unknown loudness spec"),
    }


BAD = ["silence", "no-audio-stream", "one-sample", "nan", "inf", "unknown-spec"]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return _bad_files(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("kind", BAD)
def test_level_refuses_bad_input_and_writes_nothing(
    bad_files: dict[str, tuple[Path, str]], tmp_path: Path, kind: str
) -> None:
    path, words = bad_files[kind]
    spec = "no-such-spec" if kind == "unknown-spec" else "ebu-r128"
    out = tmp_path / "out.wav"
    result = reelgraph("level", str(path), str(out), "--spec", spec)
    assert result.returncode == 2
    assert "error: " in result.stderr and "hint: " in result.stderr, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither OUT nor a temporary file


@pytest.mark.parametrize("kind", BAD)
def test_loudness_refuses_bad_input(
    bad_files: dict[str, tuple[Path, str]], capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path, words = bad_files[kind]
    spec = "no-such-spec" if kind == "unknown-spec" else "web"
    assert main(["loudness", str(path), "--spec", spec, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no half document on stdout
    assert "error: " in captured.err and "hint: " in captured.err
    assert words in captured.err


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (root ignores permission bits, so as
    root sysfs stands in: it refuses new files to everyone)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    candidates = [folder, Path("/sys")]
    for candidate in candidates:
        try:
            (candidate / ".probe").write_bytes(b"")
        except OSError:
            return candidate
        (candidate / ".probe").unlink()
    pytest.skip("no folder here refuses writes to this user")


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_level_into_an_unwritable_folder_says_so(
    inputs: dict[str, Path],
    unwritable_folder: Path,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
) -> None:
    out = unwritable_folder / f"levelled{suffix}"
    assert main(["level", str(inputs["quiet"]), str(out), "--spec", "web"]) == 2
    err = capsys.readouterr().err
    assert f"error: {unwritable_folder}: the folder is not writable" in err, err
    assert "hint: " in err and "Traceback" not in err and "internal error" not in err
    assert not out.exists()


def test_writing_audio_into_an_unwritable_folder_names_the_folder(unwritable_folder: Path) -> None:
    from reelgraph.errors import MediaError

    with pytest.raises(MediaError, match="not writable"):
        write_audio(unwritable_folder / "x.wav", np.zeros((480, 2), np.float32), RATE)
