"""Cost: estimates before a node runs, and measured cost after.

estimate = (overhead + CPU seconds per unit × units) / 3600 × price of a core-hour
           (a GPU agent is priced with the GPU-hour line instead).

CPU seconds per unit and the overhead come from ``reelgraph calibrate`` on this machine
(stored in the project) or, until then, from the agent's declared defaults. Measured cost
uses the CPU seconds the worker process actually consumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from reelgraph.orchestrator.agent import Agent, Work
from reelgraph.project.brief import RateCard
from reelgraph.project.store import CalibrationRecord, Store


@dataclass(frozen=True)
class Pricing:
    rate_card: RateCard
    calibration: dict[str, float]  # agent name → CPU seconds per unit
    overheads: dict[str, float] = field(default_factory=dict)  # agent name → CPU s per node

    @classmethod
    def load(cls, store: Store, rate_card: RateCard) -> Pricing:
        rows = store.calibration()
        rates = {r.agent: r.cpu_seconds_per_unit for r in rows}
        overheads = {r.agent: r.overhead_cpu_s for r in rows if r.overhead_cpu_s is not None}
        return cls(rate_card, rates, overheads)

    def per_second(self, agent: type[Agent]) -> float:
        hourly = (
            self.rate_card.gpu_hour_usd
            if agent.cost.device == "gpu"
            else self.rate_card.cpu_core_hour_usd
        )
        return hourly / 3600.0

    def estimate_cpu_s(self, agent: type[Agent], work: Work) -> float:
        if work.fixed_cpu_s is not None:
            return work.fixed_cpu_s
        rate = self.calibration.get(agent.name, agent.cost.cpu_seconds_per_unit)
        overhead = self.overheads.get(agent.name, agent.cost.overhead_cpu_s)
        return overhead + rate * work.units(agent.cost.unit)

    def estimate_usd(self, agent: type[Agent], work: Work) -> float:
        return self.estimate_cpu_s(agent, work) * self.per_second(agent)

    def measured_usd(self, agent: type[Agent], cpu_s: float) -> float:
        return cpu_s * self.per_second(agent)


def save_calibration(
    store: Store,
    agent: str,
    unit: str,
    cpu_seconds_per_unit: float,
    overhead_cpu_s: float | None = None,
) -> None:
    """Store a measurement; ``overhead_cpu_s`` None keeps the agent's declared overhead."""
    store.save_calibration(
        CalibrationRecord(
            agent, unit, cpu_seconds_per_unit, datetime.now(UTC).isoformat(), overhead_cpu_s
        )
    )
