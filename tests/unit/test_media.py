"""Media I/O: probe, lossless round trips at full precision, colour tags, EXR, audio, VFR."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from reelgraph.errors import MediaError, MediaNotFoundError, UnsupportedMediaError
from reelgraph.media.audio import read_audio, resampled, write_audio
from reelgraph.media.colour import LUMA_COEFFICIENTS, ColourTag, rgb_to_ycbcr, ycbcr_to_rgb
from reelgraph.media.exr import read_exr, write_exr
from reelgraph.media.probe import open_container, probe
from reelgraph.media.video import PRESETS, VideoReader, VideoWriter


def gradient(width: int = 64, height: int = 48) -> np.ndarray:
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)
    y = np.linspace(0.2, 0.8, height, dtype=np.float32)[:, None]
    return np.dstack(
        [
            np.broadcast_to(x, (height, width)),
            np.broadcast_to(y, (height, width)),
            np.broadcast_to(1 - x, (height, width)),
        ]
    ).astype(np.float32)


def write_clip(path: Path, preset: str, frames: int = 3, **kw: object) -> np.ndarray:
    image = gradient()
    with VideoWriter(path, width=64, height=48, frame_rate=Fraction(25), preset=preset, **kw) as w:  # type: ignore[arg-type]
        for _ in range(frames):
            w.write(image)
    return image


@pytest.mark.parametrize("matrix", ["bt709", "smpte170m", "bt2020nc"])
@pytest.mark.parametrize("bits", [8, 10, 12])
@pytest.mark.parametrize("colour_range", ["tv", "pc"])
def test_ycbcr_round_trip_within_half_a_code_value(
    matrix: str, bits: int, colour_range: str
) -> None:
    tag = ColourTag(matrix=matrix, range=colour_range)
    rgb = np.random.default_rng(1).uniform(0.05, 0.95, (16, 16, 3)).astype(np.float32)
    y, cb, cr = rgb_to_ycbcr(rgb, bits, tag)
    back = ycbcr_to_rgb(y, cb, cr, bits, tag)
    step = 1.0 / (219 * 2 ** (bits - 8)) if colour_range == "tv" else 1.0 / (2**bits - 1)
    assert np.abs(back - rgb).max() <= 2.5 * step


@pytest.mark.parametrize("bits", [8, 10])
@pytest.mark.parametrize("tag", [ColourTag(), ColourTag(range="pc"), ColourTag(matrix="bt2020nc")])
def test_ycbcr_codes_survive_the_round_trip_exactly(bits: int, tag: ColourTag) -> None:
    """Decode then encode gives back every code value (an untouched picture is untouched)."""
    rng = np.random.default_rng(bits)
    low, high = (0, 2**bits - 1)
    if tag.range == "tv":  # legal code values: the decoder's R'G'B' of these re-encodes
        step = 2 ** (bits - 8)
        low, high = 16 * step, 235 * step
    y = rng.integers(low, high + 1, (96, 128)).astype(np.uint16)
    cb = np.full_like(y, 2 ** (bits - 1))  # neutral: every Y' is reachable in R'G'B'
    cr = rng.integers(2 ** (bits - 1) - 4, 2 ** (bits - 1) + 5, y.shape).astype(np.uint16)
    back = rgb_to_ycbcr(ycbcr_to_rgb(y, cb, cr, bits, tag), bits, tag)
    for plane, expected in zip(back, (y, cb, cr), strict=True):
        np.testing.assert_array_equal(plane, expected)


def test_bt709_reference_white_and_black_code_values() -> None:
    white = np.ones((2, 2, 3), np.float32)
    y, cb, cr = rgb_to_ycbcr(white, 10, ColourTag())
    assert (y == 940).all() and (cb == 512).all() and (cr == 512).all()
    y, _, _ = rgb_to_ycbcr(np.zeros((2, 2, 3), np.float32), 10, ColourTag())
    assert (y == 64).all()


def test_probe_reports_what_a_supervisor_needs(tmp_path: Path) -> None:
    path = tmp_path / "clip.mov"
    write_clip(path, "prores", frames=5)
    data = probe(path).to_dict()
    video = data["streams"][0]
    assert data["schema"] == "reelgraph.Probe.1"
    assert (video["codec"], video["width"], video["height"]) == ("prores", 64, 48)
    assert video["frame_rate"] == "25/1" and video["frame_count"] == 5
    assert (video["pixel_format"], video["bit_depth"]) == ("yuv422p10le", 10)
    assert video["chroma_subsampling"] == "4:2:2"
    assert video["colour"] == {
        "primaries": "bt709",
        "transfer": "bt709",
        "matrix": "bt709",
        "range": "tv",
        "assumed": [],
    }
    assert video["variable_frame_rate"] is False


@pytest.mark.parametrize(("bits", "size"), [(8, (32, 24)), (10, (32, 24)), (10, (32, 48))])
def test_subsampled_chroma_is_the_box_average_of_full_chroma(
    bits: int, size: tuple[int, int]
) -> None:
    """4:2:0 and 4:2:2 chroma: each sample the mean of the full-size C'b/C'r it covers,
    rounded once (not the mean of rounded codes), and Y' as at full size."""
    tag = ColourTag(matrix="bt2020nc")
    rgb = np.random.default_rng(bits).uniform(0.0, 1.0, (48, 64, 3)).astype(np.float32)
    y, cb, cr = rgb_to_ycbcr(rgb, bits, tag, size)
    full_y, _, _ = rgb_to_ycbcr(rgb, bits, tag)
    np.testing.assert_array_equal(y, full_y)
    c_scale = 224 * 2 ** (bits - 8)  # narrow range (BT.2020-2 Table 5)
    k_r, k_b = LUMA_COEFFICIENTS["bt2020nc"]
    luma = rgb @ np.array([k_r, 1 - k_r - k_b, k_b], np.float32)
    centre = 2 ** (bits - 1)
    for plane, column, k in ((cb, 2, k_b), (cr, 0, k_r)):
        chroma = (rgb[..., column] - luma) / (2 * (1 - k)) * c_scale + centre
        mean = cv2.resize(chroma, size, interpolation=cv2.INTER_AREA)
        assert plane.shape == (size[1], size[0])
        assert np.abs(plane - mean).max() <= 0.5 + 1e-3


def test_lossless_16bit_intermediate_keeps_values(tmp_path: Path) -> None:
    path = tmp_path / "work.mkv"
    image = write_clip(path, "ffv1-rgb16")
    frames = list(VideoReader(path))
    assert len(frames) == 3
    assert np.abs(frames[0].rgb - image).max() < 1 / 65535 + 1e-7


def test_10bit_source_keeps_10bit_precision(tmp_path: Path) -> None:
    path = tmp_path / "archive.mkv"
    # Steps of one 10-bit code value would vanish in 8 bits.
    ramp = np.linspace(0.5, 0.5 + 8 / 876, 64, dtype=np.float32)
    image = np.dstack([np.broadcast_to(ramp, (48, 64))] * 3).astype(np.float32)
    with VideoWriter(path, width=64, height=48, frame_rate=Fraction(25), preset="ffv1") as w:
        w.write(image)
    frame = next(iter(VideoReader(path, keep_ycbcr=True)))
    assert frame.bits == 10
    assert len(np.unique(frame.ycbcr[0][0])) >= 8  # type: ignore[index]
    assert np.abs(frame.rgb - image).max() < 1.5 / 876


@pytest.mark.parametrize(("preset", "tag"), [("h264", "bt709"), ("hevc-hdr10", "bt2020nc")])
def test_luma_and_small_colour_match_the_full_picture(
    tmp_path: Path, preset: str, tag: str
) -> None:
    """A reader asked for luma and a small R'G'B' (QC's reading) gives the full picture's
    Y′ = K_R R′ + K_G G′ + K_B B′ and its area average, without making it."""
    path = tmp_path / f"clip{PRESETS[preset].extension}"
    rng = np.random.default_rng(3)
    with VideoWriter(path, width=128, height=72, frame_rate=Fraction(25), preset=preset) as w:
        # A picture with detail at the scale of the chroma samples, not single-pixel noise.
        noise = rng.uniform(0.05, 0.95, (72, 128, 3)).astype(np.float32)
        w.write(cv2.GaussianBlur(noise, (0, 0), 2.0))
    whole = next(iter(VideoReader(path)))
    split = next(iter(VideoReader(path, luma=True, rgb_width=32)))
    k_r, k_b = LUMA_COEFFICIENTS[tag]
    expected = whole.rgb @ np.array([k_r, 1 - k_r - k_b, k_b], np.float32)
    assert split.luma is not None and split.luma.shape == (72, 128)
    np.testing.assert_allclose(split.luma, expected, atol=1e-5)
    assert split.rgb.shape == (18, 32, 3)
    area = cv2.resize(whole.rgb, (32, 18), interpolation=cv2.INTER_AREA)
    # Chroma is averaged from its coded samples rather than after a bilinear upsampling:
    # the two differ where colour changes within a few pixels, by a code value or two.
    difference = np.abs(split.rgb - area)
    assert difference.mean() < 0.004 and difference.max() < 0.025
    assert whole.luma is None


@pytest.mark.parametrize(
    ("preset", "codec", "pix_fmt", "transfer", "primaries"),
    [
        ("h264", "h264", "yuv420p", "bt709", "bt709"),
        ("prores", "prores", "yuv422p10le", "bt709", "bt709"),
        ("prores4444", "prores", "yuv444p12le", "bt709", "bt709"),  # decoder reports 12-bit
        ("ffv1", "ffv1", "yuv444p10le", "bt709", "bt709"),
        ("hevc-hdr10", "hevc", "yuv420p10le", "smpte2084", "bt2020"),
    ],
)
def test_outputs_carry_correct_colour_tags(
    tmp_path: Path, preset: str, codec: str, pix_fmt: str, transfer: str, primaries: str
) -> None:
    path = tmp_path / f"out{PRESETS[preset].extension}"
    write_clip(path, preset)
    video = probe(path).first_video
    assert (video.codec, video.pixel_format) == (codec, pix_fmt)
    assert (video.colour.transfer, video.colour.primaries) == (transfer, primaries)
    assert video.colour.assumed == ()


def test_exr_keeps_values_above_one_and_chromaticities(tmp_path: Path) -> None:
    rgb = np.full((4, 6, 3), 0.18, np.float32)
    rgb[0, 0] = (4.0, 16.0, 0.5)
    for pixel_type in ("half", "float"):
        path = tmp_path / f"plate_{pixel_type}.exr"
        write_exr(path, rgb, pixel_type=pixel_type, primaries="bt2020")
        back, chroma = read_exr(path)
        assert back[0, 0].tolist() == [4.0, 16.0, 0.5]
        assert chroma is not None and chroma[0] == pytest.approx(0.708)


@pytest.mark.parametrize("channels", [1, 2, 6, 8])
def test_audio_round_trip_any_channel_count(tmp_path: Path, channels: int) -> None:
    rng = np.random.default_rng(channels)
    samples = (rng.uniform(-0.5, 0.5, (4800, channels))).astype(np.float32)
    for suffix in (".wav", ".flac"):
        path = tmp_path / f"a{suffix}"
        write_audio(path, samples, 48000)
        track = read_audio(path)
        assert track.samples.shape == samples.shape and track.rate == 48000
        assert np.abs(track.samples - samples).max() < 2 / 2**23  # 24-bit


def test_resampled_sound_keeps_the_resamplers_tail(tmp_path: Path) -> None:
    """48 kHz stereo down to 16 kHz mono (what the speech recogniser hears): one second
    of sound stays one second; the resampler holds its last samples back until flushed."""
    path = tmp_path / "tone.wav"
    t = np.arange(48000) / 48000
    write_audio(path, np.repeat((0.3 * np.sin(2 * np.pi * 440 * t))[:, None], 2, 1), 48000)
    with open_container(path) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        stream = container.streams.audio[0]
        assert sum(out.samples for out in resampled(container.decode(stream), resampler)) == 16000


@pytest.mark.parametrize(("name", "codec"), [("sound.mkv", "flac"), ("sound.wav", None)])
def test_a_sound_stream_that_states_no_duration_lasts_as_long_as_its_file(
    tmp_path: Path, name: str, codec: str | None
) -> None:
    """Matroska states the file's duration, not the stream's; WAV states the stream's."""
    path = tmp_path / name
    write_audio(path, np.zeros((48000, 1), np.float32), 48000, codec=codec)
    assert probe(path).audio[0].duration_s == pytest.approx(1.0, abs=1e-3)


def test_audio_with_nan_is_refused_and_nothing_written(tmp_path: Path) -> None:
    bad = np.zeros((100, 2), np.float32)
    bad[5, 0] = np.nan
    with pytest.raises(MediaError, match="NaN"):
        write_audio(tmp_path / "bad.wav", bad, 48000)
    assert not (tmp_path / "bad.wav").exists()


def vfr_clip(path: Path) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        pts = [0, 40, 80, 200, 240, 400, 440, 480]  # gaps: not a constant rate
        for i, t in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 30, np.uint8), "rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_variable_frame_rate_is_refused_or_conformed(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mkv"
    vfr_clip(path)
    assert probe(path).first_video.variable_frame_rate
    with pytest.raises(UnsupportedMediaError) as refused:
        VideoReader(path)
    assert "constant frame rate" in refused.value.hint
    reader = VideoReader(path, conform=True)
    frames = list(reader)
    # 480 ms at the average rate: each slot shows the frame presented at that time.
    indices = [f.index for f in frames]
    assert indices == list(range(len(frames)))
    assert len(frames) == round(0.480 * float(reader.frame_rate)) + 1


@pytest.mark.parametrize("kind", ["empty", "text", "truncated", "directory", "missing"])
def test_bad_files_raise_clear_errors(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "bad.mov"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not a movie\n" * 20)
    elif kind == "truncated":
        good = tmp_path / "good.mp4"
        write_clip(good, "h264", frames=10)
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "directory":
        path.mkdir()
    with pytest.raises((MediaError, MediaNotFoundError)) as error:
        probe(path)
    assert error.value.hint
