"""The QC report a QC operator can forward: one folder with ``index.html``, PNG plots, a
thumbnail of the first frame of each finding, ``failures.csv`` (severity ``fail``) and
``findings.csv`` (everything).

The page: the verdict; the file and what it was checked against; a table per check
(result, counts, standard); every finding with its timecodes, measured value, limit,
standard and thumbnail; the plots — luminance, flicker (global and local), flash frequency,
loudness and true peak, legal range and banding — each with its limits drawn and the
findings shaded; the checks that did not run and why.
"""

from __future__ import annotations

import csv
import html
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from reelgraph import __version__
from reelgraph.algorithms.qc.findings import Finding, worst_severity
from reelgraph.qc.profiles import QCProfile
from reelgraph.qc.result import QCResult
from reelgraph.qc.thumbnails import ThumbnailSpool
from reelgraph.review.report_html import HtmlReport, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["CSV_COLUMNS", "write_report"]

CSV_COLUMNS = (
    "severity",
    "check",
    "start_tc",
    "end_tc",
    "start_frame",
    "end_frame",
    "value",
    "limit",
    "standard",
    "message",
    "thumbnail",
)
#: The plots a report can hold (PNG file names without extension).
PLOTS = ("luminance", "flicker", "flash", "loudness", "levels")
_SHADE = {"fail": "#c62828", "warning": "#ef8f00", "info": "#607d8b"}
#: Width and height (inches at 100 dpi) of a plot with one panel.
_PANEL_SIZE = (10.0, 3.0)
_RESULT_CSS = {"fail": "fail", "warning": "warning"}


def write_report(
    result: QCResult,
    folder: Path,
    spool: ThumbnailSpool,
    profile: QCProfile,
    *,
    stamp: bool = True,
) -> Path:
    """Write the report into ``folder`` (created); returns the path of ``index.html``.

    ``stamp=False`` leaves the date and the time taken out of the page."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (*folder.glob("thumb_*.jpg"), *(folder / f"{n}.png" for n in PLOTS)):
        stale.unlink(missing_ok=True)  # an earlier report in the same folder
    result.thumbnails = _thumbnails(result, folder, spool)
    name = Path(result.path).name
    report = HtmlReport(folder, f"QC report: {name}")
    counts = result.counts()
    verdict = (
        f"PASSED the {result.spec} QC profile"
        if result.passed
        else f"FAILED the {result.spec} QC profile"
    )
    verdict += (
        f": {counts['fail']} failure(s), {counts['warning']} warning(s), {counts['info']} note(s)."
    )
    report.paragraph(verdict, "pass" if result.passed else "failed")
    _file_table(report, result)
    report.heading("Checks")
    _check_table(report, result, profile)
    report.heading("Findings")
    if result.findings:
        _findings_table(report, result)
    else:
        report.paragraph("No findings.")
    report.link("failures.csv", "failures.csv — the failures, one per line (for a fix list)")
    report.link("findings.csv", "findings.csv — every finding, with severity")
    report.heading("Over time")
    _plots(report, result, profile)
    if result.skipped:
        report.heading("Checks not run")
        report.table(("check", "why"), sorted(result.skipped.items()))
    when = (
        f" on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} in {result.elapsed_s:.1f} s"
        if stamp
        else ""
    )
    report.paragraph(
        f"Checked by reelgraph {__version__}{when}. Frames are counted from 0 and timecodes "
        "from 00:00:00:00 at the first frame of the file; both ends of a range are included."
    )
    _csv(folder / "failures.csv", [f for f in result.findings if f.severity == "fail"], result)
    _csv(folder / "findings.csv", result.findings, result)
    return report.write()


def _thumbnails(result: QCResult, folder: Path, spool: ThumbnailSpool) -> dict[int, str]:
    names: dict[int, str] = {}
    for frame in sorted({f.start_frame for f in result.findings}):
        name = f"thumb_{frame:06d}.jpg"
        if spool.write(frame, folder / name):
            names[frame] = name
    return names


def _csv(path: Path, findings: Sequence[Finding], result: QCResult) -> None:
    order = {"fail": 0, "warning": 1, "info": 2}
    rows = sorted(findings, key=lambda f: (order[f.severity], f.start_frame))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for f in rows:
            data = f.to_dict()
            data["thumbnail"] = result.thumbnails.get(f.start_frame, "")
            writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])


def _file_table(report: HtmlReport, result: QCResult) -> None:
    probe = result.probe
    colour = probe["colour"]
    assumed = f" (assumed: {', '.join(colour['assumed'])})" if colour["assumed"] else ""
    rate = float(result.frame_rate)
    last_frame = max(0, probe["frame_count"] - 1)
    from reelgraph.timecode import frames_to_timecode

    rows: list[tuple[str, str]] = [
        ("file", result.path),
        ("delivery spec / QC profile", f"{result.spec} / {result.profile}"),
        (
            "picture",
            f"{probe['codec']} {probe['width']}×{probe['height']} {probe['pixel_format']} "
            f"{probe['bit_depth']}-bit, {colour['primaries']}/{colour['transfer']}/"
            f"{colour['matrix']}/{colour['range']}{assumed}",
        ),
        (
            "frames",
            f"{probe['frame_count']} at {probe['frame_rate']} fps ({rate:.3f}), "
            f"00:00:00:00–{frames_to_timecode(last_frame, result.frame_rate)}; "
            f"{result.frames_analysed} analysed",
        ),
    ]
    audio = probe["audio"]
    if audio:
        layout = audio["layout"]
        channels = "" if layout.endswith("channels") else f" ({audio['channels']} ch)"
        sound = (
            f"{audio['codec']} {layout}{channels} {audio['sample_rate']} Hz, "
            f"{audio['duration_s']:.3f} s"
        )
    rows.append(("sound", sound if audio else "none"))
    if result.audio is not None:
        a = result.audio
        compared = "dialogue-gated" if a["measured_on"] == "speech" else "integrated"
        rows.append(
            (
                "loudness",
                f"{_num(a['loudness_lufs'])} LUFS {compared} (target {a['target_lufs']:g} "
                f"±{a['tolerance_lu']:g} LU, {a['target']}); true peak "
                f"{_num(a['true_peak_dbtp'])} dBTP (max {a['true_peak_max_dbtp']:g}); "
                f"LRA {_num(a['lra_lu'])} LU",
            )
        )
    report.table(("", "this file"), rows)


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _check_table(report: HtmlReport, result: QCResult, profile: QCProfile) -> None:
    standards = profile.standards()
    rows: list[tuple[object, ...]] = []
    css: list[str] = []
    for check, counts in result.by_check().items():
        severities = [s for s, n in counts.items() if n]
        worst = worst_severity(severities)  # type: ignore[arg-type]
        outcome = {"fail": "FAIL", "warning": "warning", "info": "note"}.get(worst or "", "pass")
        rows.append(
            (
                check,
                outcome,
                counts["fail"],
                counts["warning"],
                counts["info"],
                standards.get(check, ""),
            )
        )
        css.append(_RESULT_CSS.get(worst or "", ""))
    for check, why in sorted(result.skipped.items()):
        rows.append((check, "not run", "", "", "", why))
        css.append("")
    report.table(("check", "result", "fail", "warning", "info", "standard / reason"), rows, css)


def _findings_table(report: HtmlReport, result: QCResult) -> None:
    head = ("#", "severity", "check", "timecode in–out", "frames", "value", "limit",
            "standard", "finding", "first frame")  # fmt: skip
    cells = ["<table><tr>", *(f"<th>{html.escape(h)}</th>" for h in head), "</tr>"]
    for number, f in enumerate(result.findings, 1):
        thumb = result.thumbnails.get(f.start_frame)
        image = (
            f'<img src="{html.escape(thumb)}" alt="frame {f.start_frame}" width="160">'
            if thumb
            else "—"
        )
        values = (
            str(number),
            f.severity,
            f.check,
            f"{f.start_tc}–{f.end_tc}",
            f"{f.start_frame}–{f.end_frame}",
            _value(f.value),
            _value(f.limit),
            f.standard,
            f.message,
        )
        row = "".join(f"<td>{html.escape(v)}</td>" for v in values)
        css = _RESULT_CSS.get(f.severity, "")
        cells.append(f'<tr class="{css}">{row}<td>{image}</td></tr>')
    cells.append("</table>")
    report.raw("".join(cells))


def _value(value: float | None) -> str:
    if value is None:
        return "—"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


# -- plots ---------------------------------------------------------------------------------


def _seconds(n: int, result: QCResult) -> NDArray[np.float64]:
    return np.arange(n, dtype=np.float64) / float(result.frame_rate)


def _shade(axes: Axes, result: QCResult, checks: Sequence[str]) -> None:
    """Shade the frames of the findings of ``checks`` (worst severity on top)."""
    rate = float(result.frame_rate)
    labelled: set[tuple[str, str]] = set()
    for f in result.findings:
        if f.check not in checks:
            continue
        key = (f.severity, f.check)
        label = None if key in labelled else f"{f.severity}: {f.check}"
        labelled.add(key)
        axes.axvspan(
            f.start_frame / rate,
            (f.end_frame + 1) / rate,
            color=_SHADE[f.severity],
            alpha=0.15,
            label=label,
        )


def _panel() -> tuple[Figure, Axes]:
    """A figure with one panel."""
    figure = new_figure(*_PANEL_SIZE)
    return figure, figure.subplots()


def _finish(
    axes: Axes,
    result: QCResult,
    ylabel: str,
    shade: Sequence[str],
    ylim: tuple[float, float],
    xlabel: bool = True,
) -> None:
    """Complete a panel over the programme: ``shade``'s findings, the value range, labels."""
    _shade(axes, result, shade)
    axes.set_ylim(*ylim)
    axes.set_xlim(0, max(result.frames_analysed, 1) / float(result.frame_rate))
    _label(axes, ylabel, xlabel)


def _label(axes: Axes, ylabel: str, xlabel: bool = True) -> None:
    axes.set_ylabel(ylabel)
    if xlabel:
        axes.set_xlabel("time (s)")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _series(result: QCResult, name: str) -> NDArray[np.float64] | None:
    values = result.video_series.get(name)
    if values is None or not np.isfinite(values).any():
        return None
    return np.asarray(values, dtype=np.float64)


def _plots(report: HtmlReport, result: QCResult, profile: QCProfile) -> None:
    if result.frames_analysed == 0:
        report.paragraph("No frame could be decoded: there is nothing to plot.")
    else:
        _luminance_plot(report, result, profile)
        _flicker_plot(report, result, profile)
        _flash_plot(report, result, profile)
    _loudness_plot(report, result)
    if result.frames_analysed:
        _levels_plot(report, result, profile)


def _luminance_plot(report: HtmlReport, result: QCResult, profile: QCProfile) -> None:
    luminance = _series(result, "flash.luminance_mean")
    black = _series(result, "black.ratio")
    if luminance is None and black is None:
        return
    figure, axes = _panel()
    if luminance is not None:
        axes.plot(_seconds(len(luminance), result), luminance, color="#1f5fa8",
                  linewidth=1.2, label="mean relative luminance")  # fmt: skip
        axes.axhline(profile.video.flash.dark_luminance_threshold, color="#7b1fa2",
                     linestyle=":", linewidth=1.0,
                     label="BT.1702 dark-state limit (0.8)")  # fmt: skip
    if black is not None:
        axes.plot(_seconds(len(black), result), black, color="#444", linewidth=1.0,
                  linestyle="--", label="black pixels (fraction)")  # fmt: skip
        axes.axhline(profile.video.black.picture_threshold, color="#444", linestyle=":",
                     linewidth=1.0, label="black picture (blackdetect pic_th)")  # fmt: skip
    _finish(axes, result, "0–1", ("black", "freeze", "flash", "red_flash"), (-0.02, 1.05))
    report.figure(
        figure,
        "luminance",
        "Luminance per frame: mean relative luminance (linear light, as the flash check "
        "reads it) and the fraction of black pixels; black, freeze and flash findings shaded",
    )


def _flicker_plot(report: HtmlReport, result: QCResult, profile: QCProfile) -> None:
    globals_ = _series(result, "flicker.global")
    locals_ = _series(result, "flicker.local")
    if globals_ is None and locals_ is None:
        return
    params = profile.video.flicker
    figure, axes = _panel()
    for values, colour, label, threshold in (
        (globals_, "#1f5fa8", "global", params.global_threshold),
        (locals_, "#2e7d32", "local (blocks)", params.local_threshold),
    ):
        if values is None:
            continue
        axes.plot(_seconds(len(values), result), np.abs(values), color=colour, linewidth=1.2,
                  label=f"{label} |change|")  # fmt: skip
        axes.axhline(threshold, color=colour, linestyle=":", linewidth=1.0,
                     label=f"{label} threshold {threshold:g}")  # fmt: skip
    cuts = _series(result, "flicker.cut")
    if cuts is not None:
        for index in np.flatnonzero(cuts > 0.5):
            axes.axvline(index / float(result.frame_rate), color="#999", linewidth=0.8,
                         linestyle="--")  # fmt: skip
    top = max(params.local_threshold * 2, float(np.nanmax(np.abs(np.concatenate(
        [v for v in (globals_, locals_) if v is not None])))) * 1.1)  # fmt: skip
    _finish(axes, result, "Y′ change per frame", ("flicker",), (0, top))
    report.figure(
        figure,
        "flicker",
        "Temporal flicker after motion compensation: global (whole picture) and local "
        "(worst blocks) brightness change per frame; dashed verticals are cuts (not measured)",
    )


def _flash_plot(report: HtmlReport, result: QCResult, profile: QCProfile) -> None:
    luminance = _series(result, "flash.frequency")
    red = _series(result, "red_flash.frequency")
    if luminance is None and red is None:
        return
    params = profile.video.flash
    fail_at = params.max_transitions / 2
    warn_at = params.warning_transitions / 2
    figure, axes = _panel()
    top = fail_at + 1.5
    for values, colour, label in ((luminance, "#1f5fa8", "general flashes"),
                                  (red, "#c62828", "red flashes")):  # fmt: skip
        if values is None:
            continue
        axes.step(_seconds(len(values), result), values, where="post", color=colour,
                  linewidth=1.2, label=label)  # fmt: skip
        top = max(top, float(np.nanmax(values)) + 1)
    axes.axhline(fail_at, color="#c62828", linestyle=":", linewidth=1.2,
                 label=f"limit: more than {fail_at:g} flashes/s fails")  # fmt: skip
    axes.axhline(warn_at, color="#ef8f00", linestyle=":", linewidth=1.0,
                 label=f"warning from {warn_at:g} flashes/s")  # fmt: skip
    _finish(axes, result, "flashes in the last second", ("flash", "red_flash"), (0, top))
    report.figure(
        figure,
        "flash",
        "Photosensitive flash frequency (ITU-R BT.1702, Ofcom, WCAG 2.3.1): flashes "
        "counted over the second ending at each frame, for flashes covering 25 % of the "
        "screen",
    )


def _loudness_plot(report: HtmlReport, result: QCResult) -> None:
    audio, series = result.audio, result.audio_series
    if audio is None or series is None:
        return
    short = np.asarray(series["short_term_lufs"], dtype=np.float64)
    label, offset = "short-term (3 s)", float(series["short_term_offset_s"])
    if not np.isfinite(short).any():
        short = np.asarray(series["momentary_lufs"], dtype=np.float64)
        label, offset = "momentary (400 ms)", float(series["momentary_offset_s"])
    peaks = np.asarray(series["true_peak_dbtp"], dtype=np.float64)
    hop = float(series["hop_s"])
    if not np.isfinite(short).any() and not np.isfinite(peaks).any():
        return
    figure = new_figure(10.0, 4.6)
    axes, peak_axes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1.5))
    momentary = np.asarray(series["momentary_lufs"], dtype=np.float64)
    if label.startswith("short") and np.isfinite(momentary).any():
        axes.plot(float(series["momentary_offset_s"]) + np.arange(len(momentary)) * hop,
                  np.where(np.isfinite(momentary), momentary, np.nan), color="#9ab",
                  linewidth=0.8, label="momentary (400 ms)")  # fmt: skip
    finite = np.where(np.isfinite(short), short, np.nan)
    axes.plot(offset + np.arange(len(short)) * hop, finite, color="#1f5fa8", linewidth=1.4,
              label=label)  # fmt: skip
    target, tolerance = audio["target_lufs"], audio["tolerance_lu"]
    axes.axhspan(target - tolerance, target + tolerance, color="#2e7d32", alpha=0.2,
                 label=f"target {target:g} ±{tolerance:g} LU ({audio['target']})")  # fmt: skip
    if audio["loudness_lufs"] is not None:
        gated = " (dialogue-gated)" if audio["measured_on"] == "speech" else ""
        axes.axhline(audio["loudness_lufs"], color="#1f5fa8", linestyle="--", linewidth=0.9,
                     label=f"programme {audio['loudness_lufs']:.1f} LUFS{gated}")  # fmt: skip
    # Loudness findings cover the whole programme: the line and the band say it all.
    _shade(peak_axes, result, ("true_peak", "clipping"))
    values = [v for v in (*finite[np.isfinite(finite)].tolist(), target) if math.isfinite(v)]
    _finish(axes, result, "loudness (LUFS)", (), (min(values) - 6, max(values) + 6), xlabel=False)
    frame_s = 1.0 / float(result.frame_rate)
    axes.set_xlim(0, max(len(peaks), result.frames_analysed) * frame_s)
    ceiling = audio["true_peak_max_dbtp"]
    times = (np.arange(len(peaks)) + 0.5) * frame_s
    ok = np.isfinite(peaks)
    peak_axes.vlines(times[ok], -200.0, peaks[ok], color="#888", linewidth=1.0,
                     label="true peak per frame")  # fmt: skip
    over = ok & (peaks > ceiling)
    if over.any():
        peak_axes.plot(times[over], peaks[over], "v", color="#c62828", markersize=5,
                       label="over the ceiling")  # fmt: skip
    peak_axes.axhline(ceiling, color="#c62828", linestyle=":", linewidth=1.2,
                      label=f"ceiling {ceiling:g} dBTP")  # fmt: skip
    top = max([0.5, *(peaks[ok] + 1.0).tolist()])
    peak_axes.set_ylim(min(-30.0, ceiling - 10.0), top)
    _label(peak_axes, "dBTP")
    report.figure(
        figure,
        "loudness",
        f"Loudness over time ({label}, ITU-R BS.1770-5 / EBU Tech 3341) against the "
        "target band, and true peak per picture frame (BS.1770-5 Annex 2) against the "
        "ceiling, with true-peak and clipping findings shaded",
    )


def _levels_plot(report: HtmlReport, result: QCResult, profile: QCProfile) -> None:
    y_out = _series(result, "legal_range.y_out")
    rgb_out = _series(result, "legal_range.rgb_out")
    banding = _series(result, "banding.score")
    legal = y_out is not None or rgb_out is not None
    if not legal and banding is None:
        return
    figure = new_figure(10.0, 4.4 if legal and banding is not None else 2.6)
    panels = list(np.atleast_1d(figure.subplots(int(legal) + int(banding is not None), 1,
                                                sharex=True)))  # fmt: skip
    captions = []
    if legal:
        axes = panels.pop(0)
        limit = profile.video.legal_range.max_area * 100
        for values, colour, label in ((y_out, "#1f5fa8", "Y′ outside"),
                                      (rgb_out, "#7b1fa2", "R′G′B′ out of gamut")):  # fmt: skip
            if values is not None:
                axes.plot(_seconds(len(values), result), values * 100, color=colour,
                          linewidth=1.2, label=label)  # fmt: skip
        axes.axhline(limit, color="#c62828", linestyle=":", linewidth=1.2,
                     label=f"EBU R 103 limit {limit:g} % of the picture")  # fmt: skip
        peaks = [float(np.nanmax(v)) * 110 for v in (y_out, rgb_out) if v is not None]
        _finish(axes, result, "% of the picture", ("legal_range",), (0, max([limit * 3, *peaks])),
                xlabel=banding is None)  # fmt: skip
        captions.append(
            "broadcast legal range (EBU R 103: Y′ and R′G′B′ within −5 %…105 %) as the share "
            "of each frame outside it"
        )
    if banding is not None:
        band_axes = panels.pop(0)
        known = np.isfinite(banding)
        seconds = _seconds(len(banding), result)
        band_axes.plot(seconds[known], banding[known], "o-", color="#2e7d32", markersize=3,
                       linewidth=1.0, label="banding score (CAMBI)")  # fmt: skip
        threshold = profile.video.banding.threshold
        band_axes.axhline(threshold, color="#ef8f00", linestyle=":", linewidth=1.2,
                          label=f"visible banding from {threshold:g}")  # fmt: skip
        top = max(threshold * 1.6, float(np.nanmax(banding)) * 1.1)
        _finish(band_axes, result, "score", ("banding",), (0, top))
        captions.append("the banding score on flat gradients")
    caption = " and ".join(captions)
    report.figure(figure, "levels", caption[0].upper() + caption[1:])
