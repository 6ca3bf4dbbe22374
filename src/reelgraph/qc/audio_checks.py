"""The sound checks of a QC profile: loudness, true peak, clipping, silence, phase.

A thin layer: the measurements come from :mod:`reelgraph.algorithms.audio` (BS.1770-5
loudness and true peak, dialogue gating) and :mod:`reelgraph.algorithms.qc` (clipping,
silence, phase correlation); this module compares them with the profile's limits and
places each finding on the picture's frames (audio time × frame rate), so a sound problem
has a timecode like a picture problem.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from reelgraph.algorithms.audio import LAYOUTS, measure, true_peak_series
from reelgraph.algorithms.qc import clipping_aes17 as clipping
from reelgraph.algorithms.qc import mask_to_segments
from reelgraph.algorithms.qc import phase_correlation_brixen2011 as phase
from reelgraph.algorithms.qc import silence_ffmpeg_silencedetect as silence
from reelgraph.algorithms.qc.findings import Finding
from reelgraph.json_numbers import finite_or_none
from reelgraph.media.audio import LAYOUTS_BY_CHANNELS
from reelgraph.qc.profiles import AudioRequirements
from reelgraph.specs.loudness_targets import LIMIT_SLACK

__all__ = ["AudioQC", "check_audio", "effective_layout"]

#: Resolution of the loudness and phase series, seconds (EBU Tech 3341's 10 Hz); the true
#: peak is kept per picture frame.
HOP_S = 0.1
#: Clip events and true-peak overs closer than this are one finding, seconds.
MERGE_S = 1.0
#: Stereo pairs whose phase correlation is checked (FFmpeg channel names).
PAIRS = (("FL", "FR"), ("BL", "BR"), ("SL", "SR"))
_INFERRED_LAYOUT = {1, 2, 5, 6, 8}  # channel counts BS.1770 weights follow from
_UNTAGGED = re.compile(r"\d+ channels?")


@dataclass
class AudioQC:
    """Findings, the summary for ``audio`` in QC.1, series for the plots, metrics."""

    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    series: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


class _Frames:
    """Seconds → frames of the picture (clamped to the file's frames)."""

    def __init__(self, rate: Fraction, frames: int) -> None:
        self.rate, self.fps, self.last = rate, float(rate), max(0, frames - 1)

    def span(self, start_s: float, end_s: float) -> tuple[int, int]:
        first = min(self.last, max(0, math.floor(start_s * self.fps + 1e-9)))
        last = min(self.last, max(first, math.ceil(end_s * self.fps - 1e-9) - 1))
        return first, last


@dataclass(frozen=True)
class _Track:
    """What every sound check reads: the decoded track and what it is checked against."""

    samples: NDArray[np.float32]
    rate: int
    layout: str
    names: tuple[str, ...]  # one per channel
    requirements: AudioRequirements
    place: _Frames
    standards: dict[str, str]  # check name → the standard it cites

    def finding(
        self,
        check: str,
        severity: Any,
        start_s: float,
        end_s: float,
        value: float | None,
        limit: float | None,
        message: str,
    ) -> Finding:
        """A finding of ``check`` over seconds of the sound, on the picture's frames, citing
        the standard the profile names for the check."""
        first, last = self.place.span(start_s, end_s)
        standard = self.standards[check]
        return Finding.at(
            check, severity, first, last, self.place.rate, value, limit, standard, message
        )


def effective_layout(layout: str, channels: int) -> tuple[str, bool]:
    """``(layout, tagged)``: a stream that names no layout (``"2 channels"``, as Matroska
    PCM reads back) is taken as FFmpeg's default layout for its channel count."""
    if _UNTAGGED.fullmatch(layout) and channels in LAYOUTS_BY_CHANNELS:
        return LAYOUTS_BY_CHANNELS[channels], False
    return layout, True


def _channel_names(layout: str, names: tuple[str, ...], channels: int) -> tuple[str, ...]:
    usable = len(names) == channels and not any(n in ("NONE", "UNK", "") for n in names)
    if usable:
        return names
    effective, _ = effective_layout(layout, channels)
    try:
        default = tuple(c.name for c in av.AudioLayout(effective).channels)
    except (ValueError, TypeError):
        default = ()
    return default if len(default) == channels else tuple(f"ch{i + 1}" for i in range(channels))


def _weights_layout(layout: str, channels: int) -> str | bool | None:
    """The BS.1770 layout name, ``None`` to infer from the count, ``False`` if unknown."""
    if layout in LAYOUTS and len(LAYOUTS[layout]) == channels:
        return layout
    return None if channels in _INFERRED_LAYOUT else False


def _db(value: float) -> str:
    return "−∞" if not math.isfinite(value) else f"{value:+.1f}".replace("-", "−")


def check_audio(
    samples: NDArray[np.float32],
    rate: int,
    layout: str,
    channel_names: tuple[str, ...],
    requirements: AudioRequirements,
    frame_rate: Fraction,
    frames: int,
) -> AudioQC:
    """Run every sound check of ``requirements`` on a decoded track."""
    out = AudioQC()
    place = _Frames(frame_rate, frames)
    duration = samples.shape[0] / rate
    standards = requirements.standards()
    layout, _ = effective_layout(layout, samples.shape[1])
    names = _channel_names(layout, channel_names, samples.shape[1])
    out.summary = {
        "target": requirements.target.name,
        "measured_on": None,
        "loudness_lufs": None,
        "integrated_lufs": None,
        "dialogue_lufs": None,
        "target_lufs": requirements.target.integrated_lufs,
        "tolerance_lu": requirements.target.tolerance_lu,
        "true_peak_dbtp": None,
        "true_peak_max_dbtp": requirements.target.true_peak_max_dbtp,
        "lra_lu": None,
        "phase_correlation": None,
        "clipped_samples": 0,
        "silent_channels": [],
        "duration_s": round(duration, 6),
    }
    out.series = {
        "hop_s": HOP_S,
        "short_term_lufs": np.zeros(0),
        "short_term_offset_s": 3.0,
        "momentary_lufs": np.zeros(0),
        "momentary_offset_s": 0.4,
        "true_peak_dbtp": np.zeros(0),
        "phase_correlation": np.zeros(0),
        "phase_offset_s": requirements.phase.window_s,
    }
    track = _Track(samples, rate, layout, names, requirements, place, standards)
    for check in (_loudness, _clipping, _silence, _phase):
        check(track, out)
    return out


def _loudness(track: _Track, out: AudioQC) -> None:
    samples, rate, layout, place = track.samples, track.rate, track.layout, track.place
    target = track.requirements.target
    weights = _weights_layout(layout, samples.shape[1])
    if weights is False:
        reason = f"no BS.1770 channel weights for a {samples.shape[1]}-channel '{layout}' track"
        out.skipped["loudness"] = out.skipped["true_peak"] = reason
        return
    dialogue = target.gating == "dialogue"
    measured = measure(
        samples, rate, layout=weights if isinstance(weights, str) else None, dialogue=dialogue
    )
    # True peak per picture frame (fractional hops, no drift), so an over is placed on the
    # frames it happens in.
    peaks = true_peak_series(samples, rate, hop_s=1.0 / place.fps)
    frame_peaks = peaks.dbtp.max(axis=1) if peaks.peak.size else np.zeros(0)
    loudness = measured.loudness
    out.series["short_term_lufs"] = loudness.short_term_lufs
    out.series["momentary_lufs"] = loudness.momentary_lufs
    out.series["true_peak_dbtp"] = frame_peaks
    summary = out.summary
    summary["integrated_lufs"] = finite_or_none(measured.integrated_lufs, 2)
    summary["lra_lu"] = finite_or_none(measured.lra_lu, 2)
    summary["true_peak_dbtp"] = finite_or_none(measured.true_peak_dbtp, 2)
    if measured.dialogue is not None:
        summary["dialogue_lufs"] = finite_or_none(measured.dialogue.loudness_lufs, 2)
    out.metrics.update(
        {
            "integrated_lufs": measured.integrated_lufs,
            "true_peak_dbtp": measured.true_peak_dbtp,
            "lra_lu": measured.lra_lu,
        }
    )
    if not math.isfinite(measured.integrated_lufs):
        out.skipped["loudness"] = (
            "nothing to measure: the sound is silent or shorter than one 400 ms gating block"
        )
    else:
        check = measured.check(target)
        summary["measured_on"] = check.measured_on
        summary["loudness_lufs"] = finite_or_none(check.loudness_lufs, 2)
        out.metrics["loudness_lufs"] = check.loudness_lufs
        if measured.dialogue is not None:
            out.metrics["dialogue_lufs"] = measured.dialogue.loudness_lufs
        if not check.loudness_ok:
            loud = check.deviation_lu > 0
            bound = target.integrated_lufs + (target.tolerance_lu if loud else -target.tolerance_lu)
            what = "dialogue-gated loudness" if check.measured_on == "speech" else "loudness"
            out.findings.append(
                track.finding(
                    "loudness",
                    "fail",
                    0.0,
                    loudness.duration_s,
                    check.loudness_lufs,
                    bound,
                    f"{what} {_db(check.loudness_lufs)} LUFS is {abs(check.deviation_lu):.1f} LU "
                    f"{'above' if loud else 'below'} the target {_db(target.integrated_lufs)} "
                    f"LUFS ±{target.tolerance_lu:g} LU ({target.name})",
                )
            )
    ceiling = target.true_peak_max_dbtp
    over = np.isfinite(frame_peaks) & (frame_peaks > ceiling + LIMIT_SLACK)
    for first, last in mask_to_segments(over, max_gap=round(MERGE_S * place.fps)).tolist():
        worst = float(frame_peaks[first : last + 1].max())
        out.findings.append(
            Finding.at(
                "true_peak",
                "fail",
                first,
                min(last, place.last),
                place.rate,
                worst,
                ceiling,
                track.standards["true_peak"],
                f"true peak reaches {_db(worst)} dBTP, above the {_db(ceiling)} dBTP ceiling "
                f"({target.name})",
            )
        )


def _clipping(track: _Track, out: AudioQC) -> None:
    samples, rate, names = track.samples, track.rate, track.names
    params = track.requirements.clipping
    found = clipping.clipping_runs(samples, params)
    total = int(sum(found.clipped_samples))
    out.summary["clipped_samples"] = total
    out.metrics["clipped_samples"] = float(total)
    if not found.runs.size:
        return
    runs = found.runs
    # One finding per stretch of clip events less than MERGE_S apart.
    breaks = np.flatnonzero(np.diff(runs[:, 1]) > MERGE_S * rate) + 1
    for group in np.split(runs, breaks):
        channels = sorted({names[c] for c in group[:, 0].tolist()})
        clipped = int((group[:, 2] - group[:, 1] + 1).sum())
        out.findings.append(
            track.finding(
                "clipping",
                params.severity,
                group[:, 1].min() / rate,
                (group[:, 2].max() + 1) / rate,
                float(len(group)),
                0.0,
                f"{len(group)} clip event(s), {clipped} samples at digital full scale "
                f"({params.min_run}+ in a row) on {', '.join(channels)}",
            )
        )


def _silence(track: _Track, out: AudioQC) -> None:
    samples, rate, names = track.samples, track.rate, track.names
    params = track.requirements.silence
    duration = samples.shape[0] / rate
    dead = silence.silent_channels(samples, params)
    out.summary["silent_channels"] = [names[i] for i in np.flatnonzero(dead).tolist()]
    if dead.size and dead.all():
        out.findings.append(
            track.finding(
                "silence",
                params.channel_severity,
                0.0,
                duration,
                duration,
                params.min_duration,
                f"the sound is digitally silent throughout (below {params.noise_db:g} dBFS)",
            )
        )
        return
    for index in np.flatnonzero(dead).tolist():
        lfe = names[index] == "LFE"
        out.findings.append(
            track.finding(
                "silence",
                "info" if lfe else params.channel_severity,
                0.0,
                duration,
                duration,
                params.min_duration,
                f"channel {names[index]} is digitally silent throughout while others carry "
                "sound" + (" (an empty LFE is common)" if lfe else ": a dead or unrouted channel"),
            )
        )
    for first, last in silence.silence_runs(samples, rate, params).tolist():
        seconds = (last - first + 1) / rate
        out.findings.append(
            track.finding(
                "silence",
                params.severity,
                first / rate,
                (last + 1) / rate,
                seconds,
                params.min_duration,
                f"digital silence for {seconds:.2f} s on every channel (below "
                f"{params.noise_db:g} dBFS, at least {params.min_duration:g} s)",
            )
        )


def _phase(track: _Track, out: AudioQC) -> None:
    samples, rate, names, place = track.samples, track.rate, track.names, track.place
    params = track.requirements.phase
    lowest: float | None = None
    for left_name, right_name in PAIRS:
        if left_name not in names or right_name not in names:
            continue
        left, right = names.index(left_name), names.index(right_name)
        reading = phase.phase_correlation(samples[:, left], samples[:, right], rate, params)
        pair = f"{left_name}/{right_name}"
        if (left_name, right_name) == PAIRS[0]:
            out.series["phase_correlation"] = reading.series
        if math.isfinite(reading.programme):
            lowest = reading.programme if lowest is None else min(lowest, reading.programme)
        if math.isfinite(reading.programme) and reading.programme <= params.polarity_limit:
            out.findings.append(
                track.finding(
                    "phase",
                    params.polarity_severity,
                    0.0,
                    samples.shape[0] / rate,
                    reading.programme,
                    params.polarity_limit,
                    f"{pair} correlation {reading.programme:+.2f} over the programme: one "
                    "channel's polarity is inverted (the mono downmix cancels)",
                )
            )
            continue
        below = np.nan_to_num(reading.series, nan=1.0) < params.out_of_phase_limit
        min_windows = max(1, round(params.min_duration / reading.hop_s))
        segments = mask_to_segments(below, min_frames=min_windows).tolist()
        if segments:
            # The meter's windows straddle the edges; per-frame readings place them.
            frame_s = 1.0 / place.fps
            fine = phase.phase_correlation(
                samples[:, left],
                samples[:, right],
                rate,
                replace(params, window_s=frame_s, hop_s=frame_s),
            ).series
            fine_below = np.nan_to_num(fine, nan=1.0) < params.out_of_phase_limit
        for first, last in segments:
            worst = float(np.nanmin(reading.series[first : last + 1]))
            start_s = first * reading.hop_s
            end_s = (last + reading.window_hops) * reading.hop_s
            lo, hi = place.span(start_s, end_s)
            inside = np.flatnonzero(fine_below[lo : hi + 1]) + lo
            if inside.size:
                start_s, end_s = inside[0] * frame_s, (inside[-1] + 1) * frame_s
            out.findings.append(
                track.finding(
                    "phase",
                    params.severity,
                    start_s,
                    end_s,
                    worst,
                    params.out_of_phase_limit,
                    f"{pair} out of phase (correlation down to {worst:+.2f}, below "
                    f"{params.out_of_phase_limit:+.1f}): this stretch cancels in mono",
                )
            )
    out.summary["phase_correlation"] = finite_or_none(lowest, 3)
    if lowest is not None:
        out.metrics["phase_correlation_min"] = lowest
