"""The brief: the user's intent, read from ``brief.yaml`` and validated with pydantic.

A validation error names the field, the line in the file and what would be valid, e.g.
``brief.yaml:14: scenes.0.shots.1.sourec: unknown field (did you mean 'source'?)``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from reelgraph.errors import BriefError
from reelgraph.specs.delivery import SPECS, DeliverySpec

SCHEMA = "reelgraph.Brief.1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rights(_Strict):
    """Rights and consent of a source; delivery refuses sources that are not cleared."""

    owner: str = Field(description="who owns the material")
    licence: str = Field(description="the licence or contract it is used under")
    origin: Literal["captured", "generated"] = Field(description="camera or generative model")
    likeness_consent: bool = Field(False, description="consent for people's likeness")
    voice_consent: bool = Field(False, description="consent for people's voices")
    cleared: bool = Field(False, description="legal has cleared the source for delivery")


class Source(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="short name used by shots")
    path: str = Field(description="media file, relative to the project folder")
    rights: Rights | None = None
    split: Literal["auto", "none"] | None = Field(
        None,
        description="auto: the file holds many shots, found by shot detection at ingest; "
        "none: never split it; unset: split once 'reelgraph ingest --split' has split it",
    )


class Roto(_Strict):
    """Mattes of the shot's subject (the ``roto`` agent, docs/agents/roto.md)."""

    subject: Literal["person", "salient", "keyframe"] = Field(
        "person", description="what to cut out: a model's subject, or only the keyframes"
    )
    keyframes: dict[int, str] = Field(
        default_factory=dict,
        description="frame (from 0 in the shot) → mask file, relative to the project folder",
    )


class Shot(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    source: str = Field(description="id of a source")
    frames: tuple[int, int] | None = Field(
        None, description="first and last frame (inclusive); whole clip when absent"
    )
    take: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="the take (a shot id) to use for this shot's setup instead of the "
        "automatic choice of 'reelgraph takes'; audited",
    )
    roto: Literal["person", "salient"] | Roto | None = Field(
        None, description="make mattes of the subject: person, salient, or {subject, keyframes}"
    )

    @field_validator("frames")
    @classmethod
    def _ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (0 <= value[0] <= value[1]):
            raise ValueError("frames must be [first, last] with 0 <= first <= last")
        return value


class Scene(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    variables: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="scene variables that agents read"
    )
    shots: list[Shot] = Field(min_length=1)
    hero: str | None = Field(
        None,
        description="the shot (a shot id of this scene) the others are colour-matched to; "
        "absent: the shot nearest the scene's median look",
    )
    looks: list[str] = Field(
        default_factory=list,
        description="reference stills for this scene's look, relative to the project folder "
        "(instead of the project's looks)",
    )

    @model_validator(mode="after")
    def _hero_in_scene(self) -> Scene:
        shot_ids = [shot.id for shot in self.shots]
        if self.hero is not None and self.hero not in shot_ids:
            raise ValueError(
                f"hero {self.hero!r} is not a shot of scene {self.id!r}; "
                f"its shots: {', '.join(shot_ids)}"
            )
        return self


class RateCard(_Strict):
    cpu_core_hour_usd: float = Field(0.05, ge=0, description="price of one CPU core for an hour")
    gpu_hour_usd: float = Field(2.50, ge=0, description="price of one GPU for an hour")


class Review(_Strict):
    require_approval: bool = Field(True, description="hold deliveries until a person approves")


class Iteration(_Strict):
    max_variants: int = Field(3, ge=1, le=20, description="variants tried per node at most")


class Dissolve(_Strict):
    dissolve: int = Field(ge=2, description="frames the dissolve into this clip lasts")


class EditSlot(_Strict):
    """One clip of the cut: a shot (the slot), which take fills it, trims, the transition."""

    shot: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="the slot: a shot id")
    take: str = Field(
        "auto",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="auto (the chosen take of the shot's setup, else the shot) or a shot id",
    )
    in_: int | None = Field(
        None, alias="in", ge=0, description="first frame used, counted in the take"
    )
    out: int | None = Field(None, ge=0, description="last frame used (inclusive), in the take")
    transition: Literal["cut"] | Dissolve = Field(
        "cut", description="into this clip: cut, or {dissolve: N frames}"
    )


class Pacing(_Strict):
    target_runtime_s: float | None = Field(
        None, gt=0, description="trim heads and tails so the cut lasts about this long"
    )
    average_shot_s: float | None = Field(
        None, gt=0, description="trim heads and tails of clips longer than this on average"
    )


class Edit(_Strict):
    """The first cut: its clips in order (default: every shot, in brief order) and pacing."""

    slots: list[EditSlot] | None = None
    pacing: Pacing = Pacing()


class OutputOverride(_Strict):
    """The brief's ``output:``: the picture size and EXR sample type of the masters,
    overriding the delivery spec's (e.g. 3840×2160 32-bit float plates from 1080p shots)."""

    width: int | None = Field(None, ge=16, le=16384, multiple_of=2, description="pixels")
    height: int | None = Field(None, ge=16, le=16384, multiple_of=2, description="pixels")
    exr_pixel_type: Literal["half", "float"] | None = Field(
        None, description="EXR plate samples: half (16-bit) or float (32-bit)"
    )

    @model_validator(mode="after")
    def _both_sides(self) -> OutputOverride:
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither")
        return self


class Brief(_Strict):
    schema_: Literal["reelgraph.Brief.1"] = Field("reelgraph.Brief.1", alias="schema")
    project: str
    delivery: str = Field(description="delivery spec: " + ", ".join(SPECS))
    budget_usd: float | None = Field(None, ge=0, description="refuse work beyond this")
    rate_card: RateCard = RateCard()
    review: Review = Review()
    iteration: Iteration = Iteration()
    sources: list[Source] = Field(min_length=1)
    scenes: list[Scene] = Field(min_length=1)
    looks: list[str] = Field(
        default_factory=list,
        description="reference stills for every scene's look (a scene's own looks replace "
        "them), relative to the project folder",
    )
    edit: Edit = Edit()
    output: OutputOverride = OutputOverride()

    @field_validator("delivery")
    @classmethod
    def _known_spec(cls, value: str) -> str:
        if value not in SPECS:
            raise ValueError(f"unknown delivery spec; valid: {', '.join(SPECS)}")
        return value

    def model_post_init(self, __context: Any) -> None:
        source_ids = [s.id for s in self.sources]
        shot_ids = [shot.id for scene in self.scenes for shot in scene.shots]
        scene_ids = [scene.id for scene in self.scenes]
        if self.output.exr_pixel_type and SPECS[self.delivery].video_preset != "exr":
            raise ValueError(
                f"output.exr_pixel_type applies to EXR plates, not to {self.delivery!r} "
                "(use delivery: vfx-plates)"
            )
        for ids, what in ((source_ids, "source"), (scene_ids, "scene"), (shot_ids, "shot")):
            duplicates = {i for i in ids if ids.count(i) > 1}
            if duplicates:
                raise ValueError(f"duplicate {what} id(s): {', '.join(sorted(duplicates))}")
        for scene in self.scenes:
            for shot in scene.shots:
                if shot.source not in source_ids:
                    raise ValueError(
                        f"shot {shot.id!r} names unknown source {shot.source!r}; "
                        f"sources: {', '.join(source_ids)}"
                    )

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def delivery_spec(self) -> DeliverySpec:
        """The delivery spec with this brief's ``output:`` override applied."""
        out = self.output
        return SPECS[self.delivery].with_output(out.width, out.height, out.exr_pixel_type)


def _line_of(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (``X``, ``list[X]``, ``X | None``…)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if (model := _model_in(arg)) is not None:
            return model
    return None


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model where an unknown field was found: suggestions come from
    the place the user was writing, not from every model of the brief."""
    model: type[BaseModel] | None = Brief
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue  # a list index stays on the same model
        field = model.model_fields.get(str(part))
        model = _model_in(field.annotation) if field is not None else None
    return sorted(model.model_fields) if model is not None else _ALL_FIELDS


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        name = str(error["loc"][-1])
        close = difflib.get_close_matches(name, _fields_at(tuple(error["loc"])), n=1)
        suggestion = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{loc}: unknown field{suggestion}"
    if error["type"] == "missing":
        return f"{loc}: required field is missing"
    return f"{loc}: {error['msg']}"


_ALL_FIELDS = sorted(
    {
        name
        for model in (
            Brief,
            Source,
            Rights,
            Shot,
            Scene,
            RateCard,
            Review,
            Iteration,
            Edit,
            EditSlot,
            Pacing,
            Dissolve,
        )
        for name in model.model_fields
    }
    | {"schema", "in"}
)


def parse_brief(text: str, path: str | Path = "brief.yaml") -> Brief:
    """Validate brief text; raise :class:`BriefError` naming field and line."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise BriefError(
            f"{path}{at}: not valid YAML ({getattr(exc, 'problem', exc)})",
            path=path,
            hint="check indentation and quoting around that line",
        ) from exc
    if not isinstance(data, dict):
        raise BriefError(f"{path}: the brief must be a mapping of fields", path=path)
    try:
        return Brief.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            line = _line_of(root, tuple(error["loc"]))
            where = f"{path}:{line}" if line else str(path)
            lines.append(f"{where}: {_describe(dict(error))}")
        raise BriefError(
            "invalid brief\n  " + "\n  ".join(lines),
            path=path,
            hint="fix the fields named above (docs/brief.md lists every field)",
        ) from None


def load_brief(path: str | Path) -> Brief:
    p = Path(path)
    if not p.is_file():
        raise BriefError(f"{p}: no brief found", path=p, hint="create one with 'reelgraph init'")
    return parse_brief(p.read_text(encoding="utf-8"), p)


TEMPLATE = """\
# reelgraph brief — what to deliver, from what, under which rules.
# Every field is described in docs/brief.md. Paths are relative to this folder.
schema: reelgraph.Brief.1
project: my-project

# Delivery spec: web-sdr | broadcast-ebu | broadcast-atsc | streaming-hdr | vfx-plates
delivery: web-sdr

# Refuse to start work whose estimated cost exceeds this (USD). Remove for no limit.
budget_usd: 5.00

# What compute costs: used to turn measured CPU/GPU seconds into money.
rate_card:
  cpu_core_hour_usd: 0.05
  gpu_hour_usd: 2.50

review:
  require_approval: true   # hold deliveries until someone approves each shot

iteration:
  max_variants: 3          # variants an agent may try to meet its QC objective

# Media, with rights and consent. Delivery refuses sources that are not cleared.
sources:
  - id: clip_a
    path: footage/clip_a.mp4
    rights:
      owner: Example Studio
      licence: work for hire
      origin: generated      # captured | generated
      likeness_consent: true
      voice_consent: true
      cleared: true

# Scenes group shots and carry variables that agents read (reelgraph set SCENE.VAR=VALUE).
scenes:
  - id: opening
    variables:
      time_of_day: day     # day | sunset | night: the grade agent's look
    shots:
      - id: sh010
        source: clip_a
        # frames: [0, 47]  # first and last frame; the whole clip when absent
"""
