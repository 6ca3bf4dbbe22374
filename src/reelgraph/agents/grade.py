"""Grade: a scene look as an ASC CDL, from the scene variables ``time_of_day``, ``warmth``,
``exposure``, ``contrast`` and ``saturation`` (:mod:`reelgraph.colour.looks`).

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
from reelgraph.colour.looks import ACCEPTS, LOOK_VARIABLES, EncodedLookTable, encoded_look
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output

#: time_of_day → its look as a CDL on the encoded picture (the looks themselves are
#: parametric, defined in reelgraph.colour.looks; a CDL set here is used as it is).
LOOKS = EncodedLookTable()


@dataclass(frozen=True)
class GradeParams:
    """Attributes:
    strength: blend between no correction (0) and the full look (1).
    """

    strength: float = 1.0


def choose_look(variables: Mapping[str, Any], strength: float) -> tuple[str, CDL, dict[str, Any]]:
    """The look's name, its CDL at ``strength`` and the decision to record (what it read,
    the scene-linear look, how closely the CDL follows it): the one decision of this agent
    (the rest streams whatever CDL it returns)."""
    return encoded_look(variables, strength, LOOKS)


class Grade(Agent):
    name = "grade"
    version = "3"
    description = (
        "apply the scene's look (time_of_day, warmth, exposure, contrast, saturation) as an "
        "ASC CDL and export it as .cdl"
    )
    Params = GradeParams
    reads = LOOK_VARIABLES
    # The looks table itself, not a copy: a look added there is a valid value at once.
    accepts = MappingProxyType({**ACCEPTS, "time_of_day": LOOKS})
    cost = Cost("megapixel_frame", 0.001, overhead_cpu_s=0.15)  # a view over its input

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        return {**inputs[0], "file": VIEW_FILE, "view": True, "cdl": "grade.cdl"}

    def run(self, ctx: NodeContext) -> Output:
        look, cdl, decision = choose_look(ctx.variables, ctx.params.strength)
        source = ctx.inputs[0]
        ops = () if cdl.is_identity() else ({"op": "cdl", **cdl.to_dict()},)
        write_view(ctx.out_dir, view_over(source, ctx.out_dir), *ops)
        (ctx.out_dir / "grade.cdl").write_text(cdl.to_xml(f"{ctx.node_id}:{look}"))
        ctx.progress(1, 1)
        meta = self.describe_output([source.meta], ctx.params)
        return Output({**meta, "look": look, "look_decision": decision})
