"""SDR→HDR: inverse tone mapping to BT.2100 PQ or HLG, mapped, measured and stored in one pass.

The mapping (Report ITU-R BT.2408 display light, or the inverse of BT.2446 Method C) is
the costliest per-pixel step of an HDR delivery (about 0.5 CPU-s a 1440p frame), and the
HDR10 metadata (CTA-861.3 MaxCLL/MaxFALL) must be measured over every mapped frame before
the master's encoder starts. Kept as a view, the mapping ran three times a frame: once to
measure, again in the shot master and again in the programme. Stored, it runs once: each
frame is mapped, measured and written as the half-float intermediate in the same pass
(writing costs a tenth of a mapping), and the masters read it like a restored picture.

The light is measured on the stored (half-float) samples, so MaxCLL/MaxFALL describe the
picture the masters encode, not a finer one they never see.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# The parameters, the transfers' tags and the view version of this agent still live with
# the restoration agents; this module replaces the view's run.
from reelgraph.agents import restore as _restore
from reelgraph.agents._io import PIXEL_OPS, frames, intermediate_meta, open_intermediate
from reelgraph.algorithms.restore.content_light_cta861 import (
    ContentLightMeter,
    max_component_nits,
)
from reelgraph.errors import AgentError
from reelgraph.orchestrator.agent import NodeContext, Output


class SdrToHdr(_restore.SdrToHdr):
    version = "3"
    description = (
        "inverse tone mapping SDR → BT.2100 PQ/HLG (BT.2408), stored once with MaxCLL/MaxFALL"
    )

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        meta = inputs[0]
        out = intermediate_meta(
            int(meta["frames"]),
            int(meta["width"]),
            int(meta["height"]),
            str(meta["frame_rate"]),
            _restore._HDR_TAGS[params.transfer],
        )
        out.update(peak_luminance=params.peak_luminance, reference_white=params.reference_white)
        return out

    def run(self, ctx: NodeContext) -> Output:
        picture, p = ctx.inputs[0], ctx.params
        transfer = (picture.meta.get("colour") or {}).get("transfer")
        if transfer in _restore._HDR_TRANSFERS:
            hint = "inverse tone mapping takes SDR BT.709 pictures; leave the HDR step out"
            raise AgentError(f"the picture is already HDR ({transfer})", hint=hint)
        meta = self.describe_output([picture.meta], p)
        total = int(meta["frames"])
        # The same operation a view would name, applied as a view's reader applies it.
        op = {"op": "itm", "transfer": p.transfer, "method": p.method, "options": p.itm_options()}
        mapping = PIXEL_OPS["itm"]
        light = ContentLightMeter()
        with open_intermediate(ctx.out_dir, meta) as writer:
            for frame in frames(picture):
                mapped = np.clip(mapping(frame.rgb, op), 0.0, 1.0)
                # Measured as stored: rounded to half once, written exactly as measured.
                stored = mapped.astype(np.float16).astype(np.float32)
                light.push(
                    max_component_nits(stored, transfer=p.transfer, nominal_peak=p.peak_luminance)
                )
                writer.write(stored)
                ctx.progress(frame.index + 1, total)
        if writer.count != total:
            raise AgentError(
                f"the picture has {writer.count} frames where {total} were described",
                hint="the input picture is damaged; re-run the node that made it",
            )
        # CTA-861.3 levels are whole cd/m², rounded up; the light is read through a table of
        # 16-bit PQ codes (±0.02 cd/m² at 203), so a tenth of a cd/m² is its precision.
        levels = {"max_cll": light.max_cll, "max_fall": light.max_fall}
        whole = {name: math.ceil(round(value, 1)) for name, value in levels.items()}
        metrics = {name: float(value) for name, value in whole.items()}
        return Output({**meta, **whole, "itm": p.method}, metrics)
