"""`reelgraph qc` on real files: defect clips written with VideoWriter (FFV1 and H.264),
checked in subprocesses as a user runs it. Each defect is found within one frame of where it
was put; the clean clips — a fast pan with hard cuts, clean dialogue — pass with exit 0;
a corrupt file stops with error + hint (exit 2); a damaged file reports a `decode` finding
where the damage is and the rest of the analysis goes on; `--report` writes the report.

All clips are 320×180 at 25 fps; the subprocesses run four at a time (module fixture).
"""

from __future__ import annotations

import csv
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# The synthetic defect clips of the algorithm tests (tests/unit/qc_clips.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
import qc_clips as clips

from conftest import reelgraph
from reelgraph.algorithms.audio import measure
from reelgraph.demo.build import speech_like
from reelgraph.media.video import VideoWriter

FPS = 25
RATE = 48000


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int = -1
    stdout: str = ""
    stderr: str = ""

    @property
    def doc(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    def spans(self, check: str) -> list[tuple[int, int]]:
        return [
            (f["start_frame"], f["end_frame"]) for f in self.doc["findings"] if f["check"] == check
        ]

    def checks(self) -> set[tuple[str, str]]:
        return {(f["check"], f["severity"]) for f in self.doc["findings"]}


def near(span: tuple[int, int], start: int, end: int) -> bool:
    return abs(span[0] - start) <= 1 and abs(span[1] - end) <= 1


def write(path: Path, frames: list[np.ndarray], audio: np.ndarray | None = None) -> Path:
    """FFV1 (10-bit 4:4:4, .mkv, PCM sound) or H.264 (8-bit 4:2:0, .mp4) by extension."""
    preset = "h264" if path.suffix == ".mp4" else "ffv1"
    height, width = frames[0].shape[:2]
    with VideoWriter(path, width=width, height=height, frame_rate=Fraction(FPS), preset=preset,
                     audio=(RATE, "stereo") if audio is not None else None) as writer:  # fmt: skip
        for frame in frames:
            writer.write(frame)
        if audio is not None:
            writer.write_audio(audio, RATE)
    return path


def dialogue(seconds: float, lufs: float = -23.0) -> np.ndarray:
    """Stereo synthetic dialogue over a room-tone bed (−30 dB under the voice's peak, so
    above the phase meter's −50 dBFS gate in the pauses), at ``lufs`` integrated, true peak
    well under −1 dBTP."""
    voice = speech_like(seconds, RATE, 150.0, seed=5).astype(np.float64)
    voice += np.random.default_rng(5).normal(0.0, 10 ** (-30 / 20), voice.size)
    stereo = np.stack([voice, 0.97 * voice], axis=1)
    gain = 10 ** ((lufs - measure(stereo, RATE, true_peak=False).integrated_lufs) / 20)
    return (stereo * gain).astype(np.float32)


def audio_defects(seconds: float) -> np.ndarray:
    """Dialogue with a clipped tone at 1.0–1.2 s (frames 25–29), digital silence at 2.6–5.0 s
    (frames 65–124) and the right channel inverted from 5.6 s (frame 140) to the end."""
    audio = dialogue(seconds).astype(np.float64)
    t = np.arange(int(0.2 * RATE)) / RATE
    tone = np.clip(1.5 * np.sin(2 * np.pi * 220 * t), -1.0, 1.0)
    audio[RATE : RATE + t.size] = tone[:, None]
    audio[int(2.6 * RATE) : 5 * RATE] = 0.0
    audio[int(5.6 * RATE) :, 1] *= -1.0
    return audio.astype(np.float32)


def super_white(frames: list[np.ndarray], start: int, end: int) -> list[np.ndarray]:
    """R′G′B′ 1.1 (Y′ code 1028 → clipped to 1023 at 10 bit) in the top 10 % of the
    picture, frames start..end."""
    out = list(frames)
    for k in range(start, end + 1):
        frame = frames[k].copy()
        frame[: frame.shape[0] // 10] = 1.1
        out[k] = frame
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = tmp_path_factory.mktemp("qc")
    clean = clips.clean_clip()  # fast pans, hard cuts at 60 and 110
    still = clips.static_clip(150)
    grey = float(np.searchsorted(clips_srgb_table(), 0.2126)) / 255.0
    grey_clip = [np.full((clips.HEIGHT, clips.WIDTH, 3), grey, np.float32)] * 80
    files = {
        "clean": write(root / "clean.mp4", clean),
        "clean_sound": write(root / "clean_sound.mkv", still[:100], dialogue(4.0)),
        "black": write(root / "black.mkv", clips.with_black(clean[:120], 40, 99)),
        "freeze": write(root / "freeze.mkv", clips.with_freeze(clean[:100], 20, 79)),
        "flash5": write(root / "flash5.mkv", clips.with_flashes(still, 40, 89, period=5, on=2)),
        "flash2": write(root / "flash2.mkv", clips.with_flashes(still, 40, 114, period=12, on=6)),
        "patch10": write(root / "patch10.mkv", clips.with_flashes(
            still[:100], 20, 69, period=4, box=clips.box_fraction(0.1), off_colour=(0, 0, 0))),
        "patch40": write(root / "patch40.mkv", clips.with_flashes(
            still[:100], 20, 69, period=4, box=clips.box_fraction(0.4), off_colour=(0, 0, 0))),
        "red": write(root / "red.mkv", clips.with_flashes(grey_clip, 20, 59, period=4,
                                                           colour=(1.0, 0.0, 0.0))),
        "flicker": write(root / "flicker.mkv", clips.with_offset_flicker(clean[:60], 20, 45, 0.03)),
        "local_flicker": write(root / "local_flicker.mkv", clips.with_offset_flicker(
            clean[:120], 70, 95, 0.06, box=(slice(40, 120), slice(100, 220)))),
        "legal": write(root / "legal.mkv", super_white(clean[:90], 30, 59)),
        "sound": write(root / "sound.mkv", (still + still)[:200], audio_defects(8.0)),
    }  # fmt: skip
    # Damaged files: half of an FFV1 file, H.264 with garbage in the middle, no media at all.
    whole = write(root / "whole.mkv", clean[:50]).read_bytes()
    (root / "truncated.mkv").write_bytes(whole[: len(whole) // 2])
    h264 = bytearray(write(root / "whole.mp4", clean[:100]).read_bytes())
    middle = len(h264) // 2
    h264[middle : middle + 3000] = np.random.default_rng(1).bytes(3000)
    (root / "corrupt_middle.mp4").write_bytes(bytes(h264))
    (root / "garbage.mp4").write_bytes(np.random.default_rng(2).bytes(20000))

    jobs: dict[str, Run] = {
        name: Run(("qc", str(path), "--skip", "spec", "--json")) for name, path in files.items()
    }
    for name in ("clean_sound", "sound"):
        jobs[name] = Run(("qc", str(files[name]), "--spec", "broadcast-ebu", "--skip", "spec",
                          "--json"))  # fmt: skip
    jobs["flash5"] = Run((*jobs["flash5"].args, "--report", str(root / "report")))
    jobs["truncated"] = Run(("qc", str(root / "truncated.mkv"), "--skip", "spec", "--json"))
    jobs["corrupt_middle"] = Run(("qc", str(root / "corrupt_middle.mp4"), "--json"))
    jobs["garbage"] = Run(("qc", str(root / "garbage.mp4")))

    def execute(job: Run) -> None:
        result = reelgraph(*job.args)
        job.returncode, job.stdout, job.stderr = result.returncode, result.stdout, result.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(execute, jobs.values()))
    jobs["_root"] = Run((str(root),))
    return jobs


def clips_srgb_table() -> np.ndarray:
    from reelgraph.algorithms.qc.flash_bt1702 import linearisation_table

    return np.asarray(linearisation_table())


def test_clean_clips_pass_with_no_finding(runs: dict[str, Run]) -> None:
    for name in ("clean", "clean_sound"):
        run = runs[name]
        assert run.returncode == 0, run.stderr
        assert run.doc["passed"] is True and run.doc["findings"] == [], name
    assert runs["clean"].doc["frames_analysed"] == 150
    audio = runs["clean_sound"].doc["audio"]
    assert audio["loudness_lufs"] == pytest.approx(-23.0, abs=0.5)


def test_black_and_frozen_segments(runs: dict[str, Run]) -> None:
    black = runs["black"]
    assert black.returncode == 0  # black and freeze are warnings: intended at head and tail
    assert black.checks() == {("black", "warning"), ("freeze", "warning")}
    assert near(black.spans("black")[0], 40, 99)
    freeze = runs["freeze"]
    assert freeze.checks() == {("freeze", "warning")}
    assert near(freeze.spans("freeze")[0], 20, 79)


def test_5hz_flash_train_fails_and_2hz_only_warns(runs: dict[str, Run]) -> None:
    five = runs["flash5"]
    assert five.returncode == 1, five.stderr
    assert five.checks() == {("flash", "fail")}
    assert near(five.spans("flash")[0], 40, 86)  # last white frame of the train
    finding = five.doc["findings"][0]
    assert (finding["start_tc"], finding["limit"]) == ("00:00:01:15", 3.0)
    assert finding["standard"].startswith("ITU-R BT.1702")
    two = runs["flash2"]
    assert two.returncode == 0
    assert two.checks() == {("flash", "warning")}


def test_flashing_patch_must_cover_a_quarter_of_the_screen(runs: dict[str, Run]) -> None:
    assert runs["patch10"].returncode == 0 and runs["patch10"].doc["findings"] == []
    patch = runs["patch40"]
    assert patch.returncode == 1 and patch.checks() == {("flash", "fail")}
    assert near(patch.spans("flash")[0], 20, 69)


def test_red_flash(runs: dict[str, Run]) -> None:
    red = runs["red"]
    assert red.returncode == 1 and red.checks() == {("red_flash", "fail")}
    assert near(red.spans("red_flash")[0], 20, 59)


def test_global_and_local_flicker(runs: dict[str, Run]) -> None:
    flicker = runs["flicker"]
    assert flicker.checks() == {("flicker", "warning")}
    assert near(flicker.spans("flicker")[0], 20, 45)
    assert flicker.doc["metrics"]["flicker_global_max"] == pytest.approx(0.06, abs=0.01)
    local = runs["local_flicker"]
    assert local.checks() == {("flicker", "warning")}
    assert near(local.spans("flicker")[0], 70, 95)
    assert "local" in local.doc["findings"][0]["message"]


def test_out_of_range_levels(runs: dict[str, Run]) -> None:
    legal = runs["legal"]
    # web-sdr: EBU R 103 is a broadcast recommendation, so out-of-range levels warn.
    assert legal.returncode == 0
    assert {check for check, _ in legal.checks()} == {"legal_range"}
    assert all(near(span, 30, 59) for span in legal.spans("legal_range"))


def test_sound_defects_are_placed_on_the_frames(runs: dict[str, Run]) -> None:
    sound = runs["sound"]
    assert sound.returncode == 1
    assert near(sound.spans("clipping")[0], 25, 29)
    assert near(sound.spans("true_peak")[0], 25, 29)
    assert near(sound.spans("silence")[0], 65, 124)
    assert near(sound.spans("phase")[0], 140, 199)
    severities = dict(sound.checks())
    assert (severities["clipping"], severities["silence"], severities["phase"]) == (
        "fail", "warning", "warning")  # fmt: skip
    clip = next(f for f in sound.doc["findings"] if f["check"] == "clipping")
    assert clip["start_tc"] == "00:00:01:00" and "FL, FR" in clip["message"]


def test_corrupt_file_is_an_error_with_a_hint(runs: dict[str, Run]) -> None:
    garbage = runs["garbage"]
    assert garbage.returncode == 2
    assert "error: " in garbage.stderr and "hint: " in garbage.stderr
    assert "Traceback" not in garbage.stderr


def test_damaged_files_report_decode_findings_and_go_on(runs: dict[str, Run]) -> None:
    truncated = runs["truncated"]
    assert truncated.returncode == 1
    (decode,) = [f for f in truncated.doc["findings"] if f["check"] == "decode"]
    analysed = truncated.doc["frames_analysed"]
    assert 0 < analysed < 50
    assert (decode["start_frame"], decode["end_frame"]) == (analysed, 49)
    assert len(truncated.doc["series"]["video"]["flash.frequency"]) == analysed
    corrupt = runs["corrupt_middle"]
    assert corrupt.returncode == 1
    (decode,) = [f for f in corrupt.doc["findings"] if f["check"] == "decode"]
    assert 0 < decode["start_frame"] < 100 and decode["end_frame"] == 99
    assert corrupt.doc["frames_analysed"] == decode["start_frame"]
    # The format was still checked: 320×180 is not web-sdr's 1080p.
    assert any("resolution" in f["message"] for f in corrupt.doc["findings"])


def test_json_document(runs: dict[str, Run]) -> None:
    doc = runs["sound"].doc
    assert doc["schema"] == "reelgraph.QC.1"
    assert (doc["spec"], doc["profile"]) == ("broadcast-ebu", "broadcast-ebu")
    assert doc["skipped"]["spec"] == "skipped on request"
    keys = {"check", "severity", "start_frame", "end_frame", "start_tc", "end_tc", "value",
            "limit", "standard", "message"}  # fmt: skip
    assert all(set(f) == keys for f in doc["findings"])
    series = doc["series"]
    assert all(len(v) == doc["frames_analysed"] for v in series["video"].values())
    assert len(series["audio"]["true_peak_dbtp"]) == 200
    assert doc["counts"]["fail"] == sum(f["severity"] == "fail" for f in doc["findings"])


def test_report_folder(runs: dict[str, Run]) -> None:
    folder = Path(runs["_root"].args[0]) / "report"
    assert runs["flash5"].doc["report"] == str(folder / "index.html")
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "FAILED" in page and "thumb_000040.jpg" in page
    for plot in ("luminance", "flicker", "flash", "levels"):
        assert (folder / f"{plot}.png").stat().st_size > 5000, plot
        assert f'src="{plot}.png"' in page
    assert (folder / "thumb_000040.jpg").read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    with (folder / "failures.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["check"], r["severity"], r["thumbnail"]) for r in rows] == [
        ("flash", "fail", "thumb_000040.jpg")
    ]


def test_unknown_spec_and_skip_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reelgraph.cli.main import main

    clip = write(tmp_path / "tiny.mkv", clips.static_clip(3))
    for args in (("--spec", "cinema"), ("--skip", "decode"), ("--skip", "blak")):
        assert main(["qc", str(clip), *args]) == 2, args
        assert "hint: " in capsys.readouterr().err
