"""Degradations of generative and web footage, applied on the fly to clean patches.

One random recipe per patch, in the order a picture meets them on its way to an 8-bit
web delivery:

1. mild optical blur (Gaussian, σ up to 1.0 high-resolution pixels), half the time —
   ×2 models only: a ×1 model that guessed at a blur that may not be there would sharpen
   clean plates;
2. downscale by the model's factor with one of several anti-aliasing kernels (area,
   Gaussian pre-filter + bicubic, Gaussian pre-filter + Lanczos, bilinear) — ×1 models
   skip it;
3. sensor-like noise: signal-dependent (shot) plus constant (read) noise, σ up to
   10/255 at mid-grey, partly correlated between channels;
4. BT.709 narrow-range 8-bit Y'CbCr 4:2:0 (swscale through PyAV), which also bands
   smooth gradients;
5. H.264 (libx264) or HEVC (libx265) coding through PyAV at CRF 18–40 with the patch
   panning by a pixel a frame, keeping a P-frame (inter-coded artifacts, as in web
   delivery); a fifth of the patches are only quantised.

The decoded picture (R'G'B' float32 in [0, 1]) is the network's input, the clean patch
its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.float32]

KERNELS = ("area", "bicubic", "lanczos", "bilinear")
CODECS = {"libx264": (18, 40), "libx265": (20, 38)}
#: Frames coded per patch; the last (a P-frame) is kept.
GOP = 3


@dataclass(frozen=True)
class Recipe:
    """The degradation drawn for one patch."""

    blur_sigma: float
    kernel: str
    noise_sigma: float  # at mid-grey, 0-1 units
    shot_share: float  # part of the noise variance that grows with the signal
    codec: str | None
    crf: int

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Recipe:
        codec = None if rng.random() < 0.2 else str(rng.choice(list(CODECS)))
        low, high = CODECS[codec] if codec else (0, 0)
        return cls(
            blur_sigma=float(rng.uniform(0.3, 1.0)) if rng.random() < 0.5 else 0.0,
            kernel=str(rng.choice(KERNELS)),
            noise_sigma=float(rng.uniform(0, 10 / 255)) if rng.random() < 0.8 else 0.0,
            shot_share=float(rng.uniform(0, 1)),
            codec=codec,
            crf=int(rng.integers(low, high + 1)) if codec else 0,
        )


def downscale(picture: Image, factor: int, kernel: str) -> Image:
    if factor == 1:
        return picture
    h, w = picture.shape[:2]
    size = (w // factor, h // factor)
    if kernel == "area":
        return cv2.resize(picture, size, interpolation=cv2.INTER_AREA)
    if kernel == "bilinear":
        return cv2.resize(picture, size, interpolation=cv2.INTER_LINEAR)
    # Anti-alias first: σ ≈ 0.5·factor keeps aliasing low without over-softening.
    smooth = cv2.GaussianBlur(picture, (0, 0), 0.5 * factor)
    flag = cv2.INTER_CUBIC if kernel == "bicubic" else cv2.INTER_LANCZOS4
    return cv2.resize(smooth, size, interpolation=flag)


def add_noise(picture: Image, recipe: Recipe, rng: np.random.Generator) -> Image:
    if recipe.noise_sigma == 0:
        return picture
    variance = recipe.noise_sigma**2 * (
        (1 - recipe.shot_share) + recipe.shot_share * 2 * np.clip(picture, 0, 1)
    )
    luma_noise = rng.standard_normal((*picture.shape[:2], 1)).astype(np.float32)
    chroma_noise = rng.standard_normal(picture.shape).astype(np.float32)
    mix = 0.6  # sensor noise after demosaicing is strongly correlated between channels
    noise = np.sqrt(mix) * luma_noise + np.sqrt(1 - mix) * chroma_noise
    return picture + noise * np.sqrt(variance).astype(np.float32)


def code_8bit(picture: Image, recipe: Recipe, rng: np.random.Generator) -> Image:
    """8-bit 4:2:0 BT.709 narrow range, optionally H.264/HEVC coded; decoded to R'G'B'."""
    h, w = picture.shape[:2]
    codes = np.clip(np.rint(picture * 255), 0, 255).astype(np.uint8)
    frames = []
    for i in range(GOP):
        shifted = np.roll(codes, (i, i), axis=(0, 1)) if recipe.codec else codes
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(shifted), format="rgb24")
        frame.colorspace = av.video.reformatter.Colorspace.ITU709
        frames.append(
            frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
        )
    decoded = [frames[-1]] if recipe.codec is None else _encode_decode(frames, w, h, recipe)
    rgb = (
        decoded[-1]
        .reformat(format="rgb24", src_colorspace="ITU709", src_color_range="MPEG")
        .to_ndarray()
    )
    if recipe.codec:  # undo the pan of the kept frame so input and target line up
        rgb = np.roll(rgb, (-(GOP - 1), -(GOP - 1)), axis=(0, 1))
    return rgb.astype(np.float32) / 255.0


def _encode_decode(frames: list[av.VideoFrame], w: int, h: int, recipe: Recipe) -> list:
    codec = av.CodecContext.create(recipe.codec, "w")
    codec.width, codec.height, codec.pix_fmt = w, h, "yuv420p"
    codec.time_base = Fraction(1, 24)
    codec.framerate = Fraction(24, 1)
    options = {"crf": str(recipe.crf), "preset": "veryfast", "threads": "1"}
    if recipe.codec == "libx264":
        options["x264-params"] = "bframes=0"
    else:
        options["x265-params"] = "bframes=0:log-level=none:pools=1:frame-threads=1"
    codec.options = options
    packets = []
    for i, frame in enumerate(frames):
        frame.pts = i
        packets.extend(codec.encode(frame))
    packets.extend(codec.encode(None))
    decoder = av.CodecContext.create("h264" if recipe.codec == "libx264" else "hevc", "r")
    out = []
    for packet in packets:
        out.extend(decoder.decode(packet))
    out.extend(decoder.decode(None))
    return out


def degrade(
    clean: Image, factor: int, rng: np.random.Generator, recipe: Recipe | None = None
) -> Image:
    """The network input for a clean (H, W, 3) patch; H and W divisible by 2·factor."""
    recipe = recipe or Recipe.draw(rng)
    picture = clean
    if recipe.blur_sigma and factor > 1:
        picture = cv2.GaussianBlur(picture, (0, 0), recipe.blur_sigma)
    picture = downscale(picture, factor, recipe.kernel)
    picture = add_noise(picture, recipe, rng)
    return code_8bit(picture, recipe, rng)
