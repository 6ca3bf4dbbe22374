"""Read speech for the speech tests, from an installed wheel (never copied into the
repository): the opening of Dickens's *A Tale of Two Cities* read aloud, shipped as
``moonshine_voice/assets/two_cities.wav`` (48 kHz mono, 16-bit) by ``moonshine-voice``
(MIT), a test requirement. Its text is public domain, so the transcript is known.

The excerpts below were placed by listening to the reading's pauses: each holds whole
phrases and starts and ends in silence."""

from __future__ import annotations

import importlib.metadata
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

RATE = 48000

#: (first second, last second) of the reading → what is said there.
BEST_AND_WORST = ((0.9, 4.7), "It was the best of times, it was the worst of times,")
AGE_OF_WISDOM = ((4.7, 6.3), "it was the age of wisdom,")

#: The whole reading (44 s): the novel's first sentence.
OPENING = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was "
    "the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it "
    "was the season of Light, it was the season of Darkness, it was the spring of hope, it "
    "was the winter of despair, we had everything before us, we had nothing before us, we "
    "were all going direct to Heaven, we were all going direct the other way – in short, the "
    "period was so far like the present period, that some of its noisiest authorities "
    "insisted on its being received, for good or for evil, in the superlative degree of "
    "comparison only."
)


def reading_path() -> Path:
    path = importlib.metadata.distribution("moonshine-voice").locate_file(
        "moonshine_voice/assets/two_cities.wav"
    )
    return Path(str(path))


def reading() -> NDArray[np.float32]:
    """The whole reading, float32 mono at 48 kHz."""
    with wave.open(str(reading_path())) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    return pcm.astype(np.float32) / 32768.0


def excerpt(span: tuple[float, float]) -> NDArray[np.float32]:
    first, last = span
    return reading()[round(first * RATE) : round(last * RATE)]


def placed_speech() -> tuple[NDArray[np.float32], list[tuple[float, float, str]]]:
    """2 s silence, "it was the age of wisdom", 3 s silence, "it was the best of times, it
    was the worst of times", 1.5 s silence; with where each phrase was placed (seconds)."""
    silence = [np.zeros(round(s * RATE), np.float32) for s in (2.0, 3.0, 1.5)]
    wisdom, best = excerpt(AGE_OF_WISDOM[0]), excerpt(BEST_AND_WORST[0])
    audio = np.concatenate([silence[0], wisdom, silence[1], best, silence[2]])
    first = 2.0
    second = first + wisdom.size / RATE + 3.0
    return audio, [
        (first, first + wisdom.size / RATE, AGE_OF_WISDOM[1]),
        (second, second + best.size / RATE, BEST_AND_WORST[1]),
    ]


def video_with_sound(path: Path, audio: NDArray[np.float32] | None, fps: int = 25) -> Path:
    """A small H.264 picture (a grey ramp, one level per frame) with ``audio`` as 16-bit PCM
    (None: no sound track), as long as the sound (or 2 s)."""
    seconds = audio.size / RATE if audio is not None else 2.0
    frames = int(seconds * fps)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        video.options = {"preset": "ultrafast", "threads": "1"}
        sound = None
        if audio is not None:
            sound = container.add_stream("pcm_s16le", rate=RATE)
            sound.layout = "mono"
        for k in range(frames):
            picture = np.full((36, 64, 3), (k * 3) % 255, np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        if sound is not None and audio is not None:
            pcm = np.clip(np.rint(audio * 32767), -32768, 32767).astype(np.int16)
            for start in range(0, pcm.size, 4800):
                frame = av.AudioFrame.from_ndarray(
                    pcm[None, start : start + 4800], format="s16", layout="mono"
                )
                frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
                for packet in sound.encode(frame):
                    container.mux(packet)
        for stream in (video, sound):
            if stream is not None:
                for packet in stream.encode():
                    container.mux(packet)
    return path
