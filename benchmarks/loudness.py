"""Loudness benchmark: reelgraph vs FFmpeg's ebur128 filter vs pyloudnorm, same file, same run.

    python benchmarks/loudness.py [--minutes 10] [--repeats 3] [--channels 2]

Writes a seeded, programme-like 48 kHz float WAV (pink-ish noise and tone beds whose level
changes every few seconds, quiet scenes, transients), then times:

* reelgraph: PyAV decode + ``measure()`` (integrated, LRA, true peak in one pass);
* FFmpeg ``ebur128=peak=true`` (the binary from imageio-ffmpeg; decode included, as it is
  part of the command), summary parsed from stderr (it prints one decimal);
* pyloudnorm: integrated loudness and its Tech 3342 LRA (it has no true-peak meter).

Prints the best of ``--repeats`` wall times, speed ratios, and the LUFS/LRA/TP differences.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import av
import imageio_ffmpeg
import numpy as np
import pyloudnorm
from scipy import signal

from reelgraph.algorithms.audio import measure

RATE = 48000
T = TypeVar("T")


def programme(minutes: float, channels: int, seed: int = 20261121) -> np.ndarray:
    """Seeded programme-like audio: noise + tones, levels changing every 2–8 s."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * RATE)
    sos = signal.butter(1, 800, fs=RATE, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal((n, channels)), axis=0).astype(np.float32)
    t = np.arange(n, dtype=np.float64) / RATE
    tones = np.zeros(n, dtype=np.float32)
    for frequency, level in ((110.0, -12.0), (440.0, -18.0), (2500.0, -26.0)):
        tones += np.float32(10 ** (level / 20)) * np.sin(2 * np.pi * frequency * t).astype(
            np.float32
        )
    x = 0.25 * noise + 0.5 * tones[:, np.newaxis]
    # Scene levels: −45 … −10 dB gain steps every 2–8 s (LRA of a real mix), some near-silence.
    edges = np.cumsum(rng.uniform(2, 8, int(minutes * 60 / 2) + 2) * RATE).astype(int)
    edges = edges[edges < n]
    levels = rng.uniform(-30, -8, edges.size + 1)
    levels[rng.random(levels.size) < 0.08] = -80.0
    gain = np.repeat(10 ** (levels / 20), np.diff(np.concatenate(([0], edges, [n]))))
    x *= gain[:, np.newaxis].astype(np.float32)
    hits = rng.integers(0, n - 2000, int(minutes * 30))
    for h in hits:  # transients for true peak
        x[h : h + 200] *= np.float32(rng.uniform(3, 12))
    return np.clip(x, -1.5, 1.5)


def write_wav(path: Path, x: np.ndarray) -> None:
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[x.shape[1]]
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_f32le", rate=RATE, layout=layout)
        for start in range(0, x.shape[0], RATE):
            block = np.ascontiguousarray(x[start : start + RATE], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout=layout)
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def decode(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        blocks = [frame.to_ndarray().reshape(-1, channels) for frame in container.decode(stream)]
        return np.concatenate(blocks), int(stream.rate)


def ffmpeg_ebur128(path: Path) -> dict[str, float]:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostats", "-hide_banner", "-i", str(path),
               "-af", "ebur128=peak=true", "-f", "null", "-"]  # fmt: skip
    stderr = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    summary = stderr[stderr.rindex("Summary:") :]

    def number(label: str) -> float:
        match = re.search(rf"{label}:\s+(-?[\d.]+|-inf)", summary)
        if match is None:
            raise RuntimeError(f"no {label} in FFmpeg summary:\n{summary}")
        return float(match.group(1))

    return {"I": number("I"), "LRA": number("LRA"), "TP": number("Peak")}


def best_of(repeats: int, run: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--channels", type=int, default=2, choices=(1, 2, 6))
    args = parser.parse_args()

    x = programme(args.minutes, args.channels)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "programme.wav"
        write_wav(path, x)
        size_mb = path.stat().st_size / 1e6
        print(f"{args.minutes:g} min, {args.channels} ch, 48 kHz float WAV: {size_mb:.0f} MB")

        t_decode, (samples, rate) = best_of(args.repeats, lambda: decode(path))
        t_measure, ours = best_of(args.repeats, lambda: measure(samples, rate))
        t_ffmpeg, theirs = best_of(args.repeats, lambda: ffmpeg_ebur128(path))
        meter = pyloudnorm.Meter(rate)
        if samples.shape[1] <= 5:  # pyloudnorm refuses more than five channels
            as64 = samples.astype(np.float64)
            t_pln, pln_i = best_of(1, lambda: meter.integrated_loudness(as64))
            t_pln_lra, pln_lra = best_of(1, lambda: meter.loudness_range(as64))
        else:
            t_pln = t_pln_lra = pln_i = pln_lra = float("nan")

    ours_total = t_decode + t_measure
    print(f"\n{'meter':32s}{'seconds':>9s}{'I LUFS':>10s}{'LRA LU':>9s}{'TP dBTP':>9s}")
    print(f"{'reelgraph decode+measure':32s}{ours_total:9.2f}{ours.integrated_lufs:10.2f}"
          f"{ours.lra_lu:9.2f}{ours.true_peak_dbtp:9.2f}")  # fmt: skip
    print(f"{'  (decode / measure)':32s}{t_decode:5.2f} / {t_measure:.2f}")
    print(f"{'ffmpeg ebur128=peak=true':32s}{t_ffmpeg:9.2f}{theirs['I']:10.1f}"
          f"{theirs['LRA']:9.1f}{theirs['TP']:9.1f}")  # fmt: skip
    print(f"{'pyloudnorm integrated':32s}{t_pln:9.2f}{pln_i:10.2f}{'':>9s}{'n/a':>9s}")
    print(f"{'pyloudnorm loudness_range':32s}{t_pln_lra:9.2f}{'':>10s}{pln_lra:9.2f}")
    print(
        f"\nspeed: reelgraph is {t_ffmpeg / ours_total:.2f}x FFmpeg ebur128 (decode included), "
        f"{(t_pln + t_pln_lra) / t_measure:.1f}x pyloudnorm (I+LRA, no decode, no TP)"
    )
    d_i = ours.integrated_lufs - theirs["I"]
    d_lra = ours.lra_lu - theirs["LRA"]
    d_tp = ours.true_peak_dbtp - theirs["TP"]
    print(
        f"differences vs FFmpeg (which prints 0.1 resolution): I {d_i:+.2f} LU, "
        f"LRA {d_lra:+.2f} LU, TP {d_tp:+.2f} dB"
    )
    print(
        f"differences vs pyloudnorm: I {ours.integrated_lufs - pln_i:+.3f} LU (its default filter "
        f"approximates K-weighting), LRA {ours.lra_lu - pln_lra:+.2f} LU (it appends 1.5 s of "
        "silence and interpolates percentiles); pyloudnorm has no true-peak meter"
    )
    within = abs(ours.integrated_lufs - theirs["I"]) <= 0.1 + 0.05
    print(f"target: at least as fast as FFmpeg: {ours_total <= t_ffmpeg}; within 0.1 LU: {within}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
