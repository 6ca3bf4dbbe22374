"""Audio: read any stream as float32 (samples, channels); write WAV/BWF, FLAC or mux.

Audio is small next to video (a 10-minute 48 kHz stereo track is 230 MB as float32), so a
track is read whole; the loudness algorithms need whole-programme gating anyway.
Channel order is FFmpeg's for the layout (5.1: FL FR FC LFE BL BR).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np
import numpy.typing as npt

from reelgraph.errors import MediaError
from reelgraph.media.probe import open_container, probe

Samples = npt.NDArray[np.float32]

LAYOUTS_BY_CHANNELS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 6: "5.1", 8: "7.1"}


@dataclass(frozen=True)
class AudioTrack:
    samples: Samples  # float32 (n, channels), full scale ±1.0
    rate: int
    layout: str
    channel_names: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / self.rate

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])


def resampled(
    frames: Iterable[av.AudioFrame], resampler: av.AudioResampler
) -> Iterator[av.AudioFrame]:
    """``frames`` through ``resampler``, then the samples it still holds: a resampler keeps
    some back (its filter's delay), and a read that skips the final flush ends short."""
    for frame in frames:
        yield from resampler.resample(frame)
    yield from resampler.resample(None)


def read_audio(path: str | Path, stream: int = 0) -> AudioTrack:
    """Decode audio stream ``stream`` (counted among audio streams) of a file."""
    info = probe(path)
    if len(info.audio) <= stream:
        raise MediaError(
            f"{path}: has no audio stream" + (f" #{stream}" if stream else ""),
            path=path,
            hint="pass a file with sound, or a separate WAV/BWF of the dialogue",
        )
    meta = info.audio[stream]
    chunks: list[Samples] = []
    with open_container(path) as container:
        st = container.streams.audio[stream]
        layout = st.codec_context.layout
        names = tuple(ch.name for ch in layout.channels)
        resampler = av.AudioResampler(format="flt", layout=layout, rate=meta.sample_rate)
        channels = len(names)
        try:
            for out in resampled(container.decode(st), resampler):
                chunks.append(out.to_ndarray().reshape(-1, channels))
        except av.error.FFmpegError as exc:
            raise MediaError(
                f"{path}: audio decoding failed ({exc})",
                path=path,
                hint="the file is damaged; re-export the audio",
            ) from exc
    samples = (
        np.concatenate(chunks, axis=0).astype(np.float32)
        if chunks
        else np.zeros((0, len(names)), np.float32)
    )
    return AudioTrack(samples, meta.sample_rate, layout.name, names)


def require_writable_folder(folder: Path) -> None:
    """Refuse a folder that cannot take a new file, before any work is done.

    Tried by creating a file (permission bits alone do not tell: a read-only mount, an ACL
    or a full disk refuse writes that ``os.access`` allows)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".reelgraph-write-test-"):
            pass
    except OSError as exc:
        raise MediaError(
            f"{folder}: the folder is not writable ({exc.strerror or exc})",
            path=folder,
            hint="write OUT into a folder you can write to, or fix the folder's permissions",
        ) from exc


def _layout_for(channels: int, layout: str | None) -> str:
    if layout:
        return layout
    if channels not in LAYOUTS_BY_CHANNELS:
        raise MediaError(
            f"no standard layout for {channels} channels", hint="pass layout= explicitly"
        )
    return LAYOUTS_BY_CHANNELS[channels]


def encode_into(
    container: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    samples: Samples,
    rate: int,
    block: int = 4096,
) -> None:
    """Encode float32 (n, channels) samples into an open output container's stream."""
    for packet in encode_packets(stream, samples, rate, block):
        container.mux(packet)


def encode_packets(
    stream: av.audio.stream.AudioStream, samples: Samples, rate: int, block: int = 4096
) -> Iterator[av.Packet]:
    """Encode float32 (n, channels) samples for ``stream``, yielding packets in order (for
    callers that interleave them with other streams' packets)."""
    if samples.ndim != 2:
        raise MediaError("audio samples must be shaped (samples, channels)")
    layout = stream.codec_context.layout.name
    fmt = stream.codec_context.format.name
    resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
    frame_size = stream.codec_context.frame_size or block

    def frames() -> Iterator[av.AudioFrame]:
        for start in range(0, samples.shape[0], frame_size):
            # Packed (interleaved) float: PyAV's planar path mishandles 8 or more channels.
            chunk = np.ascontiguousarray(samples[start : start + frame_size], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            yield frame

    for out in resampled(frames(), resampler):
        yield from stream.encode(out)
    yield from stream.encode(None)


CODECS = {".wav": "pcm_s24le", ".flac": "flac", ".bwf": "pcm_s24le"}


def write_audio(
    path: str | Path,
    samples: Samples,
    rate: int,
    *,
    layout: str | None = None,
    codec: str | None = None,
    description: str | None = None,
) -> None:
    """Write float32 (n, channels) to WAV/BWF (24-bit PCM) or FLAC.

    ``description`` goes into the BWF ``bext`` chunk (broadcast wave) for WAV files.
    NaN or infinite samples are refused rather than written as noise.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    if not np.isfinite(samples).all():
        raise MediaError(
            "audio holds NaN or infinite samples", hint="the processing before this step failed"
        )
    p = Path(path)
    suffix = p.suffix.lower()
    codec = codec or CODECS.get(suffix)
    if codec is None:
        raise MediaError(
            f"{p}: cannot tell the audio format from the extension",
            hint="use .wav, .bwf or .flac",
        )
    layout_name = _layout_for(samples.shape[1], layout)
    fmt = "wav" if suffix in (".wav", ".bwf") else None
    options = (
        {"write_bext": "1", "fflags": "+bitexact"} if fmt == "wav" else {"fflags": "+bitexact"}
    )
    try:
        # FFmpeg opens the file when the header is written, inside the block.
        with av.open(str(p), "w", format=fmt, options=options) as container:
            if description and fmt == "wav":
                container.metadata["description"] = description[:256]
            stream = container.add_stream(codec, rate=rate, layout=layout_name)
            if codec == "flac":
                stream.codec_context.format = "s32"  # 24-bit FLAC is carried in s32
            stream.codec_context.flags |= av.codec.context.Flags.bitexact
            encode_into(container, stream, samples, rate)
    except PermissionError as exc:
        raise MediaError(
            f"{p.parent}: the folder is not writable (permission denied)",
            path=p.parent,
            hint="write the file into a folder you can write to, or fix the folder's permissions",
        ) from exc
