"""The programme agent renders the cut: clips trimmed and in order, a dissolve as a real mix
of the two takes' handles, one sound track crossfaded at the joins and normalised as a
whole to the delivery target (measured with pyloudnorm, an independent meter)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyloudnorm
import pytest

from reelgraph.agents._io import INTERMEDIATE, frames, video_meta
from reelgraph.agents.programme import Programme
from reelgraph.errors import PlanError
from reelgraph.media.audio import read_audio, write_audio
from reelgraph.media.video import VideoWriter
from reelgraph.orchestrator.agent import Input, NodeContext
from reelgraph.plan.rules.editorial import CutClip, ShotMedia
from reelgraph.plan.timeline import layout

W, H, FPS, RATE, FRAMES = 32, 18, 24, 48000, 24
TONES = {"a": 330.0, "b": 1200.0, "c": 3100.0}


def level(take: str, index: int) -> float:
    """Each take's picture is flat grey, its level giving the take and the frame."""
    return {"a": 0.1, "b": 0.5, "c": 0.8}[take] + index * 0.004


def take_inputs(folder: Path, take: str, loudness_dbfs: float) -> tuple[Input, Input]:
    pic = folder / take
    pic.mkdir()
    with VideoWriter(pic / "p.mkv", width=W, height=H, frame_rate=Fraction(FPS),
                     preset=INTERMEDIATE) as writer:  # fmt: skip
        for i in range(FRAMES):
            writer.write(np.full((H, W, 3), level(take, i), np.float32))
    snd = folder / f"{take}-sound"
    snd.mkdir()
    t = np.arange(FRAMES * RATE // FPS) / RATE
    tone = (10 ** (loudness_dbfs / 20) * np.sin(2 * np.pi * TONES[take] * t)).astype(np.float32)
    write_audio(snd / "audio.wav", np.stack([tone, tone], axis=1), RATE, layout="stereo")
    return (
        Input(f"k-{take}", pic, video_meta("p.mkv", FRAMES, W, H, f"{FPS}/1")),
        Input(f"k-{take}-s", snd, {"kind": "audio", "file": "audio.wav"}),
    )


CLIPS = [
    {"slot": "a", "take": "a", "first": 0, "last": 15, "dissolve": 0},
    {"slot": "b", "take": "b", "first": 4, "last": 19, "dissolve": 8},
    {"slot": "c", "take": "c", "first": 0, "last": 23, "dissolve": 0},
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Input, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("programme")
    made = {t: take_inputs(folder, t, db) for t, db in (("a", -20.0), ("b", -14.0), ("c", -24.0))}
    agent = Programme()
    params = agent.make_params(
        {
            "clips": CLIPS,
            "takes": ["a", "b", "c"],
            "sound": True,
            "preset": INTERMEDIATE,
            "loudness_target": "ebu-r128",
        }
    )
    inputs = [made[t][0] for t in "abc"] + [made[t][1] for t in "abc"]
    out = folder / "out"
    out.mkdir()
    result = agent.run(NodeContext("programme/master", inputs, params, {}, out, seed=0))
    return Input("k-programme", out, result.meta), result.metrics


def test_clips_are_trimmed_in_order_and_the_dissolve_mixes_the_handles(
    rendered: tuple[Input, dict[str, Any]],
) -> None:
    programme, _ = rendered
    pictures = [float(f.rgb.mean()) for f in frames(programme)]
    assert len(pictures) == 16 + 16 + 24 == programme.meta["frames"]
    # Before the dissolve: take a from its frame 0; the dissolve (8 frames centred on the
    # cut at 16) mixes a's frames 12–19 with b's 0–7; then b alone from its frame 8.
    for record in range(12):
        assert pictures[record] == pytest.approx(level("a", record), abs=2e-3)
    for j in range(8):
        weight = (j + 1) / 9
        mixed = (1 - weight) * level("a", 12 + j) + weight * level("b", j)
        assert pictures[12 + j] == pytest.approx(mixed, abs=2e-3), j
    for record in range(20, 32):
        assert pictures[record] == pytest.approx(level("b", record - 16 + 4), abs=2e-3)
    for record in range(32, 56):
        assert pictures[record] == pytest.approx(level("c", record - 32), abs=2e-3)


def _tone_share(samples: np.ndarray, hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
    band = (freqs > hz * 0.9) & (freqs < hz * 1.1)
    return float((spectrum[band] ** 2).sum() / (spectrum**2).sum())


def test_one_sound_track_crossfaded_and_levelled_as_a_programme(
    rendered: tuple[Input, dict[str, Any]],
) -> None:
    programme, metrics = rendered
    track = read_audio(programme.file())
    per_frame = RATE // FPS
    assert track.samples.shape[0] == pytest.approx(56 * per_frame, abs=per_frame)
    mono = track.samples[:, 0]
    # The sound of the dissolve (record frames 12–19) holds both takes; away from it, one.
    middle = mono[14 * per_frame : 18 * per_frame]
    assert _tone_share(middle, TONES["a"]) > 0.1 and _tone_share(middle, TONES["b"]) > 0.1
    assert _tone_share(mono[2 * per_frame : 10 * per_frame], TONES["a"]) > 0.95
    assert _tone_share(mono[22 * per_frame : 30 * per_frame], TONES["b"]) > 0.95
    # The cut b → c: no step (b's handle after its out fades under c's start).
    cut = 32 * per_frame
    assert np.abs(np.diff(mono[cut - 480 : cut + 480])).max() < 0.2
    # Levelled as one programme to EBU R 128 (−23 LUFS ±0.5), by an independent meter.
    meter = pyloudnorm.Meter(RATE)
    assert meter.integrated_loudness(track.samples.astype(np.float64)) == pytest.approx(
        -23.0, abs=0.5
    )
    assert metrics["integrated_lufs"] == pytest.approx(-23.0, abs=0.5)


def _clip(name: str, frames: int, first: int, last: int, dissolve: int = 0) -> CutClip:
    media = ShotMedia(name, Path(f"{name}.mov"), 0, frames - 1, Fraction(24))
    return CutClip(name, name, media, first, last, dissolve)


def test_layout_places_clips_on_the_record_line_with_their_dissolves() -> None:
    placed = layout([_clip("a", 24, 0, 15), _clip("b", 24, 4, 19, 8), _clip("c", 24, 0, 23)])
    assert [(p.record_in, p.record_out, p.head, p.tail) for p in placed] == [
        (0, 16, 0, 4),
        (16, 32, 4, 0),
        (32, 56, 0, 0),
    ]


def test_dissolves_that_overlap_inside_a_clip_are_refused() -> None:
    clips = [_clip("a", 24, 0, 19), _clip("b", 24, 4, 8, 6), _clip("c", 24, 4, 23, 6)]
    with pytest.raises(PlanError) as caught:
        layout(clips)
    assert "overlap" in caught.value.message and caught.value.hint
