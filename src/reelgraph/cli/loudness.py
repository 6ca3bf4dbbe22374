"""Measure the loudness of an audio file, or of the sound of a video file: integrated
(BS.1770-5), dialogue-gated, momentary and short-term maxima, loudness range (EBU Tech 3342)
and true peak (Annex 2), optionally against a delivery target.

Exit status: 0 when measured (and, with --spec, compliant); 1 when --spec is given and the
file misses the target; 2 on bad input (missing file, no audio stream, silence, a programme
shorter than 400 ms, NaN/inf samples, an unknown spec)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reelgraph.algorithms.audio import detect_speech, measure_with_speech, true_peak_series
from reelgraph.analyse.loudness import (
    describe_target,
    findings_text,
    loudness_document,
    read_programme,
    require_audible,
    require_duration,
    resolve_target,
    signed,
    write_report,
)
from reelgraph.cli.common import (
    EXIT_NOT_PASSED,
    add_json_option,
    console,
    emit_json,
    refused_as_usage,
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="audio file, or video file with sound")
    parser.add_argument(
        "--spec",
        metavar="NAME",
        help="compare with a loudness target (ebu-r128, atsc-a85, streaming, web) or a "
        "delivery spec's (web-sdr, broadcast-ebu, broadcast-atsc, streaming-hdr); exit 1 "
        "when not compliant",
    )
    add_json_option(parser, "reelgraph.Loudness.1")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write an HTML report (index.html, loudness.png) into DIR",
    )


def run(args: argparse.Namespace) -> int:
    with refused_as_usage("--spec"):
        target = resolve_target(args.spec) if args.spec else None
    programme = read_programme(args.file)
    require_duration(programme, args.file)
    layout = programme.weights_layout
    speech = detect_speech(programme.samples, programme.rate, layout=layout)
    measurement = measure_with_speech(programme.samples, programme.rate, speech, layout=layout)
    require_audible(measurement, args.file)
    doc = loudness_document(measurement, speech, path=str(args.file), target=target,
                            spec=args.spec)  # fmt: skip
    report = None
    if args.report is not None:
        peaks = true_peak_series(programme.samples, programme.rate)
        report = write_report(args.report, doc, measurement, peaks, target=target)
    if args.json:
        emit_json(doc)
    else:
        _print(doc, target is not None)
        if target is not None:
            console.print(f"target: {describe_target(target)}")
        if report is not None:
            console.print(f"report: {report}")
    if target is not None and not doc["compliant"]:
        return EXIT_NOT_PASSED
    return 0


def _print(doc: dict[str, Any], with_target: bool) -> None:
    def level(key: str, unit: str) -> str:
        value = doc[key]
        return "—" if not isinstance(value, int | float) else f"{signed(float(value), 1)} {unit}"

    console.print(
        f"[bold]{doc['path']}[/]  {doc['channels']} ch ({doc['layout'] or 'inferred'}), "
        f"{doc['rate_hz']} Hz, {doc['duration_s']:.2f} s"
    )
    console.print(f"  integrated loudness   {level('integrated_lufs', 'LUFS')}")
    console.print(
        f"  dialogue-gated        {level('dialogue_lufs', 'LUFS')}  "
        f"({doc['speech_ratio']:.0%} speech, gated on {doc['dialogue_gated_on']})"
    )
    console.print(f"  loudness range        {doc['loudness_range_lu']:.1f} LU")
    console.print(f"  true peak             {level('true_peak_dbtp', 'dBTP')}")
    console.print(f"  momentary max         {level('momentary_max_lufs', 'LUFS')}")
    console.print(f"  short-term max        {level('short_term_max_lufs', 'LUFS')}")
    if doc["speech_to_noise_db"] is not None:
        console.print(
            f"  dialogue / noise      {doc['speech_to_noise_db']:.1f} dB "
            f"(noise floor {level('noise_floor_dbfs', 'dBFS')})"
        )
    if with_target:
        if doc["compliant"]:
            console.print(f"[green]compliant[/] with {doc['spec']}")
        else:
            console.print(f"[red]NOT compliant[/] with {doc['spec']}:")
            for problem in findings_text(doc):
                console.print(f"  {problem}")
