"""Cost: estimates before a node runs, and measured cost after.

estimate = (overhead + CPU seconds per unit × units) / 3600 × price of a core-hour
           (a GPU agent is priced with the GPU-hour line instead).

CPU seconds per unit and the overhead come from ``reelgraph calibrate`` on this machine
(stored in the project) or, until then, from the agent's declared defaults. A job that only
links files (``Work.link``) costs a link instead, whichever agent does it: the same model
under the name :data:`LINK`, declared :data:`~reelgraph.orchestrator.agent.LINK_COST`
until the calibration measures the plan's links. Measured cost uses the CPU seconds the
worker process actually consumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from reelgraph.orchestrator.agent import LINK_COST, Agent, Cost, Unit, Work
from reelgraph.project.brief import RateCard
from reelgraph.project.store import CalibrationRecord, Store

#: The calibration row of a link's cost (overhead and CPU seconds per frame linked): a link
#: costs the same whichever agent makes it, so it is one row, named apart from every agent.
LINK = "link"


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
        name, cost = model_of(agent, work)
        rate = self.calibration.get(name, cost.cpu_seconds_per_unit)
        overhead = self.overheads.get(name, cost.overhead_cpu_s)
        return overhead + rate * work.units(cost.unit)

    def estimate_usd(self, agent: type[Agent], work: Work) -> float:
        return self.estimate_cpu_s(agent, work) * self.per_second(agent)

    def measured_usd(self, agent: type[Agent], cpu_s: float) -> float:
        return cpu_s * self.per_second(agent)


def model_of(agent: type[Agent], work: Work) -> tuple[str, Cost]:
    """The name a job's cost is calibrated under and its declared model: the agent's, or
    the link's for a job that only links files."""
    return (LINK, LINK_COST) if work.link else (agent.name, agent.cost)


def ledger_work(unit: Unit, frames: int, megapixels: float, audio_s: float) -> Work:
    """The work of a ledger row, as it was priced: a row of an agent counting megapixel-
    frames or audio seconds that has none is a job its agent priced as a link (the ledger
    keeps no flag; a link records the frames it linked and nothing else)."""
    work = Work(int(frames), float(megapixels), float(audio_s))
    if unit in ("megapixel_frame", "audio_second") and work.units(unit) == 0:
        return Work(frames=int(frames), link=True)
    return work


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
