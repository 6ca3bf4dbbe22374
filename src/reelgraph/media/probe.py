"""Probe a media file: container, duration and every stream, without decoding pictures.

The frame count and the constancy of the frame rate are measured by demuxing the video
packets (cheap: no decoding), because container headers are often wrong about both.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

from reelgraph.errors import MediaError, MediaNotFoundError
from reelgraph.media.colour import ColourTag, tag_from_codes

SCHEMA = "reelgraph.Probe.1"

# Elementary-stream demuxers: the file carries no timestamps, and FFmpeg reports the raw
# demuxer's default (25 fps) as the frame rate. Guessing it would retime the picture.
ELEMENTARY_VIDEO_FORMATS = frozenset(
    {"h264", "hevc", "vvc", "m4v", "mjpeg", "cavsvideo", "avs2", "avs3", "dirac", "rawvideo",
     "vc1", "obu", "h261", "h263"}
)  # fmt: skip


@dataclass(frozen=True)
class VideoStreamInfo:
    index: int
    codec: str
    width: int
    height: int
    frame_rate: Fraction
    frame_count: int
    pixel_format: str
    bit_depth: int
    chroma_subsampling: str
    colour: ColourTag
    variable_frame_rate: bool
    has_alpha: bool
    duration_s: float
    conformed_frames: int = 0  # frames on the constant grid of frame_rate (VFR sources)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = "video"
        data["frame_rate"] = f"{self.frame_rate.numerator}/{self.frame_rate.denominator}"
        data["frame_rate_float"] = round(float(self.frame_rate), 6)
        data["colour"] = self.colour.to_dict()
        return data


@dataclass(frozen=True)
class AudioStreamInfo:
    index: int
    codec: str
    sample_rate: int
    channels: int
    layout: str
    sample_format: str
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "audio", **asdict(self)}


@dataclass(frozen=True)
class MediaInfo:
    path: str
    container: str
    duration_s: float
    size_bytes: int
    video: list[VideoStreamInfo] = field(default_factory=list)
    audio: list[AudioStreamInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        streams = sorted(
            [s.to_dict() for s in self.video] + [s.to_dict() for s in self.audio],
            key=lambda s: int(s["index"]),
        )
        return {
            "schema": SCHEMA,
            "path": self.path,
            "container": self.container,
            "duration_s": round(self.duration_s, 6),
            "size_bytes": self.size_bytes,
            "streams": streams,
        }

    @property
    def first_video(self) -> VideoStreamInfo:
        if not self.video:
            raise MediaError(
                "no video stream", path=self.path, hint="pass a file that contains video"
            )
        return self.video[0]


def check_readable_file(path: str | Path) -> Path:
    """Refuse, with a hint, paths that cannot be media: missing, folders, empty, unreadable."""
    p = Path(path)
    if p.is_symlink() and not p.exists():
        raise MediaNotFoundError(
            f"{p}: broken link (its target is missing)",
            path=p,
            hint="point the link at the media, or copy the media in its place",
        )
    if not p.exists():
        raise MediaNotFoundError(f"{p}: no such file", path=p)
    if p.is_dir():
        raise MediaNotFoundError(
            f"{p}: is a directory, not a media file", path=p, hint="pass a file inside it"
        )
    if not p.is_file():
        raise MediaError(
            f"{p}: not a regular file (device, pipe or socket)",
            path=p,
            hint="pass a media file; reelgraph does not read from pipes or devices",
        )
    if not os.access(p, os.R_OK):
        raise MediaError(
            f"{p}: permission denied", path=p, hint="check the file's permissions (chmod +r)"
        )
    if p.stat().st_size == 0:
        raise MediaError(
            f"{p}: file is empty (0 bytes)",
            path=p,
            hint="the copy or render that made it probably failed; copy or export it again",
        )
    return p


def open_container(path: str | Path) -> av.container.InputContainer:
    p = check_readable_file(path)
    try:
        return av.open(str(p), "r")
    except (av.error.InvalidDataError, av.error.EOFError) as exc:
        raise MediaError(
            f"{p}: not a media file FFmpeg can read ({exc.strerror})",
            path=p,
            hint="check the file is complete (a truncated MP4 has no index) and of a media "
            "type; re-export or re-copy it",
        ) from exc
    except av.error.FFmpegError as exc:
        raise MediaError(f"{p}: cannot open ({exc})", path=p) from exc


def _bit_depth(pix_fmt: str) -> int:
    try:
        return int(av.VideoFormat(pix_fmt).components[0].bits)
    except (ValueError, IndexError):
        return 8


def _subsampling(pix_fmt: str) -> str:
    try:
        fmt = av.VideoFormat(pix_fmt)
    except ValueError:
        return "unknown"
    if fmt.is_rgb or len(fmt.components) < 3:
        return "4:4:4"
    wide, high = fmt.chroma_width(64), fmt.chroma_height(64)
    return {(64, 64): "4:4:4", (32, 64): "4:2:2", (32, 32): "4:2:0"}.get((wide, high), "other")


def _scan_video_packets(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> tuple[int, bool, int]:
    """Count packets, decide whether frame durations vary (variable frame rate), and count
    the frames a constant-rate grid at the stream's rate would hold."""
    pts_values: list[int] = []
    for packet in container.demux(stream):
        if packet.pts is not None and packet.size > 0:
            pts_values.append(packet.pts)
    if len(pts_values) < 3:
        return len(pts_values), False, len(pts_values)
    pts_values.sort()
    rate = stream.average_rate or stream.guessed_rate or 1
    span = float((pts_values[-1] - pts_values[0]) * stream.time_base)
    grid = round(span * float(rate)) + 1
    deltas = [b - a for a, b in itertools.pairwise(pts_values)]
    deltas.sort()
    typical = deltas[len(deltas) // 2]
    # A constant-rate stream may jitter by one tick from timestamp rounding; anything
    # more than 1/4 frame away from the typical duration is a real rate change.
    variable = any(abs(d - typical) > max(1, typical // 4) for d in deltas)
    return len(pts_values), variable, grid


def container_seconds(container: av.container.InputContainer) -> float:
    """The container's stated duration in seconds (0.0 when it states none)."""
    return float(container.duration / av.time_base) if container.duration else 0.0


def stream_seconds(stream: av.stream.Stream, container_s: float) -> float:
    """The stream's duration; one that states none lasts as long as the container."""
    return float(stream.duration * stream.time_base) if stream.duration else container_s


def probe(path: str | Path) -> MediaInfo:
    """Describe a media file; raises :class:`MediaError` with a hint when it cannot."""
    p = check_readable_file(path)
    container = open_container(p)
    with container:
        video: list[VideoStreamInfo] = []
        audio: list[AudioStreamInfo] = []
        duration = container_seconds(container)
        for stream in container.streams:
            if stream.type == "video":
                cc = stream.codec_context
                pix_fmt = cc.pix_fmt or "unknown"
                rate = stream.average_rate or stream.guessed_rate or stream.base_rate
                if not rate or container.format.name in ELEMENTARY_VIDEO_FORMATS:
                    raise MediaError(
                        f"{p}: the frame rate of video stream {stream.index} cannot be "
                        f"determined (a bare {container.format.name} stream carries no timing)",
                        path=p,
                        stream=stream.index,
                        hint="wrap it in a container at its true rate, e.g. 'ffmpeg "
                        f"-framerate 24 -i {p.name} -c copy {p.stem}.mov' (use its real rate)",
                    )
                is_rgb = pix_fmt.startswith(("gbr", "rgb", "bgr", "argb", "abgr"))
                tag = tag_from_codes(
                    cc.color_primaries,
                    cc.color_trc,
                    cc.colorspace,
                    cc.color_range,
                    cc.height,
                    is_rgb,
                )
                has_alpha = "a" in pix_fmt.replace("gray", "").split("p")[0] or "ya" in pix_fmt
                video.append(
                    VideoStreamInfo(
                        index=stream.index,
                        codec=cc.name,
                        width=cc.width,
                        height=cc.height,
                        frame_rate=Fraction(rate),
                        frame_count=0,
                        pixel_format=pix_fmt,
                        bit_depth=_bit_depth(pix_fmt),
                        chroma_subsampling=_subsampling(pix_fmt),
                        colour=tag,
                        variable_frame_rate=False,
                        has_alpha=has_alpha,
                        duration_s=stream_seconds(stream, duration),
                    )
                )
            elif stream.type == "audio":
                cc = stream.codec_context
                if not cc.sample_rate:
                    raise MediaError(
                        f"{p}: the sample rate of audio stream {stream.index} cannot be determined",
                        path=p,
                        stream=stream.index,
                        hint="re-export or re-wrap the sound with its sample rate stated "
                        "(e.g. as 48 kHz WAV)",
                    )
                audio.append(
                    AudioStreamInfo(
                        index=stream.index,
                        codec=cc.name,
                        sample_rate=cc.sample_rate,
                        channels=cc.channels,
                        layout=cc.layout.name,
                        sample_format=cc.format.name if cc.format else "unknown",
                        duration_s=stream_seconds(stream, duration),
                    )
                )
        if not video and not audio:
            raise MediaError(
                f"{p}: no audio or video streams",
                path=p,
                hint="pass a media file with picture or sound",
            )
    if video:
        # A second open keeps the demux pass independent of the header reading above.
        with open_container(p) as container:
            first = video[0]
            try:
                count, variable, grid = _scan_video_packets(
                    container, container.streams[first.index]
                )
            except av.error.FFmpegError as exc:
                raise MediaError(
                    f"{p}: damaged while reading packets ({exc})",
                    path=p,
                    hint="the file is corrupt or truncated; re-export or re-copy it",
                ) from exc
        if count == 0:
            raise MediaError(
                f"{p}: the video stream holds no frames",
                path=p,
                hint="the file is truncated or was never finished; re-export it",
            )
        video[0] = replace(
            first, frame_count=count, variable_frame_rate=variable, conformed_frames=grid
        )
    return MediaInfo(
        path=str(p),
        container=container.format.name,
        duration_s=duration,
        size_bytes=p.stat().st_size,
        video=video,
        audio=audio,
    )
