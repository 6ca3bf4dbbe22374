"""Stub agents for orchestrator tests: tiny, fast, and observable.

They pass a number along the graph in ``value.json``; importable by spawned pool workers
because pytest puts tests/ on sys.path (which spawn hands to its children).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Objective, Output


def _read(ctx: NodeContext, index: int = 0) -> float:
    item = ctx.inputs[index]
    if item.path.is_file():
        return float(item.path.read_text().strip() or 0)
    return float(json.loads(item.file().read_text())["value"])


def _write(ctx: NodeContext, value: float, **metrics: float) -> Output:
    (ctx.out_dir / "value.json").write_text(json.dumps({"value": value}))
    return Output({"kind": "value", "file": "value.json"}, metrics={"value": value, **metrics})


@dataclass(frozen=True)
class AddParams:
    amount: float = 1.0


class Load(Agent):
    name = "stub_load"
    version = "1"
    cost = Cost("node", 0.5, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        return _write(ctx, _read(ctx))


class Add(Agent):
    name = "stub_add"
    version = "1"
    Params = AddParams
    cost = Cost("node", 0.5, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        return _write(ctx, sum(_read(ctx, i) for i in range(len(ctx.inputs))) + ctx.params.amount)


class Scale(Agent):
    name = "stub_scale"
    version = "1"
    reads = ("factor",)
    cost = Cost("node", 0.5, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        return _write(ctx, _read(ctx) * float(ctx.variables.get("factor", 1)))


@dataclass(frozen=True)
class BurnParams:
    seconds: float = 0.5
    tag: str = ""


class Burn(Agent):
    """Spends CPU time (a busy loop) so budgets and the watchdog can be tested."""

    name = "stub_burn"
    version = "1"
    Params = BurnParams
    cost = Cost("node", 0.5, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        end = time.process_time() + ctx.params.seconds
        x = 0
        while time.process_time() < end:
            x += 1
        return _write(ctx, _read(ctx))


@dataclass(frozen=True)
class GainParams:
    gain: float = 1.0


class Gain(Agent):
    """Multiplies by ``gain``; objective: the result within 0.5 of 10. Proposes the gain
    that would hit 10 exactly, but overshoots by 5 % so that two variants are needed."""

    name = "stub_gain"
    version = "1"
    Params = GainParams
    cost = Cost("node", 0.5, overhead_cpu_s=0.0)
    objectives = (Objective("value", 10.0, 0.5),)

    def run(self, ctx: NodeContext) -> Output:
        return _write(ctx, _read(ctx) * ctx.params.gain)

    def propose(self, params: Any, metrics: Any, history: Any) -> Any:
        value = metrics["value"]
        if value == 0:
            return None
        wanted = params.gain * 10.0 / value
        return GainParams(gain=round(params.gain + 1.05 * (wanted - params.gain), 6))


class Pid(Agent):
    """Passes on the id of the worker process that ran it (plus ``amount``, to vary keys)."""

    name = "stub_pid"
    version = "1"
    Params = AddParams
    cost = Cost("node", 0.5, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        return _write(ctx, float(os.getpid()) + ctx.params.amount)


STUBS = {cls.name: cls for cls in (Load, Add, Scale, Burn, Gain, Pid)}
