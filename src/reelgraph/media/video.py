"""Streaming video: read frames as float32 R'G'B', write them with a codec preset.

Memory is one decoded frame at a time (plus the codec's own buffers), whatever the clip
length. Y'CbCr planes are read at their native bit depth and converted with the stream's
own matrix and range (:mod:`reelgraph.media.colour`), so 10- and 12-bit sources keep their
precision. Writers convert back with the preset's tag, and set the same tag in the stream
so every output probes with correct colour metadata.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import av.error
import cv2
import numpy as np
import numpy.typing as npt

from reelgraph.errors import MediaError, UnsupportedMediaError
from reelgraph.media.colour import (
    BT709,
    ColourTag,
    luma_from_codes,
    rgb_to_ycbcr,
    ycbcr_to_rgb,
)
from reelgraph.media.probe import MediaInfo, VideoStreamInfo, open_container, probe
from reelgraph.orchestrator.threads import worker_threads

Frame = npt.NDArray[np.float32]


@dataclass(frozen=True)
class DecodedFrame:
    """One frame: its index in the clip, R'G'B' float32 (H, W, 3) and its colour tag.

    ``ycbcr`` holds the decoded integer planes as coded — chroma at its own (subsampled)
    size — when the source is Y'CbCr and the reader keeps them, for checks that must see
    code values (legal range). ``luma`` is Y′ float32 (H, W) read from the coded Y′ plane
    when the reader was asked for it and the source is Y'CbCr; ``rgb`` is then at most the
    reader's ``rgb_width`` wide (see :class:`VideoReader`)."""

    index: int
    rgb: Frame
    tag: ColourTag
    bits: int
    ycbcr: tuple[npt.NDArray[np.uint16], ...] | None = None
    luma: Frame | None = None


def _plane(frame: av.VideoFrame, i: int, dtype: type, width: int, height: int) -> npt.NDArray[Any]:
    plane = frame.planes[i]
    item = np.dtype(dtype).itemsize
    data: npt.NDArray[Any] = np.frombuffer(plane, dtype=dtype)
    return data.reshape(-1, plane.line_size // item)[:height, :width]


def _canonical_format(pix_fmt: str) -> str:
    """The planar format a frame is read from; packed/semi-planar ones are converted
    losslessly (same matrix, depth and subsampling) by swscale."""
    if (
        pix_fmt.startswith(("yuv", "gbrp"))
        and "p" in pix_fmt[3:]
        and not pix_fmt.startswith("yuva")
    ):
        return pix_fmt.replace("yuvj", "yuv")
    semi = {"nv12": "yuv420p", "nv21": "yuv420p", "p010le": "yuv420p10le", "nv16": "yuv422p"}
    if pix_fmt in semi:
        return semi[pix_fmt]
    if pix_fmt.startswith("yuva"):
        return pix_fmt.replace("yuva", "yuv")  # alpha is dropped explicitly (see reader)
    return "gbrp16le"


class VideoReader:
    """Iterate the frames of the first video stream as :class:`DecodedFrame`.

    Variable-frame-rate input is refused with a hint unless ``conform`` is set, in which
    case frames are resampled onto the constant grid of the average rate (repeating or
    dropping by presentation time), so nothing is silently mistimed. ``only``: yield just
    those frame numbers; the others are decoded (the codec needs them) but not converted,
    which is most of a frame's cost.

    ``luma`` with ``rgb_width``: for checkers that need luma at full size and colour only
    at a small one (QC). A Y'CbCr source's frames then carry ``luma`` from the coded Y′
    plane and R′G′B′ made from the planes area-averaged to at most ``rgb_width`` pixels
    wide (the conversion is affine, so this is the full picture area-averaged), which saves
    the full-size conversion (most of a 2160p frame's reading cost). An R′G′B′-coded
    source's frames come whole, without ``luma``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        start: int = 0,
        stop: int | None = None,
        conform: bool = False,
        keep_ycbcr: bool = False,
        only: Collection[int] | None = None,
        luma: bool = False,
        rgb_width: int | None = None,
    ) -> None:
        if rgb_width is not None and (not luma or rgb_width < 1):
            raise ValueError("rgb_width needs luma=True and at least one pixel")
        self.path = Path(path)
        self.info: MediaInfo = probe(self.path)
        self.stream_info: VideoStreamInfo = self.info.first_video
        if self.stream_info.variable_frame_rate and not conform:
            raise UnsupportedMediaError(
                f"{self.path}: variable frame rate",
                path=self.path,
                hint="re-encode at a constant frame rate, or ingest with --conform to resample "
                f"onto {float(self.stream_info.frame_rate):.3f} fps",
            )
        self.start = max(0, start)
        count = self.stream_info.conformed_frames if conform else self.stream_info.frame_count
        self.stop = count if stop is None else min(stop, count)
        self.only = None if only is None else frozenset(only)
        self.frame_count = count
        self.conform = conform
        self.keep_ycbcr = keep_ycbcr
        self.luma = luma
        self.rgb_width = rgb_width
        self.tag = self.stream_info.colour
        self.bits = self.stream_info.bit_depth

    @property
    def frame_rate(self) -> Fraction:
        return self.stream_info.frame_rate

    @property
    def size(self) -> tuple[int, int]:
        return self.stream_info.width, self.stream_info.height

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def _convert(self, frame: av.VideoFrame, index: int) -> DecodedFrame:
        fmt = _canonical_format(frame.format.name)
        if fmt != frame.format.name:
            frame = frame.reformat(format=fmt)
        width, height = frame.width, frame.height
        bits = int(frame.format.components[0].bits)
        dtype = np.uint16 if bits > 8 else np.uint8
        if fmt.startswith("gbrp"):
            g, b, r = (_plane(frame, i, dtype, width, height) for i in range(3))
            rgb = np.dstack((r, g, b)).astype(np.float32) / float(2**bits - 1)
            return DecodedFrame(index, rgb, self.tag, bits)
        y = _plane(frame, 0, dtype, width, height)
        chroma_w = frame.format.chroma_width(width)
        chroma_h = frame.format.chroma_height(height)
        cb = _plane(frame, 1, dtype, chroma_w, chroma_h)
        cr = _plane(frame, 2, dtype, chroma_w, chroma_h)
        planes = (
            (y.astype(np.uint16), cb.astype(np.uint16), cr.astype(np.uint16))
            if self.keep_ycbcr
            else None
        )
        luma = luma_from_codes(y, bits, self.tag) if self.luma else None
        if self.rgb_width is not None and width > self.rgb_width:
            size = (self.rgb_width, max(1, round(height * self.rgb_width / width)))
            y, cb, cr = (
                cv2.resize(p.astype(np.float32), size, interpolation=cv2.INTER_AREA)
                for p in (y, cb, cr)
            )
        elif (chroma_w, chroma_h) != (width, height):
            # Bilinear chroma upsampling; cv2 keeps the integer dtype, so no float pass.
            cb = cv2.resize(cb, (width, height), interpolation=cv2.INTER_LINEAR)
            cr = cv2.resize(cr, (width, height), interpolation=cv2.INTER_LINEAR)
        rgb = ycbcr_to_rgb(y, cb, cr, bits, self.tag)
        return DecodedFrame(index, rgb, self.tag, bits, planes, luma)

    def _decoded(self) -> Iterator[tuple[int, av.VideoFrame]]:
        """(index on the constant-rate grid, frame) pairs in presentation order."""
        container = open_container(self.path)
        with container:
            stream = container.streams[self.stream_info.index]
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = worker_threads()
            rate = self.stream_info.frame_rate
            first_pts: int | None = None
            sequential = 0
            previous: av.VideoFrame | None = None
            try:
                for frame in container.decode(stream):
                    if not self.conform:
                        yield sequential, frame
                        sequential += 1
                        continue
                    pts = frame.pts if frame.pts is not None else 0
                    if first_pts is None:
                        first_pts = pts
                    t = float((pts - first_pts) * stream.time_base)
                    target = round(t * rate)
                    # Repeat the previous frame until this one's slot on the grid is reached.
                    while previous is not None and sequential < target:
                        yield sequential, previous
                        sequential += 1
                    if target >= sequential:
                        yield sequential, frame
                        sequential += 1
                    previous = frame
            except av.error.FFmpegError as exc:
                raise MediaError(
                    f"{self.path}: decoding failed after frame {sequential - 1} ({exc})",
                    path=self.path,
                    frame=sequential,
                    hint="the file is damaged from that point; re-export it, or trim to the "
                    "frames before it",
                ) from exc

    def __iter__(self) -> Iterator[DecodedFrame]:
        last = (
            self.stop - 1 if self.only is None else min(self.stop - 1, max(self.only, default=-1))
        )
        for index, frame in self._decoded():
            if index > last:
                break
            if index >= self.start and (self.only is None or index in self.only):
                yield self._convert(frame, index)


@dataclass(frozen=True)
class VideoPreset:
    """How a writer encodes: codec, pixel format, container options and colour tag."""

    name: str
    codec: str
    pix_fmt: str
    extension: str
    options: dict[str, str] = field(default_factory=dict)
    tag: ColourTag = BT709
    description: str = ""


# Encoder settings are fixed (threads included) so the same input gives the same bytes;
# FFV1's bytes depend on its slices, not on its threads, so its writers take the worker's
# thread budget (:data:`SLICE_THREADED`).
PRESETS: dict[str, VideoPreset] = {
    p.name: p
    for p in (
        VideoPreset(
            "ffv1-rgb16",
            "ffv1",
            "gbrp16le",
            ".mkv",
            {"level": "3", "slices": "4", "slicecrc": "1", "threads": "1"},
            BT709.with_(matrix="gbr", range="pc"),
            "lossless 16-bit R'G'B' intermediate (FFV1 version 3)",
        ),
        VideoPreset(
            "ffv1",
            "ffv1",
            "yuv444p10le",
            ".mkv",
            {"level": "3", "slices": "4", "slicecrc": "1", "threads": "1"},
            BT709,
            "lossless archive / measurement master (FFV1, 10-bit 4:4:4)",
        ),
        VideoPreset(
            "h264",
            "libx264",
            "yuv420p",
            ".mp4",
            {"crf": "18", "preset": "medium", "threads": "2", "x264-params": "keyint=48"},
            BT709,
            "H.264 8-bit 4:2:0 BT.709 for review and web",
        ),
        VideoPreset(
            "prores",
            "prores_ks",
            "yuv422p10le",
            ".mov",
            {"profile": "3", "vendor": "apl0", "threads": "2"},
            BT709,
            "Apple ProRes 422 HQ 10-bit BT.709",
        ),
        VideoPreset(
            "prores4444",
            "prores_ks",
            "yuv444p10le",
            ".mov",
            {"profile": "4", "vendor": "apl0", "threads": "2"},
            BT709,
            "Apple ProRes 4444 10-bit",
        ),
        VideoPreset(
            "hevc-hdr10",
            "libx265",
            "yuv420p10le",
            ".mp4",
            {
                "crf": "18",
                "preset": "fast",
                "x265-params": "pools=2:log-level=error:hdr10=1:"
                "repeat-headers=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc",
            },
            ColourTag("bt2020", "smpte2084", "bt2020nc", "tv"),
            "HEVC Main 10, BT.2020 PQ with HDR10 static metadata",
        ),
    )
}


#: Codecs whose output bytes do not depend on the number of encoding threads.
SLICE_THREADED = frozenset({"ffv1"})


def hdr10_params(max_cll: int, max_fall: int, peak_nits: float = 1000.0) -> str:
    """x265 parameters for HDR10 static metadata (SMPTE ST 2086 mastering display with
    BT.2020 primaries and D65 white, CTA-861.3 MaxCLL/MaxFALL).

    Primaries are in 0.00002 units and luminance in 0.0001 cd/m², as x265 expects."""
    display = (
        f"G(8500,39850)B(6550,2300)R(35400,14600)WP(15635,16450)L({int(peak_nits * 10000)},50)"
    )
    return f"master-display={display}:max-cll={max_cll},{max_fall}"


class VideoWriter:
    """Write R'G'B' float32 frames through a :data:`PRESETS` entry.

    The file is written to ``path`` directly; callers that need atomicity (the artifact
    store) give a path inside a temporary folder and rename the folder when done.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        width: int,
        height: int,
        frame_rate: Fraction,
        preset: str = "ffv1-rgb16",
        extra_options: dict[str, str] | None = None,
        audio: tuple[int, str] | None = None,
        content: ColourTag | None = None,
    ) -> None:
        """``content`` names the primaries and transfer of the frames written when they
        differ from the preset's (a lossless intermediate of a BT.2020 source, say); the
        matrix and range always come from the preset."""
        if preset not in PRESETS:
            raise MediaError(
                f"unknown video preset {preset!r}", hint=f"valid presets: {', '.join(PRESETS)}"
            )
        self.preset = PRESETS[preset]
        base = self.preset.tag
        self._tag = (
            base.with_(primaries=content.primaries, transfer=content.transfer, assumed=())
            if content is not None
            else base
        )
        fmt = av.VideoFormat(self.preset.pix_fmt)
        subsampled = (fmt.chroma_width(width), fmt.chroma_height(height)) != (width, height)
        if subsampled and (width % 2 or height % 2):
            raise MediaError(
                f"{preset} needs even dimensions, got {width}×{height}",
                hint="crop or pad to an even width and height (chroma is subsampled)",
            )
        self.path = Path(path)
        self.width, self.height = width, height
        self.bits = int(fmt.components[0].bits)
        self.container = av.open(str(self.path), "w", options={"fflags": "+bitexact"})
        options = dict(self.preset.options)
        if self.preset.codec in SLICE_THREADED:
            options["threads"] = str(worker_threads())
        if extra_options:
            for key, value in extra_options.items():
                if key == "x265-params" and key in options:
                    options[key] = f"{options[key]}:{value}"
                else:
                    options[key] = value
        try:
            self.stream = self.container.add_stream(
                self.preset.codec, rate=frame_rate, options=options
            )
        except ValueError as exc:
            self.container.close()
            raise MediaError(
                f"{self.path.name}: {exc}",
                hint=f"use the preset's extension {self.preset.extension}",
            ) from exc
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = self.preset.pix_fmt
        cc = self.stream.codec_context
        tag = self._tag
        cc.color_primaries, cc.color_trc = tag.primaries_code, tag.transfer_code
        cc.colorspace, cc.color_range = tag.matrix_code, tag.range_code
        cc.flags |= av.codec.context.Flags.bitexact
        self.audio_stream: av.audio.stream.AudioStream | None = None
        if audio is not None:
            rate, layout = audio
            codec = "pcm_s24le" if self.preset.extension in (".mov", ".mkv") else "aac"
            self.audio_stream = self.container.add_stream(codec, rate=rate, layout=layout)
        self.count = 0

    @property
    def tag(self) -> ColourTag:
        return self._tag

    def frame(self, rgb: Frame) -> av.VideoFrame:
        """The coded-format frame of an R'G'B' float32 (H, W, 3) picture, ready for
        :meth:`write_frame`. Safe to call from another thread than the writer's: an agent
        converts the next picture while the encoder works, and holds the small coded frame
        (25 MB at 2160p 10-bit 4:2:0) instead of the float picture (100 MB)."""
        if rgb.shape != (self.height, self.width, 3):
            raise MediaError(
                f"a frame is {rgb.shape}, the writer expects {(self.height, self.width, 3)}",
                hint="every frame of a clip must have the same size",
            )
        fmt = av.VideoFormat(self.preset.pix_fmt)
        frame = av.VideoFrame(self.width, self.height, self.preset.pix_fmt)
        dtype = np.uint16 if self.bits > 8 else np.uint8
        if fmt.is_rgb:
            top = float(2**self.bits - 1)
            code = np.clip(np.rint(rgb * top), 0, top).astype(dtype)
            planes = [code[..., 1], code[..., 2], code[..., 0]]  # planar order is G, B, R
        else:
            chroma = (fmt.chroma_width(self.width), fmt.chroma_height(self.height))
            planes = list(rgb_to_ycbcr(rgb, self.bits, self.preset.tag, chroma))
        item = np.dtype(dtype).itemsize
        for i, values in enumerate(planes):
            plane = frame.planes[i]
            if plane.line_size == values.shape[1] * item and values.flags.c_contiguous:
                plane.update(values)  # rows unpadded (1920, 960…): no padded copy needed
                continue
            padded = np.zeros((plane.height, plane.line_size // item), dtype)
            padded[:, : values.shape[1]] = values
            plane.update(padded)
        tag = self._tag
        frame.color_primaries, frame.color_trc = tag.primaries_code, tag.transfer_code
        frame.colorspace, frame.color_range = tag.matrix_code, tag.range_code
        return frame

    def write(self, rgb: Frame) -> None:
        self.write_frame(self.frame(rgb))

    def write_frame(self, frame: av.VideoFrame) -> None:
        """Encode a frame made by :meth:`frame` as the next one."""
        frame.pts = self.count
        self.count += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def write_audio(self, samples: npt.NDArray[np.float32], rate: int) -> None:
        """Mux a whole audio track (float32 (n, channels)) into the file."""
        if self.audio_stream is None:
            raise MediaError("writer was opened without an audio stream")
        from reelgraph.media.audio import encode_into

        encode_into(self.container, self.audio_stream, samples, rate)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.container.close()
