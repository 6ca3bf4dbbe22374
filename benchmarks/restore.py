"""Benchmark: reelgraph's default restoration against FFmpeg chains on the same file.

Run on demand (not part of the test suite)::

    python benchmarks/restore.py            # 6 photographs x 24 frames
    python benchmarks/restore.py --quick    # 2 photographs x 12 frames

Recipe (seeded, deterministic), deliberately not the learned restorer's training recipe
(``training/restore/degrade.py``: random patches, one P-frame coded at a CRF, noise
partly correlated between channels, on other photographs):

1. Clean clips: photographs from ``skimage.data`` that training never sees (astronaut,
   coffee, chelsea, rocket, hubble_deep_field, immunohistochemistry) cropped to 16:9
   windows at their native scale, with a camera move of sub-pixel pan and a slow zoom
   (Lanczos warp).
2. Degradation: downscale x2 (area average), add independent Gaussian noise sigma =
   5/255 per channel, round to 8-bit BT.709 narrow-range Y'CbCr 4:2:0 and encode H.264
   with PyAV's libx264 (preset medium, B-frames, one GOP) at an average bitrate of
   ``--bpp`` bits per pixel (default 1.0; 0.4 is harsher, 2.0 milder).
3. Chains, each on that same .mp4 file, output at the clean resolution:

   * ``lanczos``: decode, Lanczos x2 (the baseline);
   * FFmpeg (imageio-ffmpeg's binary) ``hqdn3d``, ``hqdn3d=8:6:12:9``, ``nlmeans``
     (defaults) and ``nlmeans=s=3:p=5:r=9``, each followed by
     ``scale=iw*2:ih*2:flags=lanczos``;
   * ``reelgraph default``: decode, the plate analysis on 5 frames, ``decide_restore``
     (what ``reelgraph plan`` and ``reelgraph restore`` decide), then the restore
     agent's chain (deblock, temporal denoise, DCCI ×2 + multi-frame back-projection)
     via ``restore_stream``;
   * ``reelgraph learned``: the same decisions with the learned restorer as the upscaler
     (``reelgraph/models/restore_x2.onnx``, docs/models/restore.md).

   FFmpeg writes 16-bit 4:2:0 raw video; every chain's Y'CbCr is turned into R'G'B' by
   the same BT.709 narrow-range conversion in this script.
4. PSNR and SSIM (``skimage.metrics``, 8-pixel border excluded) against the clean
   frames; the largest motion-compensated local flicker of the output (the delivery
   QC's own measure, :class:`~reelgraph.algorithms.qc.flicker_warping_lai2018.FlickerTracker`,
   on BT.709 luma), which must not exceed lanczos's; frames per second of each chain
   (decode to restored frames, wall clock, best of ``--repeats`` runs) and CPU
   milliseconds per frame (all threads and child processes), which is steadier than wall
   clock on a shared machine.

The script prints a table and the ratios of reelgraph against the best other chain
(FFmpeg's or Lanczos alone) and against FFmpeg's default ``nlmeans`` chain.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import imageio_ffmpeg
import numpy as np
import skimage.data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from reelgraph.agents.restore import Restore, chain_params, load_models, measure_plate
from reelgraph.algorithms.qc.flicker_warping_lai2018 import FlickerTracker
from reelgraph.algorithms.restore._checks import luma_bt709
from reelgraph.algorithms.restore.chain import restore_stream
from reelgraph.plan.restoration import DEFAULT_UPSCALER, Target, decide_restore

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")
FPS = 24
NOISE_SIGMA = 5.0 / 255.0
BORDER = 8

# BT.709 narrow range (ITU-R BT.709-6 items 3.2-3.5).
KR, KB = 0.2126, 0.0722
KG = 1.0 - KR - KB


def rgb_to_yuv420_u8(rgb: np.ndarray) -> np.ndarray:
    """R'G'B' float [0, 1] -> yuv420p planes stacked as PyAV wants them (H*3/2, W)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = KR * r + KG * g + KB * b
    cb = (b - y) / (2 * (1 - KB))
    cr = (r - y) / (2 * (1 - KR))
    height, width = y.shape
    y8 = np.clip(np.rint(16 + 219 * y), 0, 255).astype(np.uint8)
    cb_s = cv2.resize(cb, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    cr_s = cv2.resize(cr, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    cb8 = np.clip(np.rint(128 + 224 * cb_s), 0, 255).astype(np.uint8)
    cr8 = np.clip(np.rint(128 + 224 * cr_s), 0, 255).astype(np.uint8)
    return np.concatenate([y8, cb8.reshape(-1, width), cr8.reshape(-1, width)], axis=0)


def yuv420_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray, bits: int) -> np.ndarray:
    """Narrow-range Y'CbCr 4:2:0 planes (8 or 16 bit) -> R'G'B' float32 [0, 1]."""
    scale = float(1 << (bits - 8))
    height, width = y.shape
    yf = (y.astype(np.float32) / scale - 16.0) / 219.0
    cbf = (cb.astype(np.float32) / scale - 128.0) / 224.0
    crf = (cr.astype(np.float32) / scale - 128.0) / 224.0
    cbf = cv2.resize(cbf, (width, height), interpolation=cv2.INTER_CUBIC)
    crf = cv2.resize(crf, (width, height), interpolation=cv2.INTER_CUBIC)
    r = yf + 2 * (1 - KR) * crf
    b = yf + 2 * (1 - KB) * cbf
    g = (yf - KR * r - KB * b) / KG
    return np.clip(np.stack([r, g, b], axis=-1), 0.0, 1.0)


def make_clean_clip(name: str, frames: int) -> list[np.ndarray]:
    """Sub-pixel pan + slow zoom inside a photograph, at its native scale."""
    photo = getattr(skimage.data, name)()[..., :3].astype(np.float32) / 255.0
    ph, pw = photo.shape[:2]
    width = int(min(pw * 0.85, ph * 0.85 * 16 / 9)) // 32 * 32
    height = int(width * 9 / 16) // 8 * 8
    clip = []
    for t in range(frames):
        zoom = 1.0 + 0.003 * t
        x0 = (pw - width * zoom) * (0.2 + 0.6 * t / max(frames - 1, 1))
        y0 = (ph - height * zoom) * (0.3 + 0.3 * t / max(frames - 1, 1)) + 0.37 * t
        matrix = np.float32([[zoom, 0, x0], [0, zoom, y0]])
        frame = cv2.warpAffine(
            photo, matrix, (width, height),
            flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT,
        )  # fmt: skip
        clip.append(np.clip(frame, 0.0, 1.0))
    return clip


def degrade_to_h264(clean: list[np.ndarray], path: Path, bpp: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    height, width = clean[0].shape[0] // 2, clean[0].shape[1] // 2
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = int(bpp * width * height * FPS)
        stream.options = {"preset": "medium", "g": str(len(clean))}
        ctx = stream.codec_context
        ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = 1, 1, 1, 1
        for frame in clean:
            small = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            noisy = np.clip(small + rng.normal(0, NOISE_SIGMA, small.shape), 0, 1)
            video = av.VideoFrame.from_ndarray(
                rgb_to_yuv420_u8(noisy.astype(np.float32)), format="yuv420p"
            )
            for packet in stream.encode(video):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def decode(path: Path) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            planes = frame.to_ndarray()  # (H*3/2, W) yuv420p
            h = frame.height
            y = planes[:h]
            chroma = planes[h:].reshape(2, h // 2, frame.width // 2)
            frames.append(yuv420_to_rgb(y, chroma[0], chroma[1], 8))
    return frames


def ffmpeg_chain(path: Path, vf: str, out: Path, width: int, height: int) -> list[np.ndarray]:
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(path), "-vf", vf,
        "-sws_flags", "lanczos+accurate_rnd", "-pix_fmt", "yuv420p16le", "-f", "rawvideo", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    raw = np.fromfile(out, dtype="<u2")
    frame_size = width * height * 3 // 2
    frames = []
    for i in range(raw.size // frame_size):
        planes = raw[i * frame_size : (i + 1) * frame_size]
        y = planes[: width * height].reshape(height, width)
        cb = planes[width * height : width * height * 5 // 4].reshape(height // 2, width // 2)
        cr = planes[width * height * 5 // 4 :].reshape(height // 2, width // 2)
        frames.append(yuv420_to_rgb(y, cb, cr, 16))
    return frames


@dataclass
class Score:
    psnr: list[float]
    ssim: list[float]
    flicker: list[float]
    frames: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def score(clean: list[np.ndarray], restored: list[np.ndarray], into: Score) -> None:
    if len(restored) != len(clean):
        raise RuntimeError(f"{len(restored)} frames restored, {len(clean)} expected")
    b = BORDER
    tracker = FlickerTracker()
    local = []
    for c, r in zip(clean, restored, strict=True):
        local.append(
            abs(tracker.push(np.clip(luma_bt709(r), 0, 1).astype(np.float32)).local_change)
        )
        c, r = c[b:-b, b:-b], r[b:-b, b:-b]
        into.psnr.append(peak_signal_noise_ratio(c, r, data_range=1.0))
        into.ssim.append(structural_similarity(c, r, channel_axis=2, data_range=1.0))
    into.flicker.append(float(np.nanmax(local)))


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def reelgraph_chain(path: Path, upscaler: str) -> list[np.ndarray]:
    """The decisions ``reelgraph plan``/``restore`` make (one function, decide_restore),
    then the chain the restore agent runs with them."""
    frames = decode(path)
    sample = frames[:: max(1, len(frames) // 5)][:5]
    plate = measure_plate(sample, bit_depth=8, colour=None)
    height, width = frames[0].shape[:2]
    target = Target("benchmark", 2 * width, 2 * height, bit_depth=10)
    decision = decide_restore(
        plate, target, source_bits=8, upscale=2, upscaler=upscaler, grain="off"
    )
    node = Restore.make_params(decision.params)
    params = chain_params(node, 2 * width, models=load_models(node))
    return [np.clip(f, 0, 1) for f in restore_stream(frames, params)]


def lanczos_chain(path: Path) -> list[np.ndarray]:
    out = []
    for frame in decode(path):
        h, w = frame.shape[:2]
        out.append(
            np.clip(cv2.resize(frame, (2 * w, 2 * h), interpolation=cv2.INTER_LANCZOS4), 0, 1)
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--photos", default=",".join(PHOTOS))
    parser.add_argument("--bpp", type=float, default=1.0, help="H.264 bits per pixel")
    parser.add_argument("--quick", action="store_true", help="2 photographs x 12 frames")
    parser.add_argument("--keep", type=Path, help="keep the degraded .mp4 files here")
    parser.add_argument("--repeats", type=int, default=2, help="timing runs per chain (best kept)")
    args = parser.parse_args(argv)
    photos = args.photos.split(",")
    frames = args.frames
    if args.quick:
        photos, frames = photos[:2], 12

    def ffmpeg(vf: str) -> Callable[[Path, Path, int, int], list[np.ndarray]]:
        return lambda p, o, w, h: ffmpeg_chain(p, f"{vf},scale=iw*2:ih*2:flags=lanczos", o, w, h)

    chains: dict[str, Callable[[Path, Path, int, int], list[np.ndarray]]] = {
        "lanczos (baseline)": lambda p, _o, _w, _h: lanczos_chain(p),
        "ffmpeg hqdn3d": ffmpeg("hqdn3d"),
        "ffmpeg hqdn3d=8:6:12:9": ffmpeg("hqdn3d=8:6:12:9"),
        "ffmpeg nlmeans": ffmpeg("nlmeans"),
        "ffmpeg nlmeans=s=3:p=5:r=9": ffmpeg("nlmeans=s=3:p=5:r=9"),
        "reelgraph default": lambda p, _o, _w, _h: reelgraph_chain(p, DEFAULT_UPSCALER),
        "reelgraph learned": lambda p, _o, _w, _h: reelgraph_chain(p, "learned"),
    }
    scores = {name: Score([], [], []) for name in chains}
    workdir = Path(tempfile.mkdtemp(prefix="reelgraph-bench-"))
    try:
        for index, photo in enumerate(photos):
            clean = make_clean_clip(photo, frames)
            height, width = clean[0].shape[:2]
            source = workdir / f"{photo}.mp4"
            degrade_to_h264(clean, source, args.bpp, seed=index)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, args.keep / source.name)
            kbit = source.stat().st_size * 8 / frames / 1000
            print(f"{photo}: clean {width}x{height}, degraded {width // 2}x{height // 2}, "
                  f"{frames} frames, {kbit:.1f} kbit/frame")  # fmt: skip
            for name, run in chains.items():
                # Best of `repeats` runs: the machine is shared, the minimum is the least
                # disturbed. CPU time counts this process and its children (FFmpeg).
                elapsed = cpu = float("inf")
                for _ in range(args.repeats):
                    start, cpu_start = time.perf_counter(), _cpu_seconds()
                    restored = run(source, workdir / "out.yuv", width, height)
                    elapsed = min(elapsed, time.perf_counter() - start)
                    cpu = min(cpu, _cpu_seconds() - cpu_start)
                scores[name].frames += len(restored)
                scores[name].seconds += elapsed
                scores[name].cpu_seconds += cpu
                before = len(scores[name].psnr)
                score(clean, restored, scores[name])
                print(f"  {name:28s} PSNR {np.mean(scores[name].psnr[before:]):6.2f} dB  "
                      f"SSIM {np.mean(scores[name].ssim[before:]):.4f}  "
                      f"flicker {1000 * scores[name].flicker[-1]:5.1f}  "
                      f"{len(restored) / elapsed:6.1f} fps  "
                      f"{1000 * cpu / len(restored):6.1f} CPU-ms/frame")  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"{'chain':28s} {'PSNR dB':>8s} {'SSIM':>7s} {'flicker':>8s} {'fps':>7s} "
          f"{'CPU-ms/frame':>13s}")  # fmt: skip
    for name, s in scores.items():
        print(f"{name:28s} {np.mean(s.psnr):8.2f} {np.mean(s.ssim):7.4f} "
              f"{1000 * np.mean(s.flicker):8.2f} {s.frames / s.seconds:7.1f} "
              f"{1000 * s.cpu_seconds / s.frames:13.1f}")  # fmt: skip
    peers = {n: s for n, s in scores.items() if not n.startswith("reelgraph")}
    best_name = max(peers, key=lambda n: np.mean(peers[n].psnr))
    best = peers[best_name]
    nlm = scores["ffmpeg nlmeans"]
    lanczos = scores["lanczos (baseline)"]
    print("\nflicker: the largest motion-compensated local change of the output's luma, per clip")
    print("(QC's measure, x1000; mean over clips)")
    print()
    for name in ("reelgraph default", "reelgraph learned"):
        ours = scores[name]
        worst = max(o / max(b, 1e-9) for o, b in zip(ours.flicker, lanczos.flicker, strict=True))
        wall = (ours.seconds / ours.frames) / (nlm.seconds / nlm.frames)
        flicker = np.mean(ours.flicker) / np.mean(lanczos.flicker)
        print(f"{name} vs the best other chain ({best_name}): "
              f"{np.mean(ours.psnr) - np.mean(best.psnr):+.2f} dB PSNR, "
              f"{np.mean(ours.ssim) - np.mean(best.ssim):+.4f} SSIM; wall time / FFmpeg "
              f"nlmeans (default) {wall:.2f}x, CPU time {ours.cpu_seconds / nlm.cpu_seconds:.2f}x; "
              f"flicker / lanczos {flicker:.2f} (worst clip {worst:.2f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
