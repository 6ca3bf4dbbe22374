"""Loudness of a sound programme as a document and a report.

What ``reelgraph loudness``, ``reelgraph level`` and the loudness agents share: reading a
programme for measurement (refusing what cannot be measured, with a hint), resolving a
target by name, the ``reelgraph.Loudness.1`` document (printed by ``reelgraph loudness
--json``, written as ``analysis.json`` by the ``loudness_measure`` agent) and the HTML
report with a plot of short-term loudness against the target band. The measurements come
from :mod:`reelgraph.algorithms.audio`; nothing here computes loudness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.audio import (
    DELIVERY_TARGETS,
    LAYOUTS,
    DeliveryTarget,
    LoudnessMeasurement,
    SpeechActivity,
    TargetCheck,
    TruePeakSeries,
)
from reelgraph.errors import AlgorithmError, MediaError
from reelgraph.json_numbers import METRIC_DIGITS, finite_or_none
from reelgraph.media.audio import read_audio
from reelgraph.specs.delivery import SPECS

SCHEMA = "reelgraph.Loudness.1"

#: Shortest programme with a loudness: one BS.1770 gating block (400 ms).
MIN_DURATION_S = 0.4

#: Channel counts whose BS.1770 weights follow from the count alone.
_INFERRED = {1: "mono", 2: "stereo", 5: "5.0", 6: "5.1", 8: "7.1"}


@dataclass(frozen=True)
class Programme:
    """A sound programme ready for the loudness algorithms."""

    samples: npt.NDArray[np.float32]
    """float32 ``(samples, channels)``, full scale ±1.0, all finite."""
    rate: int
    """Sample rate, Hz."""
    layout: str
    """FFmpeg layout name of the track (written back to outputs)."""
    weights_layout: str | None
    """The layout the BS.1770 channel weights use (``None``: inferred from the count)."""

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / self.rate


def weights_layout(layout: str, channels: int) -> str | None:
    """The BS.1770 layout for a track's FFmpeg layout, refusing channel sets without weights."""
    if layout in LAYOUTS and len(LAYOUTS[layout]) == channels:
        return layout
    if channels in _INFERRED:
        return None
    raise MediaError(
        f"no BS.1770 channel weights for a {channels}-channel '{layout}' track",
        hint="loudness is defined for mono, stereo, 2.1, 3.0, 5.0, 5.1 and 7.1; re-export the "
        "mix in one of those layouts",
    )


def programme_from(
    samples: npt.NDArray[np.float32], rate: int, layout: str, *, path: str | Path = ""
) -> Programme:
    """Check a decoded track can be measured: some samples, all finite, known weights."""
    where = f"{path}: " if path else ""
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise MediaError(
            f"{where}the audio stream holds no samples",
            path=path or None,
            hint="the file is empty or truncated; export the sound again",
        )
    finite = np.isfinite(samples)
    if not finite.all():
        index, channel = (int(v) for v in np.argwhere(~finite)[0])
        raise MediaError(
            f"{where}the audio holds NaN or infinite samples (first at sample {index}, "
            f"{index / rate:.3f} s, channel {channel})",
            path=path or None,
            hint="the program that wrote this float WAV produced invalid samples; re-render or "
            "re-export it",
        )
    return Programme(samples, rate, layout, weights_layout(layout, samples.shape[1]))


def read_programme(path: str | Path) -> Programme:
    """Decode the first audio stream of an audio or video file (see :func:`programme_from`)."""
    track = read_audio(path)
    return programme_from(track.samples, track.rate, track.layout, path=path)


def require_duration(programme: Programme, path: str | Path) -> None:
    """Refuse a programme shorter than one BS.1770 gating block (400 ms)."""
    if programme.duration_s < MIN_DURATION_S:
        samples = programme.samples.shape[0]
        raise MediaError(
            f"{path}: {samples} sample(s) ({programme.duration_s * 1000:.1f} ms) are too short "
            f"to measure: BS.1770 loudness needs at least {MIN_DURATION_S * 1000:.0f} ms",
            path=path,
            hint="pass the whole programme, not a fragment",
        )


def require_audible(measurement: LoudnessMeasurement, path: str | Path) -> None:
    """Refuse a silent programme (no 400 ms block above the −70 LUFS absolute gate)."""
    if not math.isfinite(measurement.integrated_lufs):
        raise MediaError(
            f"{path}: the audio is silent (no 400 ms block above the −70 LUFS absolute gate)",
            path=path,
            hint="check that this is the right file and stream: there is no loudness to "
            "measure or correct",
        )


def target_label(target: DeliveryTarget) -> str:
    """Short name of the standard a target comes from, e.g. ``EBU R 128``."""
    return target.reference.number.split(" (")[0]


def resolve_target(name: str) -> DeliveryTarget:
    """A loudness target by its name (``ebu-r128``…) or by a delivery spec's (``web-sdr``…)."""
    if name in DELIVERY_TARGETS:
        return DELIVERY_TARGETS[name]
    spec = SPECS.get(name)
    if spec is not None and spec.audio is not None:
        return DELIVERY_TARGETS[spec.audio.loudness_preset]
    targets = ", ".join(DELIVERY_TARGETS)
    with_sound = ", ".join(s.name for s in SPECS.values() if s.audio is not None)
    if spec is not None:
        raise AlgorithmError(
            f"delivery spec {name!r} has no audio target",
            hint=f"use a loudness target ({targets}) or a spec with sound ({with_sound})",
        )
    raise AlgorithmError(
        f"unknown loudness spec {name!r}",
        hint=f"loudness targets: {targets}; delivery specs: {with_sound}",
    )


def describe_target(target: DeliveryTarget) -> str:
    """``EBU R 128: −23 LUFS ±0.5 LU, ≤ −1 dBTP`` (dialogue-gated targets say so)."""
    gated = "dialogue-gated " if target.gating == "dialogue" else ""
    return (
        f"{target_label(target)}: {gated}{signed(target.integrated_lufs)} LUFS "
        f"±{target.tolerance_lu:g} LU, ≤ {signed(target.true_peak_max_dbtp)} dBTP"
    )


def signed(value: float, digits: int | None = None, *, plus: bool = False) -> str:
    """A level with a typographic minus: ``−23``, ``−14.2`` (``-inf`` as ``−∞``); with
    ``plus``, positive values get a ``+`` (gains, peaks over full scale)."""
    if not math.isfinite(value):
        return "−∞" if value < 0 else "+∞"
    sign = "+" if plus else ""
    text = f"{value:{sign}g}" if digits is None else f"{value:{sign}.{digits}f}"
    return text.replace("-", "−")


def _json_level(value: float) -> float | None:
    """A level in the document: to :data:`METRIC_DIGITS` decimals, null when not finite."""
    return finite_or_none(value, METRIC_DIGITS)


def loudness_document(
    measurement: LoudnessMeasurement,
    speech: SpeechActivity,
    *,
    path: str,
    target: DeliveryTarget | None = None,
    spec: str | None = None,
) -> dict[str, Any]:
    """The ``reelgraph.Loudness.1`` document of a measurement (docs/cli.md)."""
    loudness = measurement.loudness
    dialogue = measurement.dialogue
    peak = measurement.true_peak
    check: TargetCheck | None = measurement.check(target) if target is not None else None
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "path": path,
        "rate_hz": int(loudness.rate),
        "channels": len(loudness.channel_weights),
        "layout": loudness.layout,
        "channel_weights": [round(w, 4) for w in loudness.channel_weights],
        "duration_s": round(loudness.duration_s, 6),
        "integrated_lufs": _json_level(loudness.integrated_lufs),
        "loudness_range_lu": round(measurement.lra_lu, 4),
        "true_peak_dbtp": _json_level(peak.max_dbtp) if peak is not None else None,
        "true_peak_dbtp_per_channel": [_json_level(v) for v in peak.dbtp] if peak else [],
        "momentary_max_lufs": _json_level(loudness.momentary_max_lufs),
        "short_term_max_lufs": _json_level(loudness.short_term_max_lufs),
        "dialogue_lufs": _json_level(dialogue.loudness_lufs) if dialogue else None,
        "dialogue_gated_on": dialogue.gated_on if dialogue else "programme",
        "speech_ratio": round(dialogue.speech_ratio, 4) if dialogue else 0.0,
        "dialogue_method": dialogue.method if dialogue else "",
        "speech_level_dbfs": finite_or_none(speech.speech_level_dbfs, 2),
        "noise_floor_dbfs": finite_or_none(speech.noise_floor_dbfs, 2),
        "speech_to_noise_db": finite_or_none(speech.speech_to_noise_db, 2),
        "short_term": {
            "hop_s": 1.0 / loudness.update_rate_hz,
            "end_s": [round(float(t), 3) for t in loudness.short_term_end_s],
            "lufs": [finite_or_none(v, 2) for v in loudness.short_term_lufs],
        },
        "spec": spec,
        "compliant": check.passed if check is not None else None,
        "target": None,
    }
    if target is not None and check is not None:
        doc["target"] = {
            "name": target.name,
            "integrated_lufs": target.integrated_lufs,
            "tolerance_lu": target.tolerance_lu,
            "true_peak_max_dbtp": target.true_peak_max_dbtp,
            "measured_on": "dialogue" if target.gating == "dialogue" else "programme",
            "standard": target_label(target),
            "loudness_lufs": _json_level(check.loudness_lufs),
            "deviation_lu": _json_level(check.deviation_lu),
            "loudness_ok": check.loudness_ok,
            "true_peak_ok": check.true_peak_ok,
        }
    doc["summary"] = summary_line(doc)
    return doc


def _level(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{signed(value, 1)} {unit}"


def summary_line(doc: dict[str, Any]) -> str:
    """One line for listings: integrated, dialogue, true peak, LRA, SNR (and the verdict)."""
    line = (
        f"{_level(doc['integrated_lufs'], 'LUFS')} integrated, dialogue "
        f"{_level(doc['dialogue_lufs'], 'LUFS')} ({doc['speech_ratio']:.0%} speech), true peak "
        f"{_level(doc['true_peak_dbtp'], 'dBTP')}, LRA {doc['loudness_range_lu']:.1f} LU"
    )
    if doc["speech_to_noise_db"] is not None:
        line += f"; dialogue {doc['speech_to_noise_db']:.1f} dB above the noise floor"
    if doc["target"] is not None:
        verdict = "compliant" if doc["compliant"] else "NOT compliant"
        line += f"; {verdict} with {doc['target']['name']}"
    return line


def findings_text(doc: dict[str, Any]) -> list[str]:
    """Why a measured programme misses its target, one sentence per problem."""
    target = doc["target"]
    if target is None:
        return []
    problems = []
    if not target["loudness_ok"]:
        measured = target["loudness_lufs"]
        what = "dialogue loudness" if target["measured_on"] == "dialogue" else "loudness"
        problems.append(
            f"{what} {_level(measured, 'LUFS')} is outside "
            f"{signed(target['integrated_lufs'])} ±{target['tolerance_lu']:g} LU "
            f"({target['standard']})"
            + (
                f" by {abs(target['deviation_lu']) - target['tolerance_lu']:.2f} LU"
                if measured is not None
                else ""
            )
        )
    if not target["true_peak_ok"]:
        problems.append(
            f"true peak {_level(doc['true_peak_dbtp'], 'dBTP')} is above the "
            f"{signed(target['true_peak_max_dbtp'])} dBTP ceiling ({target['standard']})"
        )
    return problems


def write_report(
    folder: Path,
    doc: dict[str, Any],
    measurement: LoudnessMeasurement,
    peaks: TruePeakSeries,
    *,
    target: DeliveryTarget | None,
) -> Path:
    """An HTML report (``index.html`` + ``loudness.png``): the short-term loudness against the
    target band with true-peak markers, and a summary table."""
    from reelgraph.review.report_html import HtmlReport, new_figure

    report = HtmlReport(folder, f"Loudness: {Path(doc['path']).name}")
    if target is not None:
        problems = findings_text(doc)
        verdict = (
            f"Compliant with {target.name} ({describe_target(target)})."
            if doc["compliant"]
            else f"NOT compliant with {target.name}: " + "; ".join(problems) + "."
        )
        report.paragraph(verdict, "pass" if doc["compliant"] else "failed")
    figure = new_figure(10.0, 5.6)
    axes, peak_axes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1.4))
    loudness = measurement.loudness
    for times_s, lufs, colour, width, label in (
        (loudness.momentary_end_s, loudness.momentary_lufs, "#9ab", 0.8, "momentary (400 ms)"),
        (loudness.short_term_end_s, loudness.short_term_lufs, "#1f5fa8", 1.6, "short-term (3 s)"),
    ):
        axes.plot(times_s, _plottable(lufs), color=colour, linewidth=width, label=label)
    if target is not None:
        axes.axhspan(
            target.integrated_lufs - target.tolerance_lu,
            target.integrated_lufs + target.tolerance_lu,
            color="#2e7d32",
            alpha=0.2,
            label=f"target {signed(target.integrated_lufs)} ±{target.tolerance_lu:g} LU",
        )
    if doc["integrated_lufs"] is not None:
        axes.axhline(
            doc["integrated_lufs"],
            color="#1f5fa8",
            linestyle="--",
            linewidth=0.8,
            label=f"integrated {signed(doc['integrated_lufs'], 1)} LUFS",
        )
    axes.set_ylabel("loudness (LUFS)")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    hop_peaks = peaks.dbtp.max(axis=1) if peaks.peak.size else np.zeros(0)
    times = peaks.start_s + peaks.hop_s / 2
    ceiling = target.true_peak_max_dbtp if target is not None else None
    finite = np.isfinite(hop_peaks)
    over = finite & (hop_peaks > ceiling) if ceiling is not None else np.zeros_like(finite)
    peak_axes.vlines(times[finite], -200.0, hop_peaks[finite], color="#888", linewidth=1.0,
                     label="true peak per 100 ms")  # fmt: skip
    if over.any():
        peak_axes.plot(
            times[over],
            hop_peaks[over],
            "v",
            color="#c62828",
            markersize=6,
            label="over the ceiling",
        )
    if ceiling is not None:
        peak_axes.axhline(
            ceiling,
            color="#c62828",
            linestyle=":",
            linewidth=1.2,
            label=f"ceiling {signed(ceiling)} dBTP",
        )
    top = max([0.5, *(hop_peaks[finite] + 1.0)])
    bottom = min([-30.0, *([ceiling - 10.0] if ceiling is not None else [])])
    peak_axes.set_ylim(bottom, top)
    peak_axes.set_ylabel("true peak (dBTP)")
    peak_axes.set_xlabel("time (s)")
    peak_axes.grid(alpha=0.3)
    peak_axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    caption = (
        "Short-term (3 s) and momentary (400 ms) loudness, BS.1770-5 / EBU Tech 3341; true "
        "peak per 100 ms (BS.1770-5 Annex 2, 4× oversampling) against the ceiling below"
    )
    if not loudness.short_term_power.size:
        caption += " — the programme is shorter than 3 s, so there is no short-term value"
    report.figure(figure, "loudness", caption)
    rows: list[Sequence[Any]] = [
        ("integrated loudness", _level(doc["integrated_lufs"], "LUFS"), *_target_cells(doc, "I")),
        (
            "dialogue-gated loudness",
            _level(doc["dialogue_lufs"], "LUFS"),
            *_target_cells(doc, "D"),
        ),
        ("speech ratio", f"{doc['speech_ratio']:.0%} ({doc['dialogue_gated_on']})", "", ""),
        ("maximum true peak", _level(doc["true_peak_dbtp"], "dBTP"), *_target_cells(doc, "TP")),
        ("loudness range (LRA)", f"{doc['loudness_range_lu']:.1f} LU", "", ""),
        ("maximum momentary", _level(doc["momentary_max_lufs"], "LUFS"), "", ""),
        ("maximum short-term", _level(doc["short_term_max_lufs"], "LUFS"), "", ""),
        (
            "dialogue above noise floor",
            "—" if doc["speech_to_noise_db"] is None else f"{doc['speech_to_noise_db']:.1f} dB",
            "",
            "",
        ),
        (
            "duration",
            f"{doc['duration_s']:.2f} s, {doc['channels']} ch, {doc['rate_hz']} Hz",
            "",
            "",
        ),
    ]
    css = [_row_css(row[3]) for row in rows]
    report.table(("descriptor", "measured", "target", "result"), rows, css)
    report.paragraph(
        f"Dialogue gate: {doc['dialogue_method']}. It approximates, and is not, Dolby Dialogue "
        "Intelligence: confirm a borderline dialogue-gated result on a Dolby meter."
    )
    return report.write()


def _plottable(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.where(np.isfinite(values), values, np.nan)


def _target_cells(doc: dict[str, Any], which: str) -> tuple[str, str]:
    target = doc["target"]
    if target is None:
        return "", ""
    gated = target["measured_on"] == "dialogue"
    if which == "TP":
        ok = target["true_peak_ok"]
        return f"≤ {signed(target['true_peak_max_dbtp'])} dBTP", "pass" if ok else "FAIL"
    if (which == "D") != gated:
        return "", ""
    ok = target["loudness_ok"]
    band = f"{signed(target['integrated_lufs'])} ±{target['tolerance_lu']:g} LU"
    return band, "pass" if ok else "FAIL"


def _row_css(result: str) -> str:
    return "fail" if result == "FAIL" else ""
