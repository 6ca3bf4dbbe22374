"""The demo project: real photographs made into shots the way generative models hand them
over — 8-bit, H.264 artifacts, noise, banding, colour drift from shot to shot — with
synthesised dialogue at uneven levels.

The photographs ship inside scikit-image (``skimage.data``), so nothing is downloaded.
Everything is seeded: the same demo is built byte for byte on every machine with the same
library versions.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from scipy import signal

from reelgraph.media.video import VideoWriter

# 36 frames (1.5 s) a shot: restoration upscales every shot ×2 to 1280×720 before the
# grade, and the whole demo must stay well under three minutes on two cores.
WIDTH, HEIGHT, FPS, FRAMES = 640, 360, 24, 36
RATE = 48000


@dataclass(frozen=True)
class DemoShot:
    id: str
    scene: str
    image: str  # skimage.data function name
    pan: tuple[float, float]  # pixels per frame (x, y) of the virtual camera
    zoom: float  # scale change over the shot
    colour_drift: tuple[float, float, float]  # per-channel gain: shot-to-shot mismatch
    dialogue_dbfs: float  # speech level: deliberately uneven between shots
    voice_hz: float
    #: The part of the photograph the camera sees (left, top, right, bottom, as fractions):
    #: two angles of one scene share part of their view, as real coverage does.
    crop: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)


# fmt: off
SHOTS = (
    # The kitchen: two angles on one table (the photograph's left 80 % and its lower right),
    # sharing the middle of their view, graded apart.
    DemoShot("sh010", "kitchen", "coffee", (1.2, 0.3), 1.04, (1.06, 1.0, 0.92), -34.0, 120.0,
             crop=(0.0, 0.0, 0.8, 1.0)),
    DemoShot("sh020", "kitchen", "coffee", (-0.8, 0.2), 1.06, (0.94, 1.0, 1.08), -18.0, 190.0,
             crop=(0.2, 0.1, 1.0, 1.0)),
    DemoShot("sh030", "launch", "rocket", (0.0, -0.9), 1.05, (1.0, 0.95, 1.05), -28.0, 140.0),
    DemoShot("sh040", "launch", "astronaut", (0.9, 0.0), 1.08, (1.08, 1.02, 0.95), -15.0, 210.0),
)
# fmt: on

BRIEF = """\
# reelgraph demo brief: four generated shots in two scenes.
# Try:  reelgraph set --project {dir} launch.time_of_day=night   then   reelgraph run -p {dir}
schema: reelgraph.Brief.1
project: reelgraph-demo
delivery: web-sdr          # H.264 8-bit BT.709 1080p, -14 LUFS, <= -1 dBTP
budget_usd: 1.00
rate_card:
  cpu_core_hour_usd: 0.05
  gpu_hour_usd: 2.50
review:
  require_approval: false  # the demo delivers without waiting for a reviewer
iteration:
  max_variants: 3
sources:
{sources}
scenes:
  - id: kitchen
    hero: sh010              # sh020 is matched to it (two angles: see the continuity report)
    variables:
      time_of_day: day
    shots:
      - {{id: sh010, source: sh010}}
      - {{id: sh020, source: sh020}}
  - id: launch
    variables:
      time_of_day: sunset
    shots:
      - {{id: sh030, source: sh030}}
      - {{id: sh040, source: sh040}}
# The first cut, delivered as programme.mp4 with programme.otio / .edl / .fcpxml:
# brief order, sh020 ends early and dissolves over 12 frames into the launch scene.
edit:
  slots:
    - {{shot: sh010}}
    - {{shot: sh020, out: 29}}
    - {{shot: sh030, in: 6, transition: {{dissolve: 12}}}}
    - {{shot: sh040}}
"""

SOURCE = """\
  - id: {id}
    path: footage/{id}.mp4
    rights:
      owner: reelgraph demo
      licence: scikit-image sample data (public domain / CC0 photographs)
      origin: generated
      likeness_consent: true
      voice_consent: true
      cleared: true"""


def _photo(name: str) -> npt.NDArray[np.float32]:
    import skimage.data

    image = getattr(skimage.data, name)()
    return image.astype(np.float32) / 255.0


def camera_move(shot: DemoShot) -> list[npt.NDArray[np.float32]]:
    """Sub-pixel pan and slow zoom over the photograph (clean frames, display-referred)."""
    photo = _photo(shot.image)
    h, w = photo.shape[:2]
    left, top, right, bottom = shot.crop
    photo = photo[round(top * h) : round(bottom * h), round(left * w) : round(right * w)]
    h, w = photo.shape[:2]
    # Enlarge so the moving window never leaves the picture.
    scale = max((WIDTH * 1.25) / w, (HEIGHT * 1.25) / h)
    big = cv2.resize(photo, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    bh, bw = big.shape[:2]
    frames = []
    for i in range(FRAMES):
        z = 1.0 + (shot.zoom - 1.0) * i / (FRAMES - 1)
        cx = bw / 2 + shot.pan[0] * (i - FRAMES / 2)
        cy = bh / 2 + shot.pan[1] * (i - FRAMES / 2)
        matrix = np.array([[z, 0, WIDTH / 2 - z * cx], [0, z, HEIGHT / 2 - z * cy]], np.float32)
        frame = cv2.warpAffine(
            big, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
        )
        frames.append(np.clip(frame, 0.0, 1.0).astype(np.float32))
    return frames


def degrade(frame: npt.NDArray[np.float32], shot: DemoShot, index: int) -> npt.NDArray[np.float32]:
    """What a generative model's output looks like: colour drift, noise, banded gradients."""
    # crc32, not hash(): str hashes are salted per process, the footage must not be.
    rng = np.random.default_rng(zlib.crc32(f"{shot.id}/{index}".encode()))
    out = frame * np.asarray(shot.colour_drift, np.float32)
    # Banding: smooth regions quantised to 48 levels, as 8-bit latent decoders leave them.
    smooth = cv2.GaussianBlur(out, (0, 0), 3.0)
    flat = np.abs(out - smooth).mean(axis=2, keepdims=True) < 0.01
    out = np.where(flat, np.round(out * 47) / 47, out)
    out = out + rng.normal(0.0, 5.0 / 255.0, out.shape).astype(np.float32)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def speech_like(seconds: float, rate: int, f0: float, seed: int) -> npt.NDArray[np.float32]:
    """Dialogue-like sound: voiced syllables (a glottal pulse train through three formant
    resonators, about 4 syllables a second) with pauses between phrases. Peak ≈ 1."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    vibrato = 1 + 0.03 * np.sin(2 * np.pi * 5 * t)
    phase = np.cumsum(f0 * vibrato / rate)
    pulses = (phase % 1.0 < 0.5 * 0.3).astype(np.float32) - 0.15  # narrow glottal pulses
    vowels = [(730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410)]
    out = np.zeros(n, np.float32)
    syllable = int(0.22 * rate)
    position = int(0.05 * rate)
    while position + syllable < n:
        formants = vowels[rng.integers(len(vowels))]
        segment = pulses[position : position + syllable].astype(np.float64)
        voiced = np.zeros_like(segment)
        for f in formants:
            r = np.exp(-np.pi * 90 / rate)
            b, a = [1 - r], [1, -2 * r * np.cos(2 * np.pi * f / rate), r * r]
            voiced += signal.lfilter(b, a, segment)
        out[position : position + syllable] += (voiced * np.hanning(syllable)).astype(np.float32)
        position += syllable + int(rng.uniform(0.02, 0.08) * rate)
        if rng.random() < 0.15:
            position += int(0.4 * rate)  # a pause between phrases
    peak = float(np.abs(out).max()) or 1.0
    return out / peak


def dialogue_track(shot: DemoShot, seconds: float, seed: int) -> npt.NDArray[np.float32]:
    """Stereo dialogue at the shot's level with a little room noise under it."""
    rng = np.random.default_rng(seed)
    voice = speech_like(seconds, RATE, shot.voice_hz, seed)
    rms = float(np.sqrt(np.mean(voice**2))) or 1.0
    voice *= 10 ** (shot.dialogue_dbfs / 20) / rms
    room = signal.lfilter([0.05], [1, -0.95], rng.normal(0, 1, voice.shape[0]))
    room = (room / (np.sqrt(np.mean(room**2)) or 1.0) * 10 ** (-58 / 20)).astype(np.float32)
    mono = np.clip(voice + room, -1.0, 1.0)
    return np.stack([mono, mono * 0.98], axis=1).astype(np.float32)


def build_demo(root: Path) -> Path:
    """Write footage/ and brief.yaml under ``root`` (an existing project folder)."""
    footage = root / "footage"
    footage.mkdir(parents=True, exist_ok=True)
    for n, shot in enumerate(SHOTS):
        path = footage / f"{shot.id}.mp4"
        tmp = path.with_suffix(".tmp.mp4")
        with VideoWriter(
            tmp,
            width=WIDTH,
            height=HEIGHT,
            frame_rate=Fraction(FPS),
            preset="h264",
            audio=(RATE, "stereo"),
            extra_options={"crf": "30", "preset": "fast"},
        ) as writer:
            for i, frame in enumerate(camera_move(shot)):
                writer.write(degrade(frame, shot, i))
            writer.write_audio(dialogue_track(shot, FRAMES / FPS, seed=1000 + n), RATE)
        tmp.replace(path)
    sources = "\n".join(SOURCE.format(id=s.id) for s in SHOTS)
    (root / "brief.yaml").write_text(BRIEF.format(dir=root, sources=sources), encoding="utf-8")
    return root
