"""Grade: a scene look as an ASC CDL, chosen by the scene variable ``time_of_day``.

The correction is written as a ``.cdl`` file a colourist can load in their grading system,
and applied to the picture as a view (:mod:`reelgraph.agents._io`): the graded picture is
the upstream picture plus the CDL, applied by whoever reads it, so changing the look
re-renders without writing a lossless intermediate. An identity look adds no operation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from reelgraph.agents._io import VIEW_FILE, view_over, write_view
from reelgraph.algorithms.colour.asc_cdl import CDL
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


def choose_look(variables: Mapping[str, Any], strength: float) -> tuple[str, CDL]:
    """The look's name and its CDL at ``strength``: the one decision of this agent (the
    rest streams whatever CDL it returns)."""
    look = str(variables.get("time_of_day", "day"))
    if look not in LOOKS:
        raise AgentError(
            f"time_of_day {look!r} has no look", hint=f"use one of: {', '.join(LOOKS)}"
        )
    full, s = LOOKS[look], strength

    def towards(one: float, value: float) -> float:
        return one + s * (value - one)

    return look, CDL(
        slope=(towards(1, full.slope[0]), towards(1, full.slope[1]), towards(1, full.slope[2])),
        offset=(towards(0, full.offset[0]), towards(0, full.offset[1]), towards(0, full.offset[2])),
        power=(towards(1, full.power[0]), towards(1, full.power[1]), towards(1, full.power[2])),
        saturation=towards(1, full.saturation),
    )


class Grade(Agent):
    name = "grade"
    version = "2"
    description = "apply the scene's look (time_of_day) as an ASC CDL and export it as .cdl"
    Params = GradeParams
    reads = ("time_of_day",)
    # The looks table itself, not a copy: a look added there is a valid value at once.
    accepts = MappingProxyType({"time_of_day": LOOKS})
    cost = Cost("node", 0.05)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        return {**inputs[0], "file": VIEW_FILE, "view": True, "cdl": "grade.cdl"}

    def run(self, ctx: NodeContext) -> Output:
        look, cdl = choose_look(ctx.variables, ctx.params.strength)
        source = ctx.inputs[0]
        ops = () if cdl.is_identity() else ({"op": "cdl", **cdl.to_dict()},)
        write_view(ctx.out_dir, view_over(source, ctx.out_dir), *ops)
        (ctx.out_dir / "grade.cdl").write_text(cdl.to_xml(f"{ctx.node_id}:{look}"))
        ctx.progress(1, 1)
        meta = self.describe_output([source.meta], ctx.params)
        return Output({**meta, "look": look})
