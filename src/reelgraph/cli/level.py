"""Bring a file's sound to a delivery loudness target: optional dialogue noise reduction,
speech-aware leveling, then normalisation within the true-peak ceiling (limiting only when
linear gain would break it, and saying so). Prints the figures before and after.

OUT's extension picks the format: .wav/.bwf (24-bit PCM) or .flac for the sound alone;
.mov/.mkv (24-bit PCM) or .mp4 (AAC) for a video IN, whose video stream is copied untouched
(packet for packet, no re-encode). For AAC the limiter keeps 1 dB more headroom, since the
encode raises true peaks. The after-figures are measured on the written file. OUT is written
under a temporary name in its folder and renamed when complete: nothing half-written is
left on error.

Exit status: 0 when OUT meets the target; 1 when OUT was written but still misses it (the
reason is printed); 2 on bad input (no audio stream, silence, shorter than 400 ms, NaN/inf
samples, an unknown spec, an unusable OUT) — then nothing is written."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path
from typing import Any

from rich.table import Table

from reelgraph.algorithms.audio import (
    LoudnessMeasurement,
    correct_loudness,
    measure_with_speech,
)
from reelgraph.analyse.loudness import (
    describe_target,
    read_programme,
    require_audible,
    require_duration,
    resolve_target,
    signed,
)
from reelgraph.cli.common import (
    EXIT_NOT_PASSED,
    add_json_option,
    add_quiet_option,
    console,
    emit_json,
    quiet,
    refuse_input_as_output,
    refused_as_usage,
    require_output_folder,
)
from reelgraph.errors import MediaError, UsageError
from reelgraph.media.audio import CODECS, require_writable_folder, write_audio
from reelgraph.media.probe import probe
from reelgraph.media.remux import AUDIO_CODECS, replace_audio
from reelgraph.plan.rules.loudness import LOSSY_TRUE_PEAK_MARGIN_DB


def _strength(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="IN", help="audio file or video with sound")
    parser.add_argument(
        "output",
        type=Path,
        metavar="OUT",
        help=f"corrected file: {', '.join(CODECS)} for sound, {', '.join(AUDIO_CODECS)} for "
        "a video IN (video copied untouched)",
    )
    parser.add_argument(
        "--spec",
        required=True,
        metavar="NAME",
        help="loudness target (ebu-r128, atsc-a85, streaming, web) or delivery spec "
        "(web-sdr, broadcast-ebu, broadcast-atsc, streaming-hdr)",
    )
    parser.add_argument(
        "--noise-reduction",
        type=_strength,
        metavar="STRENGTH",
        help="reduce steady background noise under the dialogue first, strength 0–1 (0.8 is "
        "the usual setting)",
    )
    # The old name, refused with the new one (restore's --denoise is picture noise in 8-bit
    # code values; the same word must not mean a 0–1 audio strength here).
    parser.add_argument("--denoise", dest="renamed_denoise", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-leveler",
        action="store_true",
        help="skip the speech-aware leveler: one static gain (and limiting only if needed)",
    )
    add_json_option(parser, "reelgraph.Level.1")
    add_quiet_option(parser)


def _check_paths(source: Path, destination: Path) -> bool:
    """Refuse an unusable OUT before any work; True when OUT is a video container."""
    suffix = destination.suffix.lower()
    if suffix not in CODECS and suffix not in AUDIO_CODECS:
        raise MediaError(
            f"{destination}: unknown output format '{destination.suffix}'",
            hint=f"name OUT with one of {', '.join([*CODECS, *AUDIO_CODECS])}",
        )
    require_output_folder(destination)
    if destination.is_dir():
        raise MediaError(f"{destination}: is a folder", hint="name a file to write")
    require_writable_folder(destination.parent)
    refuse_input_as_output(
        destination, source, "write the corrected file under a new name; the original stays"
    )
    return suffix in AUDIO_CODECS


def run(args: argparse.Namespace) -> int:
    if args.renamed_denoise is not None:
        raise UsageError(
            "level --denoise is now --noise-reduction",
            hint=f"use --noise-reduction {args.renamed_denoise} (strength 0–1)",
        )
    with refused_as_usage("--spec"):
        target = resolve_target(args.spec)
    source, destination = Path(args.input), Path(args.output)
    video_out = _check_paths(source, destination)
    info = probe(source)
    if video_out and not info.video:
        raise MediaError(
            f"{source}: has no video stream to copy into {destination.name}",
            hint=f"write the sound to {destination.with_suffix('.wav').name} (or .flac)",
        )
    programme = read_programme(source)
    require_duration(programme, source)
    lossy = video_out and AUDIO_CODECS[destination.suffix.lower()] == "aac"
    result = correct_loudness(
        programme.samples,
        programme.rate,
        target,
        layout=programme.weights_layout,
        denoise_strength=args.noise_reduction,
        use_leveler=not args.no_leveler,
        true_peak_margin_db=LOSSY_TRUE_PEAK_MARGIN_DB if lossy else 0.0,
    )
    require_audible(result.before, source)

    # Beside OUT (same file system: the rename is atomic), with OUT's extension (the format).
    temporary = destination.with_name(
        f".{destination.stem}.{secrets.token_hex(4)}.tmp{destination.suffix}"
    )
    notes: list[str] = []
    try:
        if video_out:
            notes = replace_audio(
                source, temporary, result.samples, programme.rate, programme.layout
            )
        else:
            write_audio(
                temporary,
                result.samples,
                programme.rate,
                layout=programme.layout,
                description=f"reelgraph level --spec {args.spec}: {describe_target(target)}",
            )
        written = read_programme(temporary)
        after = measure_with_speech(
            written.samples, written.rate, result.speech, layout=written.weights_layout
        )
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise

    check = after.check(target)
    if args.json:
        emit_json(level_document(args, result, after, check.passed))
    if not quiet(args):
        _report(args, result, after, video_out, info, notes)
    if check.passed:
        if not quiet(args):
            console.print(f"[green]compliant[/] with {target.name}: {describe_target(target)}")
        return 0
    if quiet(args):
        return EXIT_NOT_PASSED
    console.print(
        f"[red]NOT compliant[/] with {target.name} ({describe_target(target)}): "
        f"{result.normalisation.reason}"
    )
    return EXIT_NOT_PASSED


def _figures(measurement: LoudnessMeasurement) -> dict[str, Any]:
    dialogue = measurement.dialogue
    return {
        "integrated_lufs": measurement.integrated_lufs,
        "dialogue_lufs": dialogue.loudness_lufs if dialogue is not None else None,
        "true_peak_dbtp": measurement.true_peak_dbtp,
        "lra_lu": measurement.lra_lu,
    }


def level_document(
    args: argparse.Namespace, result: Any, after: LoudnessMeasurement, compliant: bool
) -> dict[str, Any]:
    """reelgraph.Level.1: the figures before and after, and what was done."""
    norm = result.normalisation
    return {
        "schema": "reelgraph.Level.1",
        "input": str(args.input),
        "output": str(args.output),
        "spec": args.spec,
        "target": describe_target(result.target),
        "true_peak_ceiling_dbtp": result.aimed_at.true_peak_max_dbtp,
        "before": _figures(result.before),
        "after": _figures(after),
        "gain_db": norm.gain_db,
        "limited": bool(norm.limited),
        "max_gain_reduction_db": norm.max_gain_reduction_db if norm.limited else None,
        "steps": [str(step) for step in result.steps],
        "compliant": compliant,
        "reason": None if compliant else norm.reason,
    }


def _level(value: float, unit: str) -> str:
    return f"{signed(value, 1)} {unit}"


def _report(
    args: argparse.Namespace,
    result: Any,
    after: LoudnessMeasurement,
    video_out: bool,
    info: Any,
    notes: list[str],
) -> None:
    before = result.before
    table = Table(title=f"{args.input} → {args.output}", title_justify="left", box=None)
    for column in ("", "before", "after"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row(
        "integrated", _level(before.integrated_lufs, "LUFS"), _level(after.integrated_lufs, "LUFS")
    )
    if before.dialogue is not None and after.dialogue is not None:
        table.add_row(
            f"dialogue-gated ({before.dialogue.speech_ratio:.0%} speech)",
            _level(before.dialogue.loudness_lufs, "LUFS"),
            _level(after.dialogue.loudness_lufs, "LUFS"),
        )
    table.add_row(
        "true peak", _level(before.true_peak_dbtp, "dBTP"), _level(after.true_peak_dbtp, "dBTP")
    )
    table.add_row("loudness range", f"{before.lra_lu:.1f} LU", f"{after.lra_lu:.1f} LU")
    console.print(table)
    norm, ceiling = result.normalisation, result.aimed_at.true_peak_max_dbtp
    margin = result.target.true_peak_max_dbtp - ceiling
    headroom = f", {margin:g} dB under the target's for the AAC encode" if margin > 0 else ""
    if norm.limited:
        console.print(
            f"[yellow]limited: yes[/] — linear gain would have broken the "
            f"{signed(ceiling, 1)} dBTP ceiling{headroom}; up to "
            f"{norm.max_gain_reduction_db:.1f} dB of true-peak limiting"
        )
    else:
        console.print(
            f"limited: no — linear gain only, within the {signed(ceiling, 1)} dBTP ceiling"
            f"{headroom}"
        )
    for step in result.steps:
        console.print(f"  {step}")
    if video_out:
        video = ", ".join(f"#{v.index} {v.codec} {v.width}×{v.height}" for v in info.video)
        codec = AUDIO_CODECS[Path(args.output).suffix.lower()]
        console.print(f"video copied untouched: {video}; sound written as {codec}")
        for note in notes:
            console.print(f"  not carried over: {note}")
