"""Grade: a scene look as an ASC CDL, chosen by the scene variable ``time_of_day``.

The correction is applied to the frames and also written as a ``.cdl`` file so a colourist
can load the same decision in their grading system.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from reelgraph.agents._io import frames, open_writer
from reelgraph.algorithms.colour.asc_cdl import CDL, apply_cdl
from reelgraph.errors import AgentError
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output

LOOKS: dict[str, CDL] = {
    "day": CDL(),
    "sunset": CDL(slope=(1.10, 1.00, 0.86), offset=(0.02, 0.0, -0.02), saturation=1.10),
    "night": CDL(slope=(0.80, 0.88, 1.05), power=(1.15, 1.10, 1.0), saturation=0.80),
}


@dataclass(frozen=True)
class GradeParams:
    """Attributes:
    strength: blend between no correction (0) and the full look (1).
    """

    strength: float = 1.0


class Grade(Agent):
    name = "grade"
    version = "1"
    description = "apply the scene's look (time_of_day) as an ASC CDL and export it as .cdl"
    Params = GradeParams
    reads = ("time_of_day",)
    # The looks table itself, not a copy: a look added there is a valid value at once.
    accepts = MappingProxyType({"time_of_day": LOOKS})
    cost = Cost("megapixel_frame", 0.03)

    def run(self, ctx: NodeContext) -> Output:
        look = str(ctx.variables.get("time_of_day", "day"))
        if look not in LOOKS:
            raise AgentError(
                f"time_of_day {look!r} has no look", hint=f"use one of: {', '.join(LOOKS)}"
            )
        full, s = LOOKS[look], ctx.params.strength
        cdl = CDL(
            slope=tuple(1 + s * (v - 1) for v in full.slope),
            offset=tuple(s * v for v in full.offset),
            power=tuple(1 + s * (v - 1) for v in full.power),
            saturation=1 + s * (full.saturation - 1),
        )
        source = ctx.inputs[0]
        meta = dict(source.meta)
        writer, file = open_writer(ctx.out_dir, "video", meta, meta["width"], meta["height"])
        with writer:
            for frame in frames(source):
                writer.write(apply_cdl(frame.rgb, cdl))
                ctx.progress(frame.index + 1, int(meta["frames"]))
        (ctx.out_dir / "grade.cdl").write_text(cdl.to_xml(f"{ctx.node_id}:{look}"))
        return Output({**meta, "file": file, "look": look, "cdl": "grade.cdl"})
