"""Restore a clip: deblock, denoise, upscale ×2/×4 (DCCI super-resolution, Lanczos, or your
own ONNX model), deband, put the grain back, optionally map SDR to HDR (PQ or HLG), and write
it as OpenEXR plates, ProRes, HEVC HDR10, H.264 or FFV1.

The clip is measured first (noise, blockiness, banding, resolution, bit depth) and every step
is decided from the figures exactly as 'reelgraph plan' decides it for a project's shots;
the decisions are printed with their reasons. The work runs as a plan of the same agents a
project runs (restore, sdr_to_hdr, master), through the orchestrator: cached (a second
restore of the same clip with the same choices, or into another format, reuses what was
done), recorded in the ledger and the audit log of the project given with -p, or else of
the restore cache ($XDG_CACHE_HOME/reelgraph/restore). OUT is copied out of the cache and
appears only when complete (renamed into place); for exr it is a folder of per-frame files
(OUT/NAME.0000.exr…). The sound of IN is carried into video outputs.

Exit status: 0 when OUT was written; 2 on bad input or a failed step (nothing is written)."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import av

from reelgraph.agents.restore import AnalysePlate, measure_plate, sample_frames
from reelgraph.algorithms.colour.standards import HDR_NOMINAL_PEAK, HDR_REFERENCE_WHITE
from reelgraph.cli.common import (
    ProgressView,
    add_executor_options,
    add_json_option,
    add_project_option,
    add_quiet_option,
    console,
    emit_json,
    executor_from,
    quiet,
    refuse_input_as_output,
    require_output_folder,
)
from reelgraph.errors import (
    AgentError,
    MediaError,
    MediaNotFoundError,
    ProjectError,
    UnsupportedMediaError,
    UsageError,
)
from reelgraph.ingest.sources import source_meta
from reelgraph.media.hdr import read_hdr10_metadata
from reelgraph.media.models import load_onnx_upscaler
from reelgraph.media.probe import MediaInfo, probe
from reelgraph.media.video import PRESETS
from reelgraph.orchestrator.agent import Input
from reelgraph.orchestrator.cache import Artifact, file_sha256
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.runner import Runner, RunSummary, SourceRef
from reelgraph.plan.restoration import (
    DEFAULT_UPSCALER,
    GRAIN_MODES,
    UPSCALERS,
    RestoreChoiceError,
    Target,
    decide_restore,
)
from reelgraph.plan.rules.restore import restore_nodes
from reelgraph.project.folder import Project, init_project, open_project

#: --format → (master preset for SDR, for HDR or None when the format cannot carry HDR).
FORMATS: dict[str, tuple[str, str | None]] = {
    "exr": ("exr", "exr"),
    "prores": ("prores", None),
    "prores4444": ("prores4444", None),
    "hevc-hdr10": ("hevc-hdr10", "hevc-hdr10"),
    "h264": ("h264", None),
    "ffv1": ("ffv1", "ffv1-rgb16"),
}
#: OUT's extension → --format when none is given.
BY_EXTENSION = {".mp4": "h264", ".mov": "prores", ".mkv": "ffv1", "": "exr"}
#: Bits per component of each preset's output (16 for half-float EXR).
BITS = {
    "exr": 16,
    "prores": 10,
    "prores4444": 10,
    "hevc-hdr10": 10,
    "h264": 8,
    "ffv1": 10,
    "ffv1-rgb16": 16,
}
#: The highest mastering peak PQ can signal, cd/m² (SMPTE ST 2084).
PQ_PEAK = 10000.0
#: The source's ids in the restore plan: its picture, and its sound for the master.
CLIP, SOUND = "clip", "clip-sound"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="IN", help="video file to restore")
    parser.add_argument(
        "output",
        type=Path,
        metavar="OUT",
        help="file to write (.mp4, .mov, .mkv), or a folder to create for exr plates",
    )
    parser.add_argument(
        "--denoise",
        default="auto",
        metavar="auto|off|learned|STRENGTH",
        help="auto: from the noise estimate; learned: reelgraph's x1 restorer network; or "
        "the noise sigma to remove in 8-bit code values (e.g. 3 = 3/255)",
    )
    parser.add_argument("--deblock", default="auto", choices=["auto", "off"])
    parser.add_argument(
        "--upscale", type=int, choices=[1, 2, 4], help="factor (default 1, or the ONNX model's)"
    )
    parser.add_argument(
        "--upscaler",
        default=DEFAULT_UPSCALER,
        metavar="NAME|model.onnx",
        help=f"{', '.join(UPSCALERS)} (default {DEFAULT_UPSCALER}, with multi-frame "
        "super-resolution; learned: reelgraph's restorer network), or an ONNX "
        "image-to-image model (NCHW float RGB, integer scale)",
    )
    parser.add_argument(
        "--grain",
        default="auto",
        choices=["auto", *GRAIN_MODES],
        help="put the source's grain back after upscaling (auto: match, but off for h264)",
    )
    parser.add_argument("--deband", default="auto", choices=["auto", "off"])
    parser.add_argument(
        "--hdr",
        default="auto",
        choices=["auto", "off", "pq", "hlg"],
        help="map SDR to HDR with BT.2408 (auto: pq for hevc-hdr10, else off)",
    )
    parser.add_argument(
        "--peak",
        type=float,
        default=HDR_NOMINAL_PEAK,
        metavar="NITS",
        help="HDR mastering display peak, cd/m² (HDR10 metadata, HLG nominal peak; default "
        f"{HDR_NOMINAL_PEAK:g})",
    )
    parser.add_argument(
        "--format",
        choices=list(FORMATS),
        help="output format (default from OUT: .mp4 h264, .mov prores, .mkv ffv1, "
        "no extension exr)",
    )
    parser.add_argument(
        "--exr-type", default="half", choices=["half", "float"], help="EXR sample type"
    )
    parser.add_argument(
        "--drop-alpha",
        action="store_true",
        help="restore a clip with an alpha channel, leaving the alpha out",
    )
    add_project_option(
        parser,
        default=None,
        help="project whose cache, ledger and audit log record the work (default: the "
        "restore cache, $XDG_CACHE_HOME/reelgraph/restore)",
    )
    add_executor_options(parser)
    add_quiet_option(parser)
    add_json_option(parser, "reelgraph.Restore.1")


def _format(args: argparse.Namespace) -> str:
    out: Path = args.output
    if args.format:
        return str(args.format)
    suffix = out.suffix.lower()
    if suffix not in BY_EXTENSION:
        raise UsageError(
            f"{out}: cannot tell the output format from '{out.suffix}'",
            hint=f"pass --format ({', '.join(FORMATS)})",
        )
    return BY_EXTENSION[suffix]


def _check_output(args: argparse.Namespace, preset: str) -> None:
    source, out = Path(args.input), Path(args.output)
    require_output_folder(out)
    refuse_input_as_output(out, source)
    if preset == "exr":
        if out.suffix:
            raise UsageError(
                f"{out}: exr plates are written as a folder of frames",
                hint=f"name the folder without an extension, e.g. {out.with_suffix('')}",
            )
        if out.is_file() or (out.is_dir() and any(out.iterdir())):
            raise MediaError(
                f"{out}: exists and is not an empty folder",
                hint="choose a new folder name, or remove the old plates first",
            )
        return
    extension = PRESETS[preset].extension
    if out.suffix.lower() != extension:
        raise UsageError(
            f"{out}: {args.format or preset} is written as {extension}",
            hint=f"name OUT {out.with_suffix(extension).name}",
        )
    if out.is_dir():
        raise MediaError(f"{out}: is a folder", hint="name a file to write")


def _check_source(args: argparse.Namespace, info: MediaInfo) -> None:
    path = Path(args.input)
    if not info.video:
        raise MediaError(
            f"{path}: has no video stream", hint="restore takes a video clip; see 'reelgraph level'"
        )
    video = info.first_video
    if video.has_alpha and not args.drop_alpha:
        raise UnsupportedMediaError(
            f"{path}: has an alpha channel ({video.pixel_format}); restoration works on colour "
            "only and the alpha would be lost",
            hint="pass --drop-alpha to restore the colour without it (keep the matte "
            "separately), or export the clip without alpha",
        )
    if video.variable_frame_rate:
        raise UnsupportedMediaError(
            f"{path}: variable frame rate",
            hint="re-encode at a constant frame rate; temporal restoration needs evenly "
            "spaced frames",
        )


def _hdr(args: argparse.Namespace, fmt: str, info: MediaInfo) -> str | None:
    hdr = {"auto": "pq" if fmt == "hevc-hdr10" else None, "off": None}.get(args.hdr, args.hdr)
    if fmt == "hevc-hdr10" and hdr != "pq":
        raise UsageError(
            f"hevc-hdr10 is a PQ (HDR10) format but --hdr is {args.hdr}",
            hint="use --hdr pq (or leave --hdr out), or another --format for SDR",
        )
    if hdr is not None and FORMATS[fmt][1] is None:
        raise UsageError(
            f"{fmt} output is SDR BT.709 here; it cannot carry {hdr.upper()}",
            hint="for HDR use --format hevc-hdr10 (PQ), exr or ffv1 (PQ or HLG)",
        )
    transfer = info.first_video.colour.transfer
    if hdr is not None and transfer in ("smpte2084", "arib-std-b67"):
        raise UnsupportedMediaError(
            f"{args.input}: is already HDR ({transfer})",
            hint="leave --hdr off: inverse tone mapping takes SDR pictures",
        )
    if hdr is not None and not HDR_REFERENCE_WHITE < args.peak <= PQ_PEAK:
        raise UsageError(
            f"--peak {args.peak:g} cd/m²",
            hint=f"use a peak above {HDR_REFERENCE_WHITE:g} (where SDR white lands) up to "
            f"{PQ_PEAK:g}",
        )
    return hdr


def _upscale(args: argparse.Namespace) -> tuple[int | None, str]:
    """(factor or None when not asked, the upscaler: a name or the model's absolute path)."""
    upscaler = str(args.upscaler)
    if upscaler.endswith(".onnx"):
        path = Path(upscaler).resolve()
        if not path.is_file():
            raise MediaNotFoundError(
                f"{path}: ONNX model not found", hint="check the path given to --upscaler"
            )
        model = load_onnx_upscaler(path)  # refuses a malformed model, with a hint
        if args.upscale and args.upscale != model.scale:
            raise UsageError(
                f"{path.name} upscales ×{model.scale}, --upscale is {args.upscale}",
                hint=f"use --upscale {model.scale}, or leave --upscale out",
            )
        return model.scale, str(path)
    if upscaler not in UPSCALERS:
        raise UsageError(
            f"unknown upscaler {upscaler!r}",
            hint=f"use {', '.join(UPSCALERS)}, or the path of a .onnx model",
        )
    return args.upscale, upscaler


def _check_size(width: int, height: int, preset: str) -> None:
    if preset == "exr":
        return
    fmt = av.VideoFormat(PRESETS[preset].pix_fmt)
    if (fmt.chroma_width(width), fmt.chroma_height(height)) != (width, height) and (
        width % 2 or height % 2
    ):
        raise UsageError(
            f"the output would be {width}×{height}; {preset} subsamples chroma and needs an "
            "even width and height",
            hint="use --upscale 2, or a 4:4:4 format (--format ffv1, prores4444 or exr)",
        )


def restore_cache() -> Path:
    """Where restores outside a project are cached and recorded."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reelgraph" / "restore"


def _work_project(args: argparse.Namespace) -> Project:
    if args.project is not None:
        return open_project(Path(args.project))
    root = restore_cache()
    try:
        return open_project(root)
    except ProjectError:
        return init_project(root)


def _plan(
    source: Path,
    frames: int,
    restore: dict[str, Any],
    hdr: dict[str, Any] | None,
    master: dict[str, Any],
    sound: bool,
) -> Plan:
    """restore (in parallel chunks when long) → [sdr_to_hdr] → master: a project's
    picture chain without its grade."""
    shot = source.stem
    nodes = restore_nodes("restore", restore, f"source:{CLIP}", "restore the clip", frames, shot)
    if hdr is not None:
        nodes.append(Node("sdr_to_hdr", "sdr_to_hdr", hdr, ("restore",), "SDR → HDR", shot))
    picture = nodes[-1].id
    inputs = (picture, f"source:{SOUND}") if sound else (picture,)
    nodes.append(Node("master", "master", master, inputs, f"write {master['preset']}", shot))
    return Plan(f"restore {source.name}", str(master["preset"]), tuple(nodes))


def run(args: argparse.Namespace) -> int:
    source, out = Path(args.input), Path(args.output)
    fmt = _format(args)
    info = probe(source)
    _check_source(args, info)
    hdr = _hdr(args, fmt, info)
    preset = FORMATS[fmt][1 if hdr else 0]
    assert preset is not None  # _hdr refused formats without an HDR preset
    _check_output(args, preset)
    factor, upscaler = _upscale(args)
    video = info.first_video
    _check_size(video.width * (factor or 1), video.height * (factor or 1), preset)
    meta = source_meta(info)
    fingerprint = file_sha256(source)
    talk = not quiet(args)

    with console.status("measuring the clip…"):
        item = Input(f"source:{fingerprint}", source, meta)
        sampled = sample_frames(item, AnalysePlate.Params().samples)
        plate = measure_plate(sampled, bit_depth=video.bit_depth, colour=meta["colour"])
    del sampled
    if talk:
        console.print(f"[bold]{source.name}[/]: {plate['summary']}")
    target = Target(
        name=f"{fmt} output",
        bit_depth=32 if preset == "exr" and args.exr_type == "float" else BITS[preset],
        transfer={"pq": "smpte2084", "hlg": "arib-std-b67"}.get(hdr or "", "bt709"),
        lossy_8bit=preset == "h264",
    )
    try:
        decision = decide_restore(
            plate,
            target,
            source_bits=video.bit_depth,
            denoise=args.denoise,
            deblock=args.deblock,
            deband=args.deband,
            upscale=factor,
            upscaler=upscaler,
            grain=args.grain,
            grain_hint="use --grain match to keep it",
        )
    except RestoreChoiceError as exc:
        raise UsageError(exc.message, hint=exc.hint) from None
    frames = int(meta["frames"])
    if frames < 5:
        decision.reasons.append(
            f"{frames} frame{'s' if frames != 1 else ''}: shorter than the 5-frame temporal "
            "window, so denoising and super-resolution use the frames there are"
            + (" (spatial only)" if frames == 1 else "")
        )
    if hdr:
        decision.reasons.append(
            f"SDR→HDR: {hdr.upper()} BT.2020 by Report ITU-R BT.2408 (SDR white → "
            f"{HDR_REFERENCE_WHITE:g} cd/m²), mastering peak {args.peak:g} cd/m²"
        )
    if talk:
        for reason in decision.reasons:
            console.print(f"  {reason}")

    params = dict(decision.params)
    if upscaler.endswith(".onnx") and params.get("upscale", 1) > 1:
        params["upscaler"] = upscaler
    master = {
        "preset": preset,
        "name": out.name if preset == "exr" else out.stem,
        "exr_pixel_type": args.exr_type,
    }
    to_hdr = {"transfer": hdr, "peak_luminance": args.peak} if hdr else None
    sound = bool(info.audio) and preset != "exr"
    plan = _plan(source, int(meta["frames"]), params, to_hdr, master, sound)
    sources = {CLIP: SourceRef(CLIP, source.resolve(), fingerprint, meta)}
    if sound:
        sources[SOUND] = SourceRef(SOUND, source.resolve(), fingerprint, {"kind": "audio"})

    project = _work_project(args)
    try:
        with ProgressView(quiet=not talk) as view:
            runner = Runner(
                project, plan, executor_from(args), sources=sources, kind="restore", sinks=[view]
            )
            summary = runner.run()
        _refuse_failure(summary)
        _write_out(out, preset, summary.artifacts["master"])
        project.audit.append(
            "restore_out",
            str(out.resolve()),
            {"run": summary.run_id, "key": summary.artifacts["master"].key},
        )
        where = project.root
    finally:
        project.close()
    if args.json:
        emit_json(_document(args, fmt, preset, plate, decision.reasons, params, summary, where))
    if talk:
        _report(out, preset, summary, where)
    return 0


def _refuse_failure(summary: RunSummary) -> None:
    for outcome in summary.nodes.values():
        if outcome.outcome == "failed":
            raise AgentError(
                f"{outcome.node_id}: {outcome.reason}",
                hint=outcome.hint or "re-run with --debug and report the traceback",
                node=outcome.node_id,
            )
    if summary.status != "completed" or "master" not in summary.artifacts:
        raise AgentError(f"the restore run ended {summary.status}", hint="run it again")


def _write_out(out: Path, preset: str, master: Artifact) -> None:
    """Copy the master out of the cache (the cache's copy stays immutable) under a temporary
    name beside OUT, renamed into place when complete."""
    temporary = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    meta = master.meta
    try:
        if preset == "exr":
            temporary.mkdir()
            for name in meta["files"]:
                shutil.copyfile(master.path / name, temporary / name)
        else:
            shutil.copyfile(master.path / str(meta["file"]), temporary)
        os.replace(temporary, out)
    except BaseException:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)
        raise


def _document(
    args: argparse.Namespace,
    fmt: str,
    preset: str,
    plate: dict[str, Any],
    reasons: list[str],
    params: dict[str, Any],
    summary: RunSummary,
    project: Path,
) -> dict[str, Any]:
    """reelgraph.Restore.1: what was measured, decided, run and written."""
    artifacts = summary.artifacts
    hdr = artifacts.get("sdr_to_hdr")
    master = artifacts["master"].meta
    return {
        "schema": "reelgraph.Restore.1",
        "input": str(args.input),
        "output": str(args.output),
        "format": fmt,
        "preset": preset,
        "project": str(project.resolve()),
        "run": summary.run_id,
        "plate": plate,
        "decisions": list(reasons),
        "params": params,
        "nodes": [
            {
                "id": o.node_id,
                "agent": o.agent,
                "outcome": o.outcome,
                "key": o.key,
                "cost_usd": round(o.cost_usd, 6),
            }
            for o in summary.nodes.values()
        ],
        "metrics": {k: round(v, 6) for k, v in artifacts["restore"].metrics.items()},
        "width": int(master["width"]),
        "height": int(master["height"]),
        "max_cll": hdr.meta.get("max_cll") if hdr else None,
        "max_fall": hdr.meta.get("max_fall") if hdr else None,
    }


def _report(out: Path, preset: str, summary: RunSummary, project: Path) -> None:
    artifacts = summary.artifacts
    m = artifacts["restore"].metrics
    if "noise_in_255" in m and "noise_out_255" in m:
        console.print(
            f"residual noise: σ {m['noise_in_255']:.2f}/255 → {m['noise_out_255']:.2f}/255 "
            "(luma, at the source's size, before grain)"
        )
    if "flicker_global_max" in m and "flicker_global_source" in m:
        console.print(
            f"flicker as QC measures it (largest change per frame, global / local): "
            f"{m['flicker_global_source']:.4f} / {m['flicker_local_source']:.4f} → "
            f"{m['flicker_global_max']:.4f} / {m['flicker_local_max']:.4f}"
        )
    steps = [(k.removeprefix("seconds_"), v) for k, v in m.items() if k.startswith("seconds_")]
    if steps:
        console.print("time: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps))
    hdr = artifacts.get("sdr_to_hdr")
    if hdr is not None and "max_cll" in hdr.meta:
        console.print(f"MaxCLL {hdr.meta['max_cll']} cd/m², MaxFALL {hdr.meta['max_fall']} cd/m²")
    meta = artifacts["master"].meta
    colour = meta.get("colour") or {}
    if preset == "exr":
        console.print(
            f"wrote {out}/ ({len(meta['files'])} {meta['pixel_type']} EXR frames, "
            f"{meta['width']}×{meta['height']}, linear {meta['primaries']})"
        )
    else:
        console.print(
            f"wrote {out} ({preset}, {meta['width']}×{meta['height']}, "
            f"{colour.get('primaries')}/{colour.get('transfer')})"
        )
    if preset == "hevc-hdr10":
        hdr10 = read_hdr10_metadata(out)
        if hdr10 is None or hdr10.max_cll is None:
            console.print("[yellow]warning:[/] the HDR10 metadata did not come back from the file")
        else:
            console.print(
                f"HDR10 metadata in the file: mastering display {hdr10.max_luminance:g}/"
                f"{hdr10.min_luminance:g} cd/m², MaxCLL {hdr10.max_cll}, MaxFALL {hdr10.max_fall}"
            )
    ran = summary.count("ran")
    console.print(
        f"run {summary.run_id} in {project}: {ran} step(s) ran, {summary.count('cached')} "
        f"from cache, ${summary.spent_usd:.4f}"
    )
