"""Restoration decisions: which steps a plate gets and how strong, from its analysis and
what the output will be — written once and used by the planner (:mod:`reelgraph.plan.rules.
restore`), by ``reelgraph restore`` and by the restore agent's ``measure`` mode, so all
three decide alike and explain themselves with the same figures.

Every threshold lives here. The sentences are what ``reelgraph plan`` and ``reelgraph
restore`` print.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from reelgraph.algorithms.qc.banding_cambi_tandon2021 import BandingParameters
from reelgraph.algorithms.restore.analysis import GeneratedThresholds
from reelgraph.algorithms.restore.deblock_avc2003 import qp_from_blockiness
from reelgraph.errors import ReelgraphError

#: Effective denoising sigma (8-bit codes) below which denoising is skipped: the noise is
#: under half a code value and a denoiser would only soften detail.
DENOISE_MIN_SIGMA = 0.5
#: Sources decoded from 8 bits are lossy deliveries (generated clips, web encodes): the
#: encoder has smoothed part of their noise into blotches the high-pass estimator cannot
#: see, so the measured sigma is scaled up (the chain's documentation: 1.5–2).
COMPRESSED_DENOISE_GAIN = 2.0
#: ``lattice_8bit`` at or above this means the picture was decoded from 8-bit code values.
EIGHT_BIT_LATTICE = GeneratedThresholds().lattice_min
#: Banding score (CAMBI, the one score analysis and delivery QC share) from which banding
#: is visible: the QC flags it from here ("annoying", libvmaf), so always deband.
DEBAND_VISIBLE = BandingParameters().threshold
#: Banding score from which an 8-bit source is debanded when the output has 10 bits or
#: more (the extra precision would otherwise keep the 8-bit steps exactly): half-way.
DEBAND_DEEP_OUTPUT = DEBAND_VISIBLE / 2
#: Size ratio (target / source, fitted) from which restoration upscales ×2; the master's
#: Lanczos fit does the rest (×3 = restoration ×2, then Lanczos ×1.5).
UPSCALE_X2_FROM = 1.4
#: The planner's largest restoration upscale, whatever the ratio (×4 stays for a user who
#: asks for it). Multi-frame super-resolution recovers what the window's sub-pixel motion
#: holds, about one octave: measured on a 1920×1088 clip of photographs degraded to
#: 480×272 (area, σ 2/255, x264 CRF 23; two camera moves), restoring ×4 scores 27.64 dB
#: against 27.61 for ×2 then Lanczos ×2 (Lanczos alone 27.04), at 3.7× the CPU and with
#: 4× the pixels in every node between restoration and the master.
UPSCALE_MAX_AUTO = 2
#: Grain modes: ``match`` re-applies the grain estimated on the source, ``heavy`` twice as
#: strong, ``off`` none.
GRAIN_MODES = ("match", "off", "heavy")
GRAIN_STRENGTH = {"match": 1.0, "heavy": 2.0, "off": 0.0}
#: Upscalers built in (anything ending in ``.onnx`` is a model file): ``learned`` is
#: reelgraph's own restorer network (``reelgraph/models/restore_x2.onnx``,
#: docs/models/restore.md). DCCI with multi-frame back-projection stays the default: on
#: ``benchmarks/restore.py`` it is ahead of the network, which sees one frame at a time.
UPSCALERS = ("dcci", "learned", "lanczos")
DEFAULT_UPSCALER = "dcci"
#: Longest shot restored as one node. Longer shots are restored in chunks of at most this
#: many frames that run in parallel, each reading the temporal window's frames beyond its
#: ends as context (so the joined chunks equal a whole-shot run); the overlap costs about
#: 2 × radius / 64 ≈ 6 % more reading at the default radius. Fixed, not derived from the
#: number of workers, so the plan and its cache keys are the same on every machine.
CHUNK_FRAMES = 64


def chunk_ranges(frames: int, chunk: int = CHUNK_FRAMES) -> list[tuple[int, int]]:
    """(start, stop) of the chunks a shot of ``frames`` is restored in: as few as
    :data:`CHUNK_FRAMES` allows, of equal length (±1).

    >>> chunk_ranges(120), chunk_ranges(64), chunk_ranges(130)
    ([(0, 60), (60, 120)], [(0, 64)], [(0, 43), (43, 87), (87, 130)])
    """
    count = max(1, -(-frames // chunk))
    bounds = [round(k * frames / count) for k in range(count + 1)]
    return list(pairwise(bounds))


class RestoreChoiceError(ReelgraphError, ValueError):
    """A restoration option cannot be honoured."""


@dataclass(frozen=True)
class Target:
    """What the restored picture is headed for.

    Attributes:
        name: the delivery spec or output format, for the explanations.
        width, height: picture size of the output (0: the source's).
        bit_depth: bits per component of the output (16 for half-float EXR).
        transfer: the output's transfer function (FFmpeg name: ``bt709``, ``smpte2084``,
            ``arib-std-b67``, ``linear``).
        lossy_8bit: the output is an 8-bit lossy encode (H.264 review/web).
    """

    name: str
    width: int = 0
    height: int = 0
    bit_depth: int = 8
    transfer: str = "bt709"
    lossy_8bit: bool = False

    @property
    def hdr(self) -> str | None:
        """``pq`` or ``hlg`` when the output is HDR, else None."""
        return {"smpte2084": "pq", "arib-std-b67": "hlg"}.get(self.transfer)


@dataclass
class Decision:
    """The restore node's parameters and one sentence per step."""

    params: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def explanation(self) -> str:
        return "; ".join(self.reasons)


def codes(value: float) -> str:
    """A frame-unit level as 8-bit code values: ``0.46/255``."""
    return f"{value * 255:.2f}/255"


def upscale_factor(width: int, height: int, target: Target) -> tuple[int, float]:
    """(×1 or ×2, the fitted size ratio) for a ``width``×``height`` source."""
    if not target.width or not target.height or not width or not height:
        return 1, 1.0
    ratio = min(target.width / width, target.height / height)
    return (UPSCALE_MAX_AUTO if ratio >= UPSCALE_X2_FROM else 1), ratio


def upscale_reason(factor: int, ratio: float, width: int, height: int, target: Target) -> str:
    """The sentence for an upscale decision (:func:`upscale_factor`'s result)."""
    spec = f"{target.name} {target.width}×{target.height}"
    source = f"source {width}×{height}"
    if not target.width:
        return f"no upscale: {target.name} keeps the source's size ({width}×{height})"
    if factor == 1:
        if ratio < 1:
            return f"no upscale: {source}, {spec} (×{ratio:.2f}): the master scales down"
        return (
            f"no upscale: {source}, {spec} (×{ratio:.2f}, below ×{UPSCALE_X2_FROM:g}): "
            "the master's Lanczos fit is enough"
        )
    rest = ratio / factor
    tail = (
        f", then the master's Lanczos fit ×{rest:.2f}"
        if abs(rest - 1) > 0.01
        else " (lands on the spec)"
    )
    if factor == UPSCALE_MAX_AUTO and rest >= UPSCALE_X2_FROM:
        tail += " (super-resolution recovers about one octave: a larger restoration upscale "
        tail += "would only interpolate, at 4× the pixels)"
    return f"upscale ×{factor}: {source}, {spec} (×{ratio:.2f}){tail}"


def decide_restore(
    plate: Mapping[str, Any],
    target: Target,
    *,
    source_bits: int = 8,
    denoise: str | float = "auto",
    deblock: str = "auto",
    deband: str = "auto",
    upscale: int | None = None,
    upscaler: str = DEFAULT_UPSCALER,
    grain: str = "auto",
    grain_hint: str = "set the scene variable grain=match to keep it",
) -> Decision:
    """Decide the restore node's parameters from a plate analysis (``PlateAnalysis.1``
    keys) and the output, with one explanation per step.

    ``denoise`` is ``auto``, ``off``, ``learned`` (the ×1 network) or a sigma in 8-bit
    codes; ``deblock``/``deband`` are ``auto`` or ``off``; ``upscale`` None decides from
    the target's size; ``grain`` is ``auto`` (off for 8-bit lossy outputs, else match),
    ``match``, ``heavy`` or ``off``.
    """
    decision = Decision()
    params, reasons = decision.params, decision.reasons
    width, height = int(plate.get("width", 0)), int(plate.get("height", 0))
    eight_bit = float(plate.get("lattice_8bit", 0.0)) >= EIGHT_BIT_LATTICE or source_bits <= 8

    # Deblock: before anything looks at neighbours.
    blockiness = float(plate.get("blockiness", 1.0))
    block_size = int(plate.get("block_size", 8))
    offset = list(plate.get("block_offset", [0, 0]))
    qp = qp_from_blockiness(blockiness) if deblock == "auto" else 0
    if deblock not in ("auto", "off"):
        raise RestoreChoiceError(f"deblock {deblock!r}", hint="use auto or off")
    if qp > 0:
        params.update(
            deblock_qp=qp,
            block_size=block_size,
            block_offset_x=int(offset[0]),
            block_offset_y=int(offset[1]),
        )
        reasons.append(
            f"deblock: blockiness {blockiness:.2f} on a {block_size} px grid (clean ≈ 1.0) → "
            f"H.264 loop-filter thresholds at qp {qp}"
        )
    elif deblock == "off":
        reasons.append(f"no deblocking (turned off; blockiness {blockiness:.2f})")
    else:
        reasons.append(f"no deblocking: blockiness {blockiness:.2f} (no block grid above 1.05)")

    # Denoise: strength from the estimator.
    sigma_luma = float(plate.get("noise_sigma_luma", 0.0))
    per_channel = plate.get("noise_sigma") or []
    channels = (
        " (R {:.2f} G {:.2f} B {:.2f})".format(*(v * 255 for v in per_channel))
        if len(per_channel) == 3
        else ""
    )
    if denoise == "off":
        sigma = 0.0
        reasons.append(f"no denoising (turned off; σ≈{codes(sigma_luma)} on luma)")
    elif denoise == "learned":
        sigma = 0.0
        params["denoise_method"] = "learned"
        reasons.append(
            f"denoise: reelgraph's learned ×1 restorer as asked (removes blocking, noise and "
            f"banding together; the estimator reads σ≈{codes(sigma_luma)})"
        )
    elif denoise == "auto":
        gain = COMPRESSED_DENOISE_GAIN if eight_bit else 1.0
        sigma = sigma_luma * 255 * gain
        why = f"σ≈{codes(sigma_luma)} on luma{channels} from the estimator"
        if gain != 1.0:
            why += f", ×{gain:g} for an 8-bit compressed source (the encoder hides noise)"
        if sigma < DENOISE_MIN_SIGMA:
            sigma = 0.0
            reasons.append(f"no denoising: {why} → below {DENOISE_MIN_SIGMA}/255")
        else:
            reasons.append(
                f"denoise: {why} → motion-compensated temporal denoising (5-frame window) "
                f"at σ {sigma:.2f}/255"
            )
    else:
        try:
            sigma = float(denoise)
        except ValueError:
            raise RestoreChoiceError(
                f"denoise {denoise!r}",
                hint="use auto, off, learned or a sigma in 8-bit codes (e.g. 3)",
            ) from None
        if not 0 <= sigma <= 64:
            raise RestoreChoiceError(
                f"denoise strength {sigma:g} is outside 0–64", hint="e.g. 3 for σ 3/255"
            )
        reasons.append(
            f"denoise: σ {sigma:g}/255 as asked (the estimator reads σ≈{codes(sigma_luma)})"
        )
    if sigma > 0:
        params["denoise_sigma"] = round(sigma, 3)

    # Upscale: from the source and output sizes.
    if upscale is None:
        factor, ratio = upscale_factor(width, height, target)
        reason = upscale_reason(factor, ratio, width, height, target)
    else:
        if upscale not in (1, 2, 4):
            raise RestoreChoiceError(f"upscale ×{upscale}", hint="use 1, 2 or 4")
        factor = upscale
        reason = f"upscale ×{factor} as asked" if factor > 1 else "no upscale (×1 as asked)"
    if factor > 1:
        params["upscale"] = factor
        if upscaler.endswith(".onnx"):
            reason += f", with the ONNX model {upscaler}"
        elif upscaler == "dcci":
            reason += "; DCCI + multi-frame back-projection (super-resolution over 5 frames)"
        elif upscaler == "learned":
            passes = " (two ×2 passes)" if factor == 4 else ""
            reason += (
                f"; reelgraph's learned restorer{passes}, which removes blocking, ringing, "
                "noise and banding as it upscales (docs/models/restore.md)"
            )
        elif upscaler in UPSCALERS:
            reason += f"; {upscaler}"
        else:
            raise RestoreChoiceError(
                f"unknown upscaler {upscaler!r}",
                hint=f"use {', '.join(UPSCALERS)} or the path of a .onnx model",
            )
        if upscaler != DEFAULT_UPSCALER:
            params["upscaler"] = upscaler
        resolution = plate.get("effective_resolution")
        if resolution is not None and float(resolution) < 0.95:
            reason += f" (detail reaches {float(resolution):.2f} of the source's own raster)"
    reasons.append(reason)

    # Deband: visible banding, or 8-bit steps headed for a deeper output.
    banding = float(plate.get("banding", 0.0))
    figures = f"banding {banding:.1f} (CAMBI, the delivery QC's score)"
    deep = target.bit_depth >= 10
    if deband not in ("auto", "off"):
        raise RestoreChoiceError(f"deband {deband!r}", hint="use auto or off")
    if deband == "off":
        reasons.append(f"no debanding (turned off; {figures})")
    elif banding >= DEBAND_VISIBLE:
        params["deband"] = True
        reasons.append(f"deband: {figures}, visible from {DEBAND_VISIBLE:g} → f3kdb with dither")
    elif eight_bit and deep and banding >= DEBAND_DEEP_OUTPUT:
        params["deband"] = True
        reasons.append(
            f"deband: 8-bit source with {figures} going to {target.bit_depth}-bit "
            "→ f3kdb with dither, so the steps are not kept at the higher precision"
        )
    else:
        limit = DEBAND_DEEP_OUTPUT if eight_bit and deep else DEBAND_VISIBLE
        reasons.append(f"no debanding: {figures}, below {limit:g}")

    # Grain: put the source's grain back after upscaling (or not).
    if grain not in (*GRAIN_MODES, "auto"):
        raise RestoreChoiceError(f"grain {grain!r}", hint=f"use {', '.join(GRAIN_MODES)}")
    mode = grain
    if grain == "auto":
        mode = "off" if target.lossy_8bit else "match"
    if mode != "off" and sigma <= 0:
        reasons.append("grain: nothing denoised, so the source's own grain stays")
        mode = "off"
    elif mode == "off" and grain == "auto":
        reasons.append(
            f"grain: not re-applied for {target.name} (an 8-bit lossy encode spends its "
            f"bits on grain and smears it); {grain_hint}"
        )
    elif mode == "off":
        reasons.append("grain: off, as asked")
    else:
        strength = "twice the strength of" if mode == "heavy" else "matching"
        reasons.append(
            f"grain: {strength} the source's, estimated before denoising (AV1 AR model) and "
            "re-applied after upscaling, seeded per frame"
        )
    if mode != "off":
        params["grain"] = mode
    return decision


def target_for_spec(spec: Any) -> Target:
    """The :class:`Target` of a delivery spec (:class:`reelgraph.specs.delivery.DeliverySpec`)."""
    return Target(
        name=spec.name,
        width=int(spec.width),
        height=int(spec.height),
        bit_depth=int(spec.bit_depth),
        transfer=str(spec.transfer),
        lossy_8bit=spec.video_preset == "h264",
    )
