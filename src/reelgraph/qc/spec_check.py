"""The ``spec`` check: does the file itself conform to the delivery spec?

Read from :func:`reelgraph.media.probe.probe` (no decoding): video codec, resolution,
frame rate (and whether it is constant), bit depth, pixel format, colour tags (primaries,
transfer, matrix, range — a value the stream does not carry, filled in by convention, is a
warning), duration (frame count against the expected one, and sound against picture), and
the sound's channel layout, sample rate and codec. Each mismatch is one finding covering
the whole file, naming what the file has and what the spec asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from reelgraph.algorithms.qc.findings import Finding
from reelgraph.media.probe import MediaInfo
from reelgraph.qc.audio_checks import effective_layout
from reelgraph.qc.profiles import QCProfile

__all__ = ["check_spec"]


def check_spec(
    info: MediaInfo,
    profile: QCProfile,
    *,
    frames: int,
    expected_frames: int | None = None,
    audio_duration_s: float | None = None,
) -> list[Finding]:
    """Findings for every way the file differs from ``profile.spec``."""
    req = profile.spec
    video = info.first_video
    rate = video.frame_rate
    standard = profile.standards()["spec"]
    last = max(0, frames - 1)
    findings: list[Finding] = []

    def add(
        what: str,
        message: str,
        value: float | None = None,
        limit: float | None = None,
        severity: str = "fail",
    ) -> None:
        findings.append(
            Finding.at(
                "spec",
                "warning" if severity == "warning" else "fail",
                0,
                last,
                rate,
                value,
                limit,
                standard,
                f"{what}: {message}",
            )
        )

    asks = f"the {profile.spec_name} spec asks for"
    if req.codec is not None and video.codec != req.codec:
        add("video codec", f"{video.codec}; {asks} {req.codec}")
    if (req.width is not None and video.width != req.width) or (
        req.height is not None and video.height != req.height
    ):
        add(
            "resolution",
            f"{video.width}×{video.height}; {asks} {req.width or video.width}×"
            f"{req.height or video.height}",
            video.width * video.height,
            (req.width or video.width) * (req.height or video.height),
        )
    if video.variable_frame_rate:
        add("frame rate", "variable; deliveries need a constant frame rate")
    if req.frame_rate is not None and video.frame_rate != Fraction(req.frame_rate):
        add(
            "frame rate",
            f"{video.frame_rate} fps; {asks} {req.frame_rate}",
            float(video.frame_rate),
            float(Fraction(req.frame_rate)),
        )
    if req.bit_depth is not None and video.bit_depth != req.bit_depth:
        add(
            "bit depth",
            f"{video.bit_depth}-bit; {asks} {req.bit_depth}-bit",
            video.bit_depth,
            req.bit_depth,
        )
    if req.pixel_format is not None and video.pixel_format != req.pixel_format:
        add("pixel format", f"{video.pixel_format}; {asks} {req.pixel_format}")
    colour = video.colour
    for field, wanted in (
        ("primaries", req.primaries),
        ("transfer", req.transfer),
        ("matrix", req.matrix),
        ("range", req.range),
    ):
        have = getattr(colour, field)
        if wanted is None:
            continue
        if have != wanted:
            add(f"colour {field}", f"{have}; {asks} {wanted}")
        elif field in colour.assumed:
            add(
                f"colour {field}",
                f"not tagged in the stream ({have} assumed by convention); tag it so players "
                "do not guess",
                severity="warning",
            )
    if expected_frames is not None and video.frame_count != expected_frames:
        add(
            "duration",
            f"{video.frame_count} frames; {expected_frames} were expected",
            video.frame_count,
            expected_frames,
        )
    picture_s = video.frame_count / float(rate)
    if audio_duration_s is not None and info.audio:
        allowed = 1.0 / float(rate) + req.av_tolerance_s
        difference = audio_duration_s - picture_s
        if abs(difference) > allowed:
            add(
                "duration",
                f"the sound lasts {audio_duration_s:.3f} s and the picture {picture_s:.3f} s "
                f"({difference:+.3f} s; at most ±{allowed:.3f} s)",
                abs(difference),
                allowed,
            )
    _audio(info, profile, add, asks)
    return findings


def _audio(info: MediaInfo, profile: QCProfile, report: Callable[..., None], asks: str) -> None:
    """Sound: present when the spec has sound, in an allowed layout, rate and codec."""
    req = profile.spec
    if not req.audio_layouts:
        if info.audio:
            report(
                "sound",
                f"the file has {len(info.audio)} audio stream(s); the {profile.spec_name} "
                "delivery carries no sound",
                severity="warning",
            )
        return
    if not info.audio:
        report("sound", f"no audio stream; {asks} {' or '.join(req.audio_layouts)} sound")
        return
    audio = info.audio[0]
    layout, tagged = effective_layout(audio.layout, audio.channels)
    if layout not in req.audio_layouts:
        report(
            "channel layout",
            f"{audio.layout} ({audio.channels} ch); {asks} {' or '.join(req.audio_layouts)}",
            audio.channels,
        )
    elif not tagged:
        report(
            "channel layout",
            f"not tagged in the stream ({audio.channels} channels, taken as {layout}); tag "
            "it so the channels are not guessed",
            severity="warning",
        )
    if req.audio_rate is not None and audio.sample_rate != req.audio_rate:
        report(
            "sample rate",
            f"{audio.sample_rate} Hz; {asks} {req.audio_rate} Hz",
            audio.sample_rate,
            req.audio_rate,
        )
    if req.audio_codecs and audio.codec not in req.audio_codecs:
        report("audio codec", f"{audio.codec}; {asks} {' or '.join(req.audio_codecs)}")
