"""Plate restoration agents: measure a plate, restore it, map it to HDR.

Thin adapters over :mod:`reelgraph.algorithms.restore` (docs/agents/restoration.md):

* ``analyse_plate`` (analysis) — noise per channel, blockiness, banding, effective
  resolution, bit depth and transfer, and the looks-generated flag, measured on frames
  sampled over the shot; writes ``analysis.json`` (``reelgraph.PlateAnalysis.1``);
* ``restore`` — the default chain (deblock → motion-compensated denoise → ×2/×4
  super-resolution → deband → grain), streamed through a 5-frame window; measures the
  residual noise, and the flicker the delivery QC measures (its own algorithm and limits)
  before and after, and asks for a stronger temporal variant when restoration added it;
* ``sdr_to_hdr`` — inverse tone mapping to BT.2100 PQ or HLG (BT.2408 by default), tagged
  BT.2020, with MaxCLL/MaxFALL measured for the HDR10 metadata.

Memory is bounded by the temporal window (plus the few sampled frames), never by the
length of the shot.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from reelgraph.agents._io import (
    VIEW_FILE,
    content_tag,
    frames,
    intermediate_meta,
    join_views,
    open_intermediate,
    sample_positions,
    video_meta,
    view_over,
    write_view,
)
from reelgraph.algorithms.colour.standards import HDR_NOMINAL_PEAK, HDR_REFERENCE_WHITE, LUMA_BT709
from reelgraph.algorithms.qc.flicker_warping_lai2018 import FlickerParameters, FlickerTracker
from reelgraph.algorithms.restore._checks import luma_bt709
from reelgraph.algorithms.restore.analysis import PlateAnalysis, analyse_frames
from reelgraph.algorithms.restore.chain import RestoreParams, model_passes, restore_stream
from reelgraph.algorithms.restore.content_light_cta861 import (
    ContentLightMeter,
    max_component_nits,
)
from reelgraph.algorithms.restore.deblock_avc2003 import deblock_avc2003
from reelgraph.algorithms.restore.denoise import DENOISE_TEMPORAL_RADIUS, denoise, window_bounds
from reelgraph.algorithms.restore.film_grain_av1 import (
    FilmGrainModel,
    apply_film_grain_av1,
    estimate_film_grain_av1,
)
from reelgraph.algorithms.restore.itm import ITM_METHODS
from reelgraph.algorithms.restore.noise_immerkaer1996 import noise_sigma_immerkaer1996
from reelgraph.algorithms.restore.upscale import UPSCALE_METHODS
from reelgraph.algorithms.restore.upscale_onnx import OnnxUpscaler
from reelgraph.errors import AgentError, AlgorithmError
from reelgraph.json_numbers import finite_metrics
from reelgraph.media.colour import BT2020_HLG, BT2020_PQ, ColourTag
from reelgraph.media.models import load_onnx_upscaler, shipped_model
from reelgraph.orchestrator.agent import Agent, Cost, Input, NodeContext, Objective, Output, Work
from reelgraph.orchestrator.cache import model_digest
from reelgraph.plan.restoration import (
    DEFAULT_UPSCALER,
    GRAIN_MODES,
    GRAIN_STRENGTH,
    UPSCALERS,
    Target,
    codes,
    decide_restore,
)

#: Frames sampled over a shot for the analysis (and the noise metrics of ``restore``).
SAMPLE_FRAMES = 8
PLATE_SCHEMA = "reelgraph.PlateAnalysis.1"
_CHAIN = RestoreParams()
#: Largest temporal radius the iteration loop may ask for (7-frame window).
MAX_RADIUS = 3
#: The delivery QC's flicker check (its thresholds), which restoration must not trip.
_QC_FLICKER = FlickerParameters()


def sample_frames(item: Input, count: int = SAMPLE_FRAMES) -> list[np.ndarray]:
    """The sampled frames of a video input (read in one pass, only those kept)."""
    total = int(item.meta.get("frames", 0))
    kept = [frame.rgb for frame in frames(item, only=sample_positions(total, count))]
    if not kept:
        raise AgentError("the picture has no frames to analyse", hint="check the shot's frames")
    return kept


def luma_noise(frame: np.ndarray) -> float:
    """Immerkær noise sigma of BT.709 luma, frame units (as the plate analysis reports)."""
    sigma = noise_sigma_immerkaer1996(frame, edge_fraction=0.3)
    return float(
        np.sqrt(np.sum(LUMA_BT709.astype(np.float64) * np.asarray(sigma, np.float64) ** 2))
    )


def measure_plate(
    sampled: Sequence[np.ndarray], *, bit_depth: int, colour: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``analysis.json`` of ``analyse_plate`` (``reelgraph.PlateAnalysis.1``) for sampled
    frames: the plate analysis (its banding is the QC family's CAMBI score), the source's
    bit depth and colour, and a one-line summary for people."""
    return plate_document(analyse_frames(sampled), bit_depth=bit_depth, colour=colour)


def plate_document(
    analysis: PlateAnalysis, *, bit_depth: int, colour: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The document of :func:`measure_plate` from its parts."""
    data = analysis.to_dict()
    data.pop("schema")
    colour = dict(colour or {})
    eight_bit = analysis.lattice_8bit >= 0.6
    effective_bits = 8 if eight_bit else int(bit_depth)
    r, g, b = (v * 255 for v in analysis.noise_sigma)
    generated = "yes" if analysis.looks_generated_8bit else "no"
    summary = (
        f"noise σ {codes(analysis.noise_sigma_luma)} luma (R {r:.2f} G {g:.2f} B {b:.2f}); "
        f"blockiness {analysis.blockiness:.2f} ({analysis.block_size} px grid); "
        f"banding {analysis.banding:.1f} (CAMBI); effective resolution "
        f"{analysis.effective_resolution:.2f}; {bit_depth}-bit source"
        + (" with 8-bit values" if eight_bit and bit_depth > 8 else "")
        + f", {colour.get('primaries', '?')}/{colour.get('transfer', '?')}; "
        f"looks generated: {generated}"
    )
    return {
        "schema": PLATE_SCHEMA,
        **data,
        "noise_sigma_255": [round(v * 255, 4) for v in analysis.noise_sigma],
        "noise_sigma_luma_255": round(analysis.noise_sigma_luma * 255, 4),
        "banding_cambi": round(analysis.banding, 4),  # the same score, for older scripts
        "source_bit_depth": int(bit_depth),
        "effective_bit_depth": effective_bits,
        "primaries": str(colour.get("primaries", "bt709")),
        "transfer": str(colour.get("transfer", "bt709")),
        "summary": summary,
    }


# -- analyse_plate --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysePlateParams:
    """Attributes:
    samples: frames sampled evenly over the shot and measured (median over them).
    bit_depth: bits per component of the source (the planner passes the probe's; the
        intermediate itself is 16-bit). 0: unknown, reported as 16.
    """

    samples: int = SAMPLE_FRAMES
    bit_depth: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.samples <= 64:
            raise ValueError(f"samples must be 1..64, got {self.samples!r}")


class AnalysePlate(Agent):
    name = "analyse_plate"
    version = "1"
    description = "measure a plate: noise, blockiness, banding, resolution, bit depth, origin"
    Params = AnalysePlateParams
    # Decoding the shot (the frames between the samples are not converted) + measuring the
    # 8 sampled frames (~0.1 CPU-s each at 1080p).
    cost = Cost("megapixel_frame", 0.003, overhead_cpu_s=0.9)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        return {"kind": "analysis", "file": "analysis.json", "analysis_kind": "plate"}

    def run(self, ctx: NodeContext) -> Output:
        picture = ctx.inputs[0]
        sampled = sample_frames(picture, ctx.params.samples)
        ctx.progress(len(sampled) // 2, len(sampled))
        colour = picture.meta.get("source_colour") or picture.meta.get("colour")
        doc = measure_plate(sampled, bit_depth=ctx.params.bit_depth or 16, colour=colour)
        (ctx.out_dir / "analysis.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        ctx.progress(len(sampled), len(sampled))
        keys = ("noise_sigma_luma_255", "blockiness", "banding", "banding_cambi")
        metrics = {key: round(float(doc[key]), 4) for key in (*keys, "effective_resolution")}
        return Output(self.describe_output([], ctx.params), metrics)


# -- restore --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreNodeParams:
    """Attributes:
    deblock_qp: H.264 qp of the deblocking thresholds; 0 skips deblocking.
    block_size: period of the block grid, pixels (8 or 16).
    block_offset_x: horizontal phase of the block grid, pixels.
    block_offset_y: vertical phase of the block grid, pixels.
    denoise_sigma: noise sigma to remove, in 8-bit code values (3 = 3/255 of full scale);
        0 skips denoising.
    denoise_method: ``mctf`` (motion-compensated temporal), ``nlmeans`` (spatial) or
        ``learned`` (reelgraph's ×1 restorer network, ``restore_x1.onnx``: deblocks,
        denoises and debands at the picture's size; ``denoise_sigma`` is not used).
    radius: temporal neighbours on each side for the denoiser and the super-resolution
        (2 = a 5-frame window).
    upscale: 1 (none), 2 or 4.
    upscaler: ``dcci`` (edge-directed + multi-frame back-projection), ``learned``
        (reelgraph's restorer network, ``restore_x2.onnx``; twice for ×4), ``lanczos``, or
        the absolute path of an ``.onnx`` model (×``upscale``, or ×2 run twice for ×4).
    back_projection: back-projection iterations after DCCI (0: DCCI alone).
    deband: run f3kdb debanding with dither on the output.
    grain: ``match`` (re-apply the grain estimated on the source), ``heavy`` (twice as
        strong) or ``off``; the scene variable ``grain`` overrides it.
    measure: decide deblocking, denoising and debanding from the picture when the node
        runs (plans made before ``reelgraph analyse``); the fields above are then ignored
        for those steps.
    start: first frame to emit (chunk of a long shot; earlier frames are read as context).
    stop: frame after the last to emit; 0 = the end of the shot.
    """

    deblock_qp: int = 0
    block_size: int = _CHAIN.block_size
    block_offset_x: int = 0
    block_offset_y: int = 0
    denoise_sigma: float = 0.0
    denoise_method: str = _CHAIN.denoise_method
    radius: int = _CHAIN.radius
    upscale: int = _CHAIN.upscale_factor
    upscaler: str = DEFAULT_UPSCALER
    back_projection: int = _CHAIN.back_projection
    deband: bool = False
    grain: str = "off"
    measure: bool = False
    start: int = 0
    stop: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.deblock_qp <= 51:
            raise ValueError(f"deblock_qp must be 0..51, got {self.deblock_qp!r}")
        if not 0 <= self.denoise_sigma <= 64:
            raise ValueError(f"denoise_sigma must be 0..64 (8-bit codes), got {self.denoise_sigma}")
        if self.denoise_method not in DENOISE_TEMPORAL_RADIUS:
            raise ValueError(
                f"denoise_method {self.denoise_method!r}; valid: "
                f"{', '.join(DENOISE_TEMPORAL_RADIUS)}"
            )
        if not 0 <= self.radius <= 4:
            raise ValueError(f"radius must be 0..4, got {self.radius!r}")
        if self.upscale not in (1, 2, 4):
            raise ValueError(f"upscale must be 1, 2 or 4, got {self.upscale!r}")
        if self.upscaler not in UPSCALERS and not self.upscaler.endswith(".onnx"):
            raise ValueError(
                f"upscaler {self.upscaler!r}; valid: {', '.join(UPSCALERS)} or a .onnx path"
            )
        if self.grain not in GRAIN_MODES:
            raise ValueError(f"grain {self.grain!r}; valid: {', '.join(GRAIN_MODES)}")
        if self.start < 0 or self.stop < 0 or (self.stop and self.stop <= self.start):
            raise ValueError(f"frame range start={self.start}, stop={self.stop} is empty")


def _span(meta: Mapping[str, Any], params: RestoreNodeParams) -> tuple[int, int]:
    total = int(meta.get("frames", 0))
    stop = min(params.stop or total, total)
    return min(params.start, stop), stop


def _grain_model(
    source: Input, chain: RestoreParams, total: int, mode: str
) -> tuple[FilmGrainModel | None, str]:
    """The source's grain, estimated on the shot's middle frame against its temporal
    denoise (the same for every chunk of the shot); (None, why) when there is none."""
    if mode == "off":
        return None, "off"
    if chain.sigma <= 0:
        return None, "nothing denoised"
    middle = total // 2
    lo, hi = window_bounds(middle, total, chain.radius)
    window = []
    for frame in frames(source, start=lo, stop=hi):
        rgb = frame.rgb
        if chain.deblock_qp > 0:
            rgb = deblock_avc2003(
                rgb, qp=chain.deblock_qp, block_size=chain.block_size, offset=chain.block_offset
            )
        window.append(rgb)
    clean = denoise(window, sigma=chain.sigma, method=chain.denoise_method, centre=middle - lo)
    try:
        model = estimate_film_grain_av1(window[middle - lo], clean)
    except AlgorithmError as exc:
        return None, f"not estimated ({exc.message})"
    strength = GRAIN_STRENGTH[mode]
    if strength != 1.0:
        points = tuple((p[0], p[1] * strength, p[2] * strength, p[3] * strength)
                       for p in model.scaling_points)  # fmt: skip
        model = replace(model, scaling_points=points)
    return model, mode


def _measured_params(
    source: Input, params: RestoreNodeParams
) -> tuple[RestoreNodeParams, list[str]]:
    """``measure`` mode: the same decisions the planner makes from an analysis."""
    colour = source.meta.get("source_colour") or source.meta.get("colour")
    plate = measure_plate(sample_frames(source), bit_depth=16, colour=colour)
    decision = decide_restore(
        plate,
        Target("the delivery"),
        upscale=params.upscale,
        upscaler=params.upscaler,
        grain=params.grain,
    )
    keys = ("deblock_qp", "block_size", "block_offset_x", "block_offset_y", "denoise_sigma")
    chosen: dict[str, Any] = {k: decision.params[k] for k in keys if k in decision.params}
    chosen.setdefault("deblock_qp", 0)
    chosen.setdefault("denoise_sigma", 0.0)
    chosen["deband"] = bool(decision.params.get("deband", False))
    return replace(params, measure=False, **chosen), decision.reasons


def model_paths(params: RestoreNodeParams) -> dict[str, Path]:
    """The model files a restore node runs: ``upscale`` (the ×2 network, or the studio's
    ``.onnx``) and ``denoise`` (the ×1 network of ``denoise_method="learned"``)."""
    paths: dict[str, Path] = {}
    if params.upscale > 1 and params.upscaler == "learned":
        paths["upscale"] = shipped_model("restore_x2")
    elif params.upscale > 1 and params.upscaler.endswith(".onnx"):
        paths["upscale"] = Path(params.upscaler)
    if params.denoise_method == "learned":
        paths["denoise"] = shipped_model("restore_x1")
    return paths


def load_models(params: RestoreNodeParams) -> dict[str, OnnxUpscaler]:
    """The loaded models of :func:`model_paths` (execution provider chosen per machine)."""
    return {role: load_onnx_upscaler(path) for role, path in model_paths(params).items()}


def chain_params(
    params: RestoreNodeParams,
    out_width: int,
    *,
    seed: int = 0,
    models: Mapping[str, OnnxUpscaler] | None = None,
) -> RestoreParams:
    """The chain's parameters for a restore node's (what the planner's
    :func:`~reelgraph.plan.restoration.decide_restore` decided), at an output
    ``out_width`` pixels wide, with the node's loaded ``models`` (:func:`load_models`)."""
    models = models or {}
    upscaler = models.get("upscale")
    method = "onnx" if upscaler is not None else params.upscaler
    if method not in UPSCALE_METHODS or params.upscale == 1:
        method = _CHAIN.upscale_method
    return RestoreParams(
        deblock_qp=params.deblock_qp,
        block_size=params.block_size,
        block_offset=(params.block_offset_x, params.block_offset_y),
        denoise_method=params.denoise_method,
        sigma=params.denoise_sigma / 255.0,
        denoise_model=models.get("denoise"),
        radius=params.radius if DENOISE_TEMPORAL_RADIUS[params.denoise_method] else 0,
        upscale_factor=params.upscale,
        upscale_method=method,
        model=upscaler,
        back_projection=params.back_projection,
        deband=params.deband,
        deband_radius=max(4, round(16 * out_width / 1920)),
        grain_seed=seed,
    )


class Restore(Agent):
    name = "restore"
    version = "1"
    description = "deblock, denoise, upscale, deband and re-grain a plate (streamed, 5 frames)"
    Params = RestoreNodeParams
    reads = ("grain",)
    cost = Cost("megapixel_frame", 0.17, overhead_cpu_s=1.0)  # per megapixel-frame of the *output*
    # Measured with the QC flicker check's own algorithm and limits (FlickerTracker):
    # restoration may not push its global or local change beyond both the limit QC applies
    # and the source's own level (a source that already flickers is not made worse).
    objectives = (
        Objective("flicker_global_added", 0.0, kind="at_most"),
        Objective("flicker_local_added", 0.0, kind="at_most"),
    )

    @classmethod
    def model_files(cls, params: Any) -> list[Path]:
        """The shipped networks or the studio's model the params name (checksums in the key)."""
        return list(model_paths(params).values())

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        meta = inputs[0]
        start, stop = _span(meta, params)
        out = intermediate_meta(
            stop - start,
            int(meta["width"]) * params.upscale,
            int(meta["height"]) * params.upscale,
            str(meta["frame_rate"]),
            content_tag(meta),
        )
        if meta.get("source_colour"):
            out["source_colour"] = meta["source_colour"]
        return out

    def work(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> Work:
        meta = self.describe_output(inputs, params)
        count = int(meta["frames"])
        return Work(frames=count, megapixels=count * meta["width"] * meta["height"] / 1e6)

    def calibration_job(self, synthetic: Mapping[str, Input]) -> tuple[list[Input], Any] | None:
        """Calibrate on the typical job (denoise and ×2), not on the do-nothing defaults."""
        return [synthetic["video"]], RestoreNodeParams(denoise_sigma=2.0, upscale=2)

    def propose(
        self, params: Any, metrics: Mapping[str, float], history: list[tuple[Any, dict[str, float]]]
    ) -> Any | None:
        """Restoration added flicker: widen the temporal window and denoise harder."""
        if params.radius >= MAX_RADIUS or params.denoise_method != "mctf":
            return None
        return replace(
            params,
            radius=params.radius + 1,
            denoise_sigma=round(max(params.denoise_sigma * 1.5, 1.0), 3),
        )

    def run(self, ctx: NodeContext) -> Output:
        source = ctx.inputs[0]
        params: RestoreNodeParams = ctx.params
        grain_mode = str(ctx.variables.get("grain", params.grain))
        if grain_mode == "auto":  # the planner resolved it into the parameter
            grain_mode = params.grain
        if grain_mode not in GRAIN_MODES:
            raise AgentError(
                f"scene variable grain={grain_mode!r}", hint=f"use one of: {', '.join(GRAIN_MODES)}"
            )
        notes: list[str] = []
        if params.measure:
            params, notes = _measured_params(source, params)
        total = int(source.meta["frames"])
        start, stop = _span(source.meta, params)
        if stop <= start:
            raise AgentError(
                f"frame range {params.start}–{params.stop} is outside the shot's {total} frames",
                hint="start and stop count frames of the shot, from 0",
            )
        models = load_models(params)
        meta = self.describe_output([source.meta], params)
        upscaler = models.get("upscale")
        if upscaler is not None:
            try:
                model_passes(upscaler.scale, params.upscale)
            except AlgorithmError as exc:
                raise AgentError(exc.message, hint=exc.hint) from exc
        seed = zlib.crc32(source.key.encode())  # same for every chunk of the shot
        chain = chain_params(params, int(meta["width"]), seed=seed, models=models)
        grain, grain_note = _grain_model(source, chain, total, grain_mode)
        lo, hi = max(0, start - chain.radius), min(total, stop + chain.radius)

        pending: deque[np.ndarray] = deque()  # source frames read, not yet paired

        def read() -> Iterator[np.ndarray]:
            for frame in frames(source, start=lo, stop=hi):
                pending.append(frame.rgb)
                yield frame.rgb

        timings: dict[str, float] = {}
        flicker = FlickerComparison()
        sampled = set(sample_positions(stop - start, SAMPLE_FRAMES))
        noise_in: list[float] = []
        noise_out: list[float] = []
        first_pending = lo
        count = stop - start
        writer = open_intermediate(ctx.out_dir, meta)
        with writer:
            stream = restore_stream(
                read(),
                chain,
                first_index=lo,
                context_before=start - lo,
                context_after=hi - stop,
                timings=timings,
            )
            for k, out in enumerate(stream):
                index = start + k
                while first_pending < index:
                    pending.popleft()
                    first_pending += 1
                src = pending[0]
                flicker.push(src, out)
                if k in sampled:
                    noise_in.append(luma_noise(src))
                    small = cv2.resize(out, src.shape[1::-1], interpolation=cv2.INTER_AREA)
                    noise_out.append(luma_noise(np.clip(small, 0.0, 1.0)))
                if grain is not None:
                    with _Timer(timings, "grain"):
                        out = apply_film_grain_av1(
                            out, grain, frame_index=index, seed=seed, scale=float(params.upscale)
                        )
                writer.write(out)
                ctx.progress(k + 1, count)
        if writer.count != count:
            raise AgentError(
                f"restored {writer.count} of {count} frames",
                hint="the picture is shorter than its description; re-run the conform",
            )
        applied = {
            "deblock_qp": params.deblock_qp,
            "denoise_sigma": params.denoise_sigma,
            "denoise_method": params.denoise_method,
            "radius": chain.radius,
            "upscale": params.upscale,
            "upscaler": params.upscaler if params.upscale > 1 else None,
            "models": {
                role: {
                    "file": path.name,
                    "sha256": model_digest(path),  # the key's digest, hashed once per version
                    "execution_provider": models[role].provider,
                }
                for role, path in model_paths(params).items()
            },
            "deband": params.deband,
            "grain": grain_note,
            "grain_model": grain.to_dict() if grain is not None else None,
            "decisions": notes,
        }
        metrics = {
            "noise_in_255": float(np.median(noise_in)) * 255 if noise_in else math.nan,
            "noise_out_255": float(np.median(noise_out)) * 255 if noise_out else math.nan,
            **flicker.metrics(),
            "grain_sigma_255": grain.sigma * 255 if grain is not None else 0.0,
            **{f"seconds_{step}": value for step, value in timings.items()},
        }
        return Output({**meta, "restore": applied}, finite_metrics(metrics))


class JoinChunks(Agent):
    name = "join_chunks"
    version = "1"
    description = "join a long shot's restored chunks into one picture (a view: nothing copied)"
    # Its CPU is the store verifying the linked chunks' frames when the view is committed:
    # SHA-256 of the files its worker did not write or verify already (about 0.004 CPU-s a
    # megapixel-frame of half-float EXR; the chunks run spread over the workers, so on two
    # of them about half the frames are the other worker's).
    cost = Cost("megapixel_frame", 0.002, overhead_cpu_s=0.01)

    def work(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> Work:
        """The joined picture: every chunk's megapixel-frames (their files are linked)."""
        pictures = [m for m in inputs if m.get("kind") == "video"]
        return Work(
            frames=sum(int(m["frames"]) for m in pictures),
            megapixels=sum(int(m["frames"]) * m["width"] * m["height"] / 1e6 for m in pictures),
        )

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        first = dict(inputs[0])
        total = sum(int(meta["frames"]) for meta in inputs)
        return {**first, "file": VIEW_FILE, "view": True, "frames": total, "chunks": len(inputs)}

    def run(self, ctx: NodeContext) -> Output:
        sizes = {(int(i.meta["width"]), int(i.meta["height"])) for i in ctx.inputs}
        if len(sizes) != 1:
            raise AgentError(
                f"chunks of different sizes {sorted(sizes)} cannot be joined",
                hint="restore every chunk of a shot with the same upscale",
            )
        write_view(ctx.out_dir, join_views(ctx.inputs, ctx.out_dir))
        ctx.progress(1, 1)
        meta = self.describe_output([i.meta for i in ctx.inputs], ctx.params)
        meta.pop("restore", None)  # per chunk: the chunks' own artifacts say what each got
        return Output(meta)


class FlickerComparison:
    """QC's flicker measure (:class:`FlickerTracker`) on the source and on the restored
    picture (brought to the source's raster), frame by frame."""

    def __init__(self) -> None:
        self.trackers = (FlickerTracker(_QC_FLICKER), FlickerTracker(_QC_FLICKER))
        self.changes: tuple[list[tuple[float, float]], ...] = ([], [])

    def push(self, source: np.ndarray, restored: np.ndarray) -> None:
        if restored.shape != source.shape:
            restored = cv2.resize(restored, source.shape[1::-1], interpolation=cv2.INTER_AREA)
        pictures = (source, restored)
        for tracker, changes, frame in zip(self.trackers, self.changes, pictures, strict=True):
            pair = tracker.push(np.clip(luma_bt709(frame), 0.0, 1.0))
            changes.append((abs(pair.global_change), abs(pair.local_change)))

    def metrics(self) -> dict[str, float]:
        """``flicker_{global,local}_{source,max,added}``: the largest change of the source,
        of the restored picture (the figure QC reports), and how far the restored picture
        goes beyond both the source and QC's limit (0 when it does not, or when no frame
        pair could be measured)."""
        out: dict[str, float] = {}
        limits = (_QC_FLICKER.global_threshold, _QC_FLICKER.local_threshold)
        for k, (kind, limit) in enumerate(zip(("global", "local"), limits, strict=True)):
            source = np.asarray([c[k] for c in self.changes[0]], np.float64)
            restored = np.asarray([c[k] for c in self.changes[1]], np.float64)
            if not np.isfinite(restored).any():
                out[f"flicker_{kind}_added"] = 0.0
                continue
            before = float(np.nanmax(source)) if np.isfinite(source).any() else 0.0
            after = float(np.nanmax(restored))
            out[f"flicker_{kind}_source"] = before
            out[f"flicker_{kind}_max"] = after
            out[f"flicker_{kind}_added"] = max(0.0, after - max(before, limit))
        return out


class _Timer:
    def __init__(self, timings: dict[str, float], step: str) -> None:
        self.timings, self.step = timings, step

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        self.timings[self.step] = self.timings.get(self.step, 0.0) + elapsed


# -- sdr_to_hdr -----------------------------------------------------------------------------

_HDR_TAGS: dict[str, ColourTag] = {"pq": BT2020_PQ, "hlg": BT2020_HLG}
_HDR_TRANSFERS = {"smpte2084", "arib-std-b67"}


@dataclass(frozen=True)
class SdrToHdrParams:
    """Attributes:
    transfer: ``pq`` (SMPTE ST 2084, HDR10) or ``hlg`` (ARIB STD-B67 / BT.2100 HLG).
    method: ``bt2408`` (Report ITU-R BT.2408 display-light mapping) or ``bt2446c``
        (inverse of Report ITU-R BT.2446 Method C's tone curve).
    reference_white: cd/m² that SDR diffuse white maps to (BT.2408: 203).
    sdr_reference_white: SDR signal level that is diffuse white; below 1.0 (e.g. 0.9) the
        SDR range above it is expanded towards ``peak_luminance`` (bt2408 only).
    peak_luminance: the mastering display's peak, cd/m²: the HDR10 mastering-display
        metadata, HLG's nominal peak, and the target of the highlight expansion.
    """

    transfer: str = "pq"
    method: str = "bt2408"
    reference_white: float = HDR_REFERENCE_WHITE
    sdr_reference_white: float = 1.0
    peak_luminance: float = HDR_NOMINAL_PEAK

    def __post_init__(self) -> None:
        if self.transfer not in _HDR_TAGS:
            raise ValueError(f"transfer {self.transfer!r}; valid: {', '.join(_HDR_TAGS)}")
        if self.method not in ITM_METHODS:
            raise ValueError(f"method {self.method!r}; valid: {', '.join(ITM_METHODS)}")
        if not 0 < self.reference_white < self.peak_luminance <= 10000:
            raise ValueError(
                f"need 0 < reference_white ({self.reference_white}) < peak_luminance "
                f"({self.peak_luminance}) <= 10000 cd/m²"
            )
        if not 0 < self.sdr_reference_white <= 1.0:
            raise ValueError(
                f"sdr_reference_white must be in (0, 1], got {self.sdr_reference_white}"
            )

    def itm_options(self) -> dict[str, Any]:
        if self.method == "bt2446c":
            return {"hlg_nominal_peak": self.peak_luminance}
        return {
            "reference_white": self.reference_white,
            "sdr_reference_white": self.sdr_reference_white,
            "peak_luminance": self.peak_luminance if self.sdr_reference_white < 1.0 else None,
            "hlg_nominal_peak": self.peak_luminance,
        }


class SdrToHdr(Agent):
    name = "sdr_to_hdr"
    version = "2"
    description = "inverse tone mapping SDR → BT.2100 PQ/HLG (BT.2408), with MaxCLL/MaxFALL"
    Params = SdrToHdrParams
    cost = Cost("megapixel_frame", 0.8)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        meta = inputs[0]
        out = video_meta(
            VIEW_FILE,
            int(meta["frames"]),
            int(meta["width"]),
            int(meta["height"]),
            str(meta["frame_rate"]),
            content=_HDR_TAGS[params.transfer],
            view=True,
        )
        out.update(peak_luminance=params.peak_luminance, reference_white=params.reference_white)
        return out

    def run(self, ctx: NodeContext) -> Output:
        picture, p = ctx.inputs[0], ctx.params
        colour = picture.meta.get("colour") or {}
        if colour.get("transfer") in _HDR_TRANSFERS:
            raise AgentError(
                f"the picture is already HDR ({colour.get('transfer')})",
                hint="inverse tone mapping takes SDR BT.709 pictures; leave the HDR step out",
            )
        meta = self.describe_output([picture.meta], p)
        total = int(meta["frames"])
        # A view: the mapping is applied by whoever reads the picture. Reading it once here
        # measures the light levels the HDR10 metadata needs.
        options = p.itm_options()
        op = {"op": "itm", "transfer": p.transfer, "method": p.method, "options": options}
        write_view(ctx.out_dir, view_over(picture, ctx.out_dir), op)
        mapped = Input(picture.key, ctx.out_dir, meta)
        light = ContentLightMeter()
        for frame in frames(mapped):
            light.push(
                max_component_nits(frame.rgb, transfer=p.transfer, nominal_peak=p.peak_luminance)
            )
            ctx.progress(frame.index + 1, total)
        # CTA-861.3 levels are whole cd/m², rounded up; the light is read through a table of
        # 16-bit PQ codes (±0.02 cd/m² at 203), so a tenth of a cd/m² is its precision.
        max_cll = math.ceil(round(light.max_cll, 1))
        max_fall = math.ceil(round(light.max_fall, 1))
        return Output(
            {**meta, "max_cll": max_cll, "max_fall": max_fall, "itm": p.method},
            {"max_cll": float(max_cll), "max_fall": float(max_fall)},
        )
