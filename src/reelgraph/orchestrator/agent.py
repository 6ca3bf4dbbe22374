"""The agent contract: what a node type declares and the one method it implements.

An agent is a small class: a name and version, a frozen dataclass of parameters (each field
documented, each default defined once, there), the scene variables it reads, a cost model,
optional objectives for the iteration loop, and :meth:`Agent.run`, a pure function of its
input artifacts and parameters that writes its output files into ``ctx.out_dir``.

Agents never implement maths inline; they stream media through :mod:`reelgraph.algorithms`.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import pydantic

from reelgraph.errors import PlanError

# A string parameter ending in one of these names a model file; its content goes into the
# cache key (replacing the weights at the same path must not return the old artifacts).
MODEL_SUFFIXES = (".onnx",)

Unit = Literal["megapixel_frame", "audio_second", "frame", "node"]


@dataclass(frozen=True)
class Cost:
    """How an agent's cost scales.

    Attributes:
        unit: what the work is counted in.
        cpu_seconds_per_unit: default CPU seconds per unit, used until ``reelgraph
            calibrate`` measures this machine.
        overhead_cpu_s: fixed CPU seconds per node (opening files, starting codecs).
        device: ``cpu`` or ``gpu`` (priced with the rate card's matching line).
    """

    unit: Unit
    cpu_seconds_per_unit: float
    overhead_cpu_s: float = 0.3
    device: Literal["cpu", "gpu"] = "cpu"


#: What a job that only links files costs (``Work.link``: a shot master delivered as the
#: programme), whichever agent does it: no codec is opened, nothing is decoded. The link and
#: the artifact's manifest take about a millisecond (the overhead); then the store hashes
#: the linked file, which grows with the frames it holds (SHA-256 at ~0.5 ms a megabyte:
#: ~0.01 ms a frame of a 1080p web master). Declared until ``reelgraph calibrate`` measures
#: the plan's links on this machine (the calibration row ``budget.LINK``).
LINK_COST = Cost("frame", 0.00001, overhead_cpu_s=0.001)


@dataclass(frozen=True)
class Work:
    """Size of a node's job, from its inputs' descriptions."""

    frames: int = 0
    megapixels: float = 0.0  # summed over frames (megapixel-frames)
    audio_s: float = 0.0
    link: bool = False
    """These parameters make the job a link of files its inputs already hold (a one-take
    programme): priced as a link (:data:`LINK_COST`, sized by the ``frames`` linked), not
    with its agent's overhead and rate."""

    def units(self, unit: Unit) -> float:
        return {
            "megapixel_frame": self.megapixels,
            "audio_second": self.audio_s,
            "frame": float(self.frames),
            "node": 1.0,
        }[unit]


@dataclass(frozen=True)
class Objective:
    """A measurable goal for the iteration loop.

    ``kind`` is ``within`` (|value − target| ≤ tolerance), ``at_most`` (value ≤ target) or
    ``at_least`` (value ≥ target).
    """

    metric: str
    target: float
    tolerance: float = 0.0
    kind: Literal["within", "at_most", "at_least"] = "within"

    def distance(self, value: float) -> float:
        """How far a measured value is from meeting the objective (0 when met)."""
        if self.kind == "within":
            return max(0.0, abs(value - self.target) - self.tolerance)
        if self.kind == "at_most":
            return max(0.0, value - self.target)
        return max(0.0, self.target - value)

    def met(self, value: float) -> bool:
        return self.distance(value) == 0.0


@dataclass(frozen=True)
class Input:
    """One input of a node, as the agent sees it: the artifact folder and its description."""

    key: str
    path: Path  # folder of an artifact, or the source file for ``source:`` inputs
    meta: Mapping[str, Any]

    def file(self, name: str | None = None) -> Path:
        """The artifact's main file (``meta['file']``) or a named one."""
        if self.path.is_file():
            return self.path
        return self.path / (name or str(self.meta["file"]))


ProgressFn = Callable[[int, int], None]


@dataclass
class NodeContext:
    """Everything a node's run may use. Nothing else: nodes are pure functions of this."""

    node_id: str
    inputs: list[Input]
    params: Any
    variables: dict[str, Any]
    out_dir: Path
    seed: int
    progress: ProgressFn = field(default=lambda done, total: None)


@dataclass(frozen=True)
class Output:
    """What :meth:`Agent.run` returns: a description of the files written and metrics.

    ``meta`` describes the artifact for the agents downstream (``kind``, ``file``, and for
    video ``frames``, ``width``, ``height``, ``frame_rate``, ``colour``; for audio
    ``rate``, ``channels``, ``duration_s``). ``metrics`` are measurements (objectives are
    checked against them). ``findings`` are QC findings to store with the run.
    """

    meta: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class NoParams:
    """This agent takes no parameters."""


class Agent(ABC):
    """Base of every node type. Subclasses set the class attributes and implement run."""

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str] = ""
    Params: ClassVar[type] = NoParams
    reads: ClassVar[tuple[str, ...]] = ()
    # Scene variable → the values this agent accepts for it (a variable absent here takes
    # any value). Point at the table the agent reads, so the two cannot drift apart.
    accepts: ClassVar[Mapping[str, Collection[Any]]] = {}
    cost: ClassVar[Cost] = Cost("megapixel_frame", 0.05)
    objectives: ClassVar[tuple[Objective, ...]] = ()

    @classmethod
    def make_params(cls, values: Mapping[str, Any]) -> Any:
        """Build the frozen params, refusing unknown names with the valid ones listed and a
        value out of its field's bounds with the field, the value and the bound."""
        known = {f.name for f in dataclasses.fields(cls.Params)}
        unknown = set(values) - known
        if unknown:
            raise PlanError(
                f"agent {cls.name}: unknown parameter(s) {', '.join(sorted(unknown))}",
                hint=f"valid parameters: {', '.join(sorted(known)) or 'none'}",
            )
        try:
            return cls.Params(**values)
        except pydantic.ValidationError as exc:
            problems, bounds = _validation_problems(cls.Params, exc)
            raise PlanError(
                f"agent {cls.name}: {'; '.join(problems)}",
                hint=f"allowed: {'; '.join(bounds)}" if bounds else "see the agent's parameters",
            ) from None
        except (TypeError, ValueError) as exc:
            raise PlanError(f"agent {cls.name}: {exc}") from exc

    @classmethod
    def check_variable(cls, name: str, value: Any) -> None:
        """Refuse a scene variable's value this agent cannot use, listing the valid ones."""
        valid = cls.accepts.get(name)
        if valid is not None and value not in valid:
            raise PlanError(
                f"{name}={value!r} is not a value the {cls.name} agent accepts",
                hint=f"valid values of {name}: {', '.join(map(str, valid))}",
            )

    @classmethod
    def params_dict(cls, params: Any) -> dict[str, Any]:
        return dataclasses.asdict(params)

    @classmethod
    def model_files(cls, params: Any) -> list[Path]:
        """The model files these params name (their checksums join the cache key).

        By default every string parameter ending in a :data:`MODEL_SUFFIXES` name; an agent
        whose models are named otherwise overrides this."""
        return [
            Path(value)
            for value in cls.params_dict(params).values()
            if isinstance(value, str) and value.lower().endswith(MODEL_SUFFIXES)
        ]

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        """Predict the output description before running (for estimates and planning).

        The default passes the first input's description through (same frames and size).
        """
        return dict(inputs[0]) if inputs else {"kind": "none"}

    def work(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> Work:
        """Size of the job from the inputs' descriptions (first video/audio input)."""
        for meta in inputs:
            if meta.get("kind") == "video":
                frames = int(meta.get("frames", 0))
                mpx = frames * int(meta.get("width", 0)) * int(meta.get("height", 0)) / 1e6
                return Work(frames=frames, megapixels=mpx)
            if meta.get("kind") == "audio":
                return Work(audio_s=float(meta.get("duration_s", 0.0)))
        return Work()

    @abstractmethod
    def run(self, ctx: NodeContext) -> Output:
        """Do the work: read ``ctx.inputs``, write files into ``ctx.out_dir``."""

    def propose(
        self, params: Any, metrics: Mapping[str, float], history: list[tuple[Any, dict[str, float]]]
    ) -> Any | None:
        """Next variant's params when an objective is not met, or ``None`` to stop."""
        return None

    def calibration_job(self, synthetic: Mapping[str, Input]) -> tuple[list[Input], Any] | None:
        """Inputs and params for ``reelgraph calibrate`` from the synthetic media it makes
        (``video``: intermediate clip, ``audio``: WAV, ``source``: camera-like file).
        ``None`` when this agent cannot be calibrated on its own."""
        if self.cost.unit in ("megapixel_frame", "audio_second") and _has_defaults(self.Params):
            kind = "audio" if self.cost.unit == "audio_second" else "video"
            return [synthetic[kind]], self.Params()
        return None


#: How agent parameters are declared: ``@pydantic.dataclasses.dataclass(frozen=True,
#: config=PARAMS_CONFIG)``, each field ``Annotated[float, Field(ge=…, le=…)]`` with its
#: bounds and a docstring beneath it. Validation is then one way for every agent (pydantic;
#: ``make_params`` reports a field out of bounds with the bound), values are finite, and
#: the docstrings are the fields' descriptions.
PARAMS_CONFIG = pydantic.ConfigDict(
    extra="forbid", allow_inf_nan=False, use_attribute_docstrings=True
)


def _field_bounds(params: type, name: str) -> str | None:
    """``"0 ≤ strength ≤ 1"`` from a pydantic dataclass field's constraints, or None."""
    fields = getattr(params, "__pydantic_fields__", {})
    info = fields.get(name)
    if info is None:
        return None
    lower, upper = "", ""
    # Field(ge=…) and friends are kept as annotated-types constraints named ge, gt, le, lt.
    for constraint in info.metadata:
        for attribute, symbol in (("ge", "≤"), ("gt", "<")):
            if getattr(constraint, attribute, None) is not None:
                lower = f"{getattr(constraint, attribute):g} {symbol} "
        for attribute, symbol in (("le", "≤"), ("lt", "<")):
            if getattr(constraint, attribute, None) is not None:
                upper = f" {symbol} {getattr(constraint, attribute):g}"
    return f"{lower}{name}{upper}" if lower or upper else None


def _validation_problems(
    params: type, exc: pydantic.ValidationError
) -> tuple[list[str], list[str]]:
    """One line per refused value (``field=value: why``) and the failing fields' bounds."""
    problems, bounds = [], []
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"])
        why = str(error["msg"]).removeprefix("Value error, ")
        why = why[:1].lower() + why[1:]
        # A check across fields (``__post_init__``) has no single field to name.
        problems.append(f"{name}={error.get('input')!r}: {why}" if name else why)
        bound = _field_bounds(params, name)
        if bound is not None and bound not in bounds:
            bounds.append(bound)
    return problems, bounds


def _has_defaults(params: type) -> bool:
    return all(
        f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        for f in dataclasses.fields(params)
    )
