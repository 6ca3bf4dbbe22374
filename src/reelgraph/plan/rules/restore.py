"""Restoration rules: measure each plate, then restore it for the delivery.

Per shot:

    analysis: conform → analyse_plate                         (reelgraph analyse)
    picture:  conform → restore → grade → [sdr_to_hdr] → master

``restore`` gets its steps and strengths from the plate analysis and the delivery spec
(:func:`reelgraph.plan.restoration.decide_restore`: deblock when blockiness is high, denoise
strength from the noise estimate, ×2/×4 from the source and spec sizes, deband for visible
banding or 8-bit sources headed to 10 bits or more, grain per the scene variable
``grain``); every decision is explained with its figures. A plan made before the analysis
asks the node to measure the picture itself (``measure``). ``sdr_to_hdr`` follows the
grade (the look is set on the SDR picture) when the spec's transfer is PQ or HLG.
"""

from __future__ import annotations

from typing import Any

from reelgraph.orchestrator.graph import Node
from reelgraph.plan.restoration import (
    CHUNK_FRAMES,
    chunk_ranges,
    decide_restore,
    target_for_spec,
    upscale_factor,
    upscale_reason,
)
from reelgraph.plan.rules import ShotContext

#: SDR → HDR mapping used for HDR deliveries (the sdr_to_hdr agent's defaults otherwise).
HDR_METHOD = "bt2408"


def analysis_steps(ctx: ShotContext, picture: str, sound: str | None) -> list[Node]:
    """``analyse_plate`` on the conformed picture (analysis kind ``plate``)."""
    return [
        Node(
            f"{ctx.shot}/analyse_plate",
            "analyse_plate",
            {"bit_depth": int(ctx.source_meta.get("bit_depth") or 0)},
            (picture,),
            "measure the plate on frames sampled over the shot: noise per channel "
            "(Immerkær), blockiness (GBIM), banding (CAMBI), effective resolution, bit depth "
            "and whether it looks generated",
            ctx.shot,
            ctx.scene,
        )
    ]


def picture_steps(ctx: ShotContext, upstream: str) -> list[Node]:
    """The ``restore`` node, its parameters decided from the analysis and the spec."""
    target = target_for_spec(ctx.spec)
    plate = ctx.analysis.get("plate")
    grain = str(ctx.variables.get("grain", "auto"))
    hint = f"set {ctx.scene}.grain=match to keep it"
    if plate is None:
        width, height = int(ctx.source_meta.get("width", 0)), int(ctx.source_meta.get("height", 0))
        factor, ratio = upscale_factor(width, height, target)
        mode = grain if grain != "auto" else ("off" if target.lossy_8bit else "match")
        params: dict[str, object] = {"measure": True}
        if factor > 1:
            params["upscale"] = factor
        if mode != "off":
            params["grain"] = mode
        explanation = (
            "not analysed yet (run 'reelgraph analyse'): deblocking, denoising and debanding "
            "are measured when it runs; "
            + upscale_reason(factor, ratio, width, height, target)
            + f"; grain: {mode}"
        )
    else:
        decision = decide_restore(
            plate,
            target,
            source_bits=int(ctx.source_meta.get("bit_depth") or 8),
            grain=grain,
            grain_hint=hint,
        )
        params = decision.params
        explanation = decision.explanation()
    return restore_nodes(
        f"{ctx.shot}/restore",
        params,
        upstream,
        explanation,
        ctx.frames,
        ctx.shot,
        ctx.scene,
        ctx.reads("restore"),
    )


def restore_nodes(
    node_id: str,
    params: dict[str, Any],
    upstream: str,
    explanation: str,
    frames: int,
    shot: str,
    scene: str | None = None,
    variables: dict[str, Any] | None = None,
) -> list[Node]:
    """One ``restore`` node ``node_id``, or, for a shot longer than :data:`CHUNK_FRAMES`,
    chunk nodes ``node_id.1``… that run in parallel and a ``join_chunks`` node
    ``node_id`` (a project's rule and ``reelgraph restore`` plan alike)."""
    chunks = chunk_ranges(frames)
    variables = variables or {}
    if len(chunks) == 1:
        return [Node(node_id, "restore", params, (upstream,), explanation, shot, scene, variables)]
    nodes = [
        Node(
            f"{node_id}.{k + 1}",
            "restore",
            {**params, "start": start, "stop": stop},
            (upstream,),
            f"frames {start}–{stop - 1} of the shot (chunk {k + 1} of {len(chunks)}, with the "
            f"temporal window's frames around it as context): {explanation}",
            shot,
            scene,
            variables,
        )
        for k, (start, stop) in enumerate(chunks)
    ]
    join = Node(
        node_id,
        "join_chunks",
        {},
        tuple(node.id for node in nodes),
        f"{frames} frames are more than {CHUNK_FRAMES}: restored in {len(chunks)} chunks "
        "that run in parallel, joined here without copying",
        shot,
        scene,
    )
    return [*nodes, join]


def display_steps(ctx: ShotContext, upstream: str) -> list[Node]:
    """``sdr_to_hdr`` after the grade when the delivery is PQ or HLG."""
    hdr = target_for_spec(ctx.spec).hdr
    if hdr is None:
        return []
    name = {"pq": "PQ (SMPTE ST 2084)", "hlg": "HLG (ARIB STD-B67)"}[hdr]
    return [
        Node(
            f"{ctx.shot}/sdr_to_hdr",
            "sdr_to_hdr",
            {"transfer": hdr, "method": HDR_METHOD},
            (upstream,),
            f"{ctx.spec.name} is BT.2020 {name}: map the graded SDR picture with Report "
            "ITU-R BT.2408's display-light method (SDR diffuse white → 203 cd/m², "
            "BT.709 → BT.2020), measuring MaxCLL/MaxFALL for the HDR10 metadata",
            ctx.shot,
            ctx.scene,
        )
    ]
