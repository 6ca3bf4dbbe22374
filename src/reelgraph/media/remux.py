"""Replace the sound of a video file without touching its picture.

The video stream(s) are copied packet for packet (no decoding, no re-encoding: the bytes
of every video packet are the source's), and the new sound is encoded as 24-bit PCM in
QuickTime (``.mov``) and Matroska (``.mkv``) or as AAC in MP4 (``.mp4``, ``.m4v``), which
holds no PCM. Audio and video packets are interleaved by time. Other streams of the source
(its old sound, subtitles, data) are not carried over; the caller is told which.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.error

from reelgraph.errors import MediaError
from reelgraph.media.audio import Samples, encode_packets
from reelgraph.media.probe import open_container

#: Container extension → codec of the replacement sound.
AUDIO_CODECS = {".mov": "pcm_s24le", ".mkv": "pcm_s24le", ".mp4": "aac", ".m4v": "aac"}
#: AAC bit rate per channel, bit/s (transparent for dialogue at 48 kHz).
AAC_BITRATE_PER_CHANNEL = 96_000


def replace_audio(
    source: str | Path, destination: str | Path, samples: Samples, rate: int, layout: str
) -> list[str]:
    """Write ``destination``: the video streams of ``source`` copied untouched, plus
    ``samples`` (float32 ``(n, channels)``) in place of its first audio stream. Returns one
    note per other source stream that was not carried over (more audio, subtitles, data)."""
    out_path = Path(destination)
    codec = AUDIO_CODECS.get(out_path.suffix.lower())
    if codec is None:
        raise MediaError(
            f"{out_path}: cannot put video in a '{out_path.suffix}' file",
            hint=f"use one of {', '.join(AUDIO_CODECS)} for a video output, or .wav/.bwf/.flac "
            "for the sound alone",
        )
    dropped: list[str] = []
    with open_container(source) as src:
        videos = list(src.streams.video)
        if not videos:
            raise MediaError(f"{source}: has no video stream to copy", path=source)
        replaced = src.streams.audio[0].index if src.streams.audio else None
        dropped = [
            f"#{s.index} {s.type} ({s.codec_context.name if s.codec_context else 'unknown'})"
            for s in src.streams
            if s.type != "video" and s.index != replaced
        ]
        try:
            with av.open(str(out_path), "w", options={"fflags": "+bitexact"}) as dst:
                copies = {s.index: dst.add_stream_from_template(s) for s in videos}
                audio = dst.add_stream(codec, rate=rate, layout=layout)
                if codec == "aac":
                    audio.codec_context.bit_rate = AAC_BITRATE_PER_CHANNEL * samples.shape[1]
                audio.codec_context.flags |= av.codec.context.Flags.bitexact
                sound = encode_packets(audio, samples, rate)
                pending = next(sound, None)
                for packet in src.demux(*videos):
                    if packet.size == 0:  # the demuxer's end-of-stream marker
                        continue
                    stamp = packet.dts if packet.dts is not None else packet.pts
                    at = float(stamp * packet.time_base) if stamp is not None else None
                    while pending is not None and at is not None and _seconds(pending) <= at:
                        dst.mux(pending)
                        pending = next(sound, None)
                    packet.stream = copies[packet.stream.index]
                    dst.mux(packet)
                while pending is not None:
                    dst.mux(pending)
                    pending = next(sound, None)
        except (av.error.FFmpegError, ValueError) as exc:
            raise MediaError(
                f"{out_path}: cannot write the video stream(s) into this container ({exc})",
                path=out_path,
                hint="the container does not take this video codec: ProRes and FFV1 need .mov "
                "or .mkv; H.264/HEVC go in .mp4, .mov or .mkv",
            ) from exc
    return dropped


def _seconds(packet: av.Packet) -> float:
    stamp = packet.dts if packet.dts is not None else packet.pts
    if stamp is None or packet.time_base is None:
        return 0.0
    return float(stamp * Fraction(packet.time_base))
