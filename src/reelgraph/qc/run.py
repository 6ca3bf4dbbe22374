"""Check one file against a delivery spec's QC profile: ``check_file``.

One decoding pass streams the picture through :class:`~reelgraph.algorithms.qc.VideoQC`
(with the decoded ``Y′C′bC′r`` planes, for the legal-range check) and, when a report is
asked for, keeps a small thumbnail of every frame on disk; then the sound is decoded and
checked (:mod:`reelgraph.qc.audio_checks`), then the file's format
(:mod:`reelgraph.qc.spec_check`). Frames become SMPTE timecodes.

Damage is a finding, not an error, as long as something decodes: a decoder error part-way
through gives a ``decode`` finding at that frame and the analysis keeps what was decoded
(the sound and the format are still checked); a file that ends before the frames its
header declares (a truncated copy) gives a ``decode`` finding for the missing frames. A
file that cannot be opened at all raises :class:`~reelgraph.errors.MediaError`.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph.algorithms.qc import VideoQC, VideoQCConfig, VideoQCReport, YCbCrPlanes
from reelgraph.algorithms.qc.findings import Finding
from reelgraph.errors import AlgorithmError, MediaError, ReelgraphError
from reelgraph.media.audio import read_audio
from reelgraph.media.prefetch import read_ahead
from reelgraph.media.probe import MediaInfo, VideoStreamInfo, open_container, probe
from reelgraph.media.video import VideoReader
from reelgraph.qc.audio_checks import AudioQC, check_audio
from reelgraph.qc.profiles import AUDIO_CHECKS, CHECKS, QCProfile, luma_matrix, profile_for_spec
from reelgraph.qc.result import QCResult
from reelgraph.qc.spec_check import check_spec
from reelgraph.qc.thumbnails import THUMBNAIL_WIDTH, ThumbnailSpool
from reelgraph.specs.delivery import get_spec

__all__ = ["DEFAULT_SPEC", "check_file", "qc_metrics"]

log = logging.getLogger(__name__)

#: The delivery spec a file is checked against when none is named.
DEFAULT_SPEC = "web-sdr"

ProgressFn = Callable[[int, int], None]


def check_file(
    path: str | Path,
    spec_name: str = DEFAULT_SPEC,
    *,
    report_dir: Path | None = None,
    progress: ProgressFn | None = None,
    expected_frames: int | None = None,
    skip: Collection[str] = (),
    label: str | None = None,
    stamp: bool = True,
) -> QCResult:
    """QC ``path`` against the profile of delivery spec ``spec_name``.

    ``report_dir``: also write the HTML report there (index.html, plots, thumbnails,
    failures.csv). ``progress(done, total)`` is called after every frame.
    ``expected_frames``: the frame count the file must have (the ``spec`` duration check).
    ``skip``: check identifiers not to run (``decode`` always runs); they are listed in the
    result's ``skipped``. ``label``: how the file is named in the result and the report
    (default: ``path``). ``stamp=False`` leaves the time out of the result and the report
    (``elapsed_s`` is 0), so the same file gives the same bytes — for cached artifacts.
    """
    started = time.perf_counter()
    spec = get_spec(spec_name)
    profile = profile_without(profile_for_spec(spec), skip)
    info = probe(path)
    if not info.video:
        raise MediaError(
            f"{path}: no video stream",
            path=path,
            hint="reelgraph qc checks picture deliverables; measure a sound-only file with "
            "'reelgraph loudness FILE'",
        )
    stream = info.first_video
    rate = stream.frame_rate
    skipped = dict(profile.skipped)
    video_config = _video_config(profile, stream, skipped)
    qc = VideoQC(float(rate), video_config)
    # Luma at full size from the coded plane; colour only as wide as the flash checks and
    # the thumbnails look at it.
    flash = {"flash", "red_flash"} & set(video_config.checks)
    reader = VideoReader(
        path,
        keep_ycbcr="legal_range" in video_config.checks,
        conform=stream.variable_frame_rate,
        luma=True,
        rgb_width=video_config.flash.analysis_width if flash else THUMBNAIL_WIDTH,
    )
    total = len(reader)
    findings: list[Finding] = []
    spool = ThumbnailSpool() if report_dir is not None else None
    try:
        decoded = _stream_video(reader, qc, spool, progress, total, findings, profile)
        report = qc.finish()
        if not stream.variable_frame_rate and not any(f.check == "decode" for f in findings):
            findings += _truncation(path, stream, decoded, total, profile)
        frames = max(decoded, total)
        findings += [f.timed(rate) for f in report.findings]
        skipped.update(report.skipped)
        audio = _audio(path, info, profile, rate, frames, findings, skipped)
        if "spec" not in skipped:
            findings += check_spec(
                info,
                profile,
                frames=frames,
                expected_frames=expected_frames,
                audio_duration_s=float(audio.summary["duration_s"]) if audio else None,
            )
        findings.sort(key=lambda f: (f.start_frame, f.end_frame, _order(f.check)))
        result = QCResult(
            path=label or str(path),
            spec=spec.name,
            profile=profile.name,
            frame_rate=rate,
            frames_analysed=decoded,
            probe=_probe_summary(info),
            checks=tuple(c for c in profile.checks if c not in skipped or c == "decode"),
            skipped=skipped,
            findings=findings,
            video_series=dict(report.series),
            audio=audio.summary if audio else None,
            audio_series=audio.series if audio else None,
            metrics=qc_metrics(report, findings, audio),
        )
        result.elapsed_s = time.perf_counter() - started if stamp else 0.0
        if report_dir is not None and spool is not None:
            from reelgraph.qc.report import write_report

            result.report = write_report(result, report_dir, spool, profile, stamp=stamp)
            result.elapsed_s = time.perf_counter() - started if stamp else 0.0
    finally:
        if spool is not None:
            spool.close()
    return result


def profile_without(profile: QCProfile, skip: Collection[str]) -> QCProfile:
    """The profile less the checks asked to be skipped (unknown names are refused)."""
    unknown = sorted(set(skip) - set(CHECKS))
    if unknown or "decode" in skip:
        raise ReelgraphError(
            f"cannot skip {', '.join(repr(c) for c in unknown or ['decode'])}",
            hint=f"checks that can be skipped: {', '.join(c for c in CHECKS if c != 'decode')}",
        )
    if not skip:
        return profile
    skipped = dict(profile.skipped)
    skipped.update({check: "skipped on request" for check in skip})
    video = replace(profile.video, checks=tuple(c for c in profile.video.checks if c not in skip))
    return replace(profile, video=video, skipped=skipped)


def _order(check: str) -> int:
    return CHECKS.index(check) if check in CHECKS else len(CHECKS)


def _video_config(
    profile: QCProfile, stream: VideoStreamInfo, skipped: dict[str, str]
) -> VideoQCConfig:
    """The profile's video configuration adapted to the stream: its luma matrix, and the
    legal-range check only where there are Y′C′bC′r codes to read."""
    config = profile.video
    matrix = luma_matrix(stream.colour.matrix)
    checks = config.checks
    if matrix is None:
        if stream.colour.matrix == "gbr" and "legal_range" in checks:
            skipped["legal_range"] = (
                f"the stream is R′G′B′ ({stream.pixel_format}): there are no Y′C′bC′r codes "
                "whose range could be checked"
            )
            checks = tuple(c for c in checks if c != "legal_range")
        elif "legal_range" in checks:
            skipped["legal_range"] = f"unsupported Y′C′bC′r matrix {stream.colour.matrix!r}"
            checks = tuple(c for c in checks if c != "legal_range")
        matrix = config.matrix
    return replace(config, checks=checks, matrix=matrix)


def _stream_video(
    reader: VideoReader,
    qc: VideoQC,
    spool: ThumbnailSpool | None,
    progress: ProgressFn | None,
    total: int,
    findings: list[Finding],
    profile: QCProfile,
) -> int:
    """Push every decodable frame through the checks; a decoder error becomes a finding.
    The next frame is decoded in a background thread while the checks run (the QC of a
    master is the last node of a shot, so a core is usually free for it)."""
    decoded = 0
    matrix = luma_matrix(reader.tag.matrix) or "bt709"
    full_range = reader.tag.range == "pc"
    try:
        for frame in read_ahead(reader):
            planes = None
            if frame.ycbcr is not None:
                y, cb, cr = frame.ycbcr
                planes = YCbCrPlanes(y, cb, cr, frame.bits, full_range, matrix)
            qc.push(frame.rgb, planes, frame.luma)
            if spool is not None:
                spool.add(frame.rgb)
            decoded += 1
            if progress is not None:
                progress(decoded, total)
    except (MediaError, AlgorithmError) as error:
        # A decoder error, or a frame the checks cannot take (its size changed mid-stream).
        position = error.frame if error.frame is not None else decoded
        last = max(position, total - 1)
        cause = getattr(error.__cause__, "strerror", None) or error.message
        findings.append(
            Finding.at(
                "decode",
                "fail",
                position,
                last,
                reader.frame_rate,
                float(position),
                None,
                profile.standards()["decode"],
                f"the picture stops decoding at frame {position} ({cause}); frames "
                f"{position}–{last} were not checked",
            )
        )
    return decoded


def _declared_frames(path: str | Path, stream: VideoStreamInfo) -> tuple[int, int] | None:
    """(frames the container's header declares, tolerance) — from the frame count (MP4,
    MOV), else the stream's duration, else Matroska's DURATION tag; None if it says none."""
    with open_container(path) as container:
        video = container.streams[stream.index]
        if video.frames:
            return int(video.frames), 0
        rate = stream.frame_rate
        if video.duration and video.time_base:
            return round(video.duration * video.time_base * rate), 1
        tag = video.metadata.get("DURATION") or video.metadata.get("duration")
        found = re.fullmatch(r"(\d+):(\d+):(\d+(?:\.\d+)?)", tag.strip()) if tag else None
        if found:
            hours, minutes, seconds = found.groups()
            total = Fraction(int(hours) * 3600 + int(minutes) * 60) + Fraction(seconds)
            return round(total * rate), 1
    return None


def _truncation(
    path: str | Path, stream: VideoStreamInfo, decoded: int, total: int, profile: QCProfile
) -> list[Finding]:
    declared = _declared_frames(path, stream)
    expected, tolerance = declared if declared is not None else (total, 0)
    expected = max(expected, total)
    if decoded >= expected - tolerance:
        return []
    seconds = expected / float(stream.frame_rate)
    return [
        Finding.at(
            "decode",
            "fail",
            decoded,
            expected - 1,
            stream.frame_rate,
            float(decoded),
            float(expected),
            profile.standards()["decode"],
            f"the picture ends after {decoded} frames but the file declares {expected} "
            f"({seconds:.3f} s): frames {decoded}–{expected - 1} are missing (a truncated "
            "or incomplete copy)",
        )
    ]


def _audio(
    path: str | Path,
    info: MediaInfo,
    profile: QCProfile,
    rate: Fraction,
    frames: int,
    findings: list[Finding],
    skipped: dict[str, str],
) -> AudioQC | None:
    if profile.audio is None or not info.audio:
        if profile.audio is not None:
            for check in AUDIO_CHECKS:
                skipped.setdefault(check, "the file has no audio stream")
        return None
    try:
        track = read_audio(path)
    except MediaError as error:
        findings.append(
            Finding.at(
                "decode",
                "fail",
                0,
                frames - 1,
                rate,
                None,
                None,
                profile.standards()["decode"],
                f"the sound cannot be decoded ({error.message}); it was not checked",
            )
        )
        return None
    if track.samples.shape[0] == 0:
        for check in AUDIO_CHECKS:
            skipped.setdefault(check, "the audio stream holds no samples")
        return None
    audio = check_audio(
        track.samples, track.rate, track.layout, track.channel_names, profile.audio, rate, frames
    )
    findings += [f for f in audio.findings if f.check not in skipped]
    for check, why in audio.skipped.items():
        skipped.setdefault(check, why)
    return audio


def _probe_summary(info: MediaInfo) -> dict[str, Any]:
    video = info.first_video
    audio = info.audio[0] if info.audio else None
    return {
        "container": info.container,
        "duration_s": round(info.duration_s, 6),
        "size_bytes": info.size_bytes,
        "codec": video.codec,
        "width": video.width,
        "height": video.height,
        "frame_rate": f"{video.frame_rate.numerator}/{video.frame_rate.denominator}",
        "frame_count": video.frame_count,
        "variable_frame_rate": video.variable_frame_rate,
        "pixel_format": video.pixel_format,
        "bit_depth": video.bit_depth,
        "colour": video.colour.to_dict(),
        "audio": (
            {
                "codec": audio.codec,
                "sample_rate": audio.sample_rate,
                "channels": audio.channels,
                "layout": audio.layout,
                "duration_s": round(audio.duration_s, 6),
            }
            if audio is not None
            else None
        ),
    }


def _max_abs(series: dict[str, Any], name: str) -> float:
    values = series.get(name)
    if values is None or not np.isfinite(values).any():
        return math.nan
    return float(np.nanmax(np.abs(values)))


def qc_metrics(
    report: VideoQCReport, findings: list[Finding], audio: AudioQC | None = None
) -> dict[str, float]:
    """The numbers an agent's objectives and ``reelgraph status`` read (finite values only).

    ============================  ===============================================
    ``flicker_global_max``        largest per-frame global flicker change (Y′)
    ``flicker_local_max``         largest per-frame local (block) flicker change
    ``flash_frequency_max``       highest flash frequency in any second (flashes/s)
    ``red_flash_frequency_max``   the same for red flashes
    ``flash_fail_count``          ``flash`` / ``red_flash`` findings that fail
    ``legal_range_max``           largest fraction of a frame out of range (Y′ or R′G′B′)
    ``banding_max``               highest banding score
    ``black_frames``              frames inside ``black`` findings (``frozen_frames`` too)
    ``fail_count`` …              findings per severity
    ============================  ===============================================

    plus the sound's ``integrated_lufs``, ``loudness_lufs`` (what was compared with the
    target), ``dialogue_lufs``, ``true_peak_dbtp``, ``lra_lu``, ``phase_correlation_min``,
    ``clipped_samples``.
    """
    series = report.series
    legal = [_max_abs(series, "legal_range.y_out"), _max_abs(series, "legal_range.rgb_out")]
    metrics = {
        "flicker_global_max": _max_abs(series, "flicker.global"),
        "flicker_local_max": _max_abs(series, "flicker.local"),
        "flash_frequency_max": _max_abs(series, "flash.frequency"),
        "red_flash_frequency_max": _max_abs(series, "red_flash.frequency"),
        "flash_fail_count": float(
            sum(1 for f in findings if f.check in ("flash", "red_flash") and f.severity == "fail")
        ),
        "legal_range_max": max((v for v in legal if math.isfinite(v)), default=math.nan),
        "banding_max": _max_abs(series, "banding.score"),
        "black_frames": float(
            sum(f.end_frame - f.start_frame + 1 for f in findings if f.check == "black")
        ),
        "frozen_frames": float(
            sum(f.end_frame - f.start_frame + 1 for f in findings if f.check == "freeze")
        ),
    }
    for severity in ("fail", "warning", "info"):
        metrics[f"{severity}_count"] = float(sum(1 for f in findings if f.severity == severity))
    if audio is not None:
        metrics.update(audio.metrics)
    return {name: value for name, value in metrics.items() if math.isfinite(value)}
