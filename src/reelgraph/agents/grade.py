"""Grade: continuity to the scene's hero, the lookbook's look, then the scene look, each as
an ASC CDL (:mod:`reelgraph.colour.continuity`, :mod:`reelgraph.colour.lookbook`,
:mod:`reelgraph.colour.looks`).

Inputs: the shot's picture, then (for a shot of a scene of several) the scene's
:mod:`~reelgraph.agents.scene_hero` artifact — which shot is the hero, its sampled frames
and, when the hero is rotoscoped, their mattes — and, when the shot is rotoscoped, its
:mod:`~reelgraph.agents.roto` mattes; planned by :mod:`reelgraph.plan.rules.colour`. One
decision per shot, pooled over sampled frames, so it does not flicker. Where the match
falls back to statistics, each sampled frame's matte (the same frame number) keeps the
neutrals outside the subject and the skin inside it.

The corrections are written as files a colourist can load in their grading system
(``continuity.cc``, ``continuity.cube``, ``lookbook.cc``, ``grade.cdl``), with the
continuity report (``continuity/index.html`` + ``report.json``), and applied to the picture
as a view (:mod:`reelgraph.agents._io`): the graded picture is the upstream picture plus the
CDLs, applied by whoever reads it, so changing the look re-renders without writing a
lossless intermediate. The scene-linear continuity decision is applied as the encoded CDL
nearest it when that CDL reaches it (within RESIDUAL_DELTA_E), else as its 33³ LUT
(``continuity.cube``, tetrahedral, the file exported); the lookbook's look is always its LUT
(``lookbook.cube``), since a CDL cannot carry a tone curve and a colour distribution. A LUT
is named in the view by its SHA-256, so the picture's description changes with the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from reelgraph.agents._io import (
    VIEW_FILE,
    content_tag,
    frames,
    sample_positions,
    view_over,
    write_view,
)
from reelgraph.agents.scene_hero import hero_mattes, hero_stills
from reelgraph.algorithms.colour.asc_cdl import CDL, apply_cdl
from reelgraph.colour import lut
from reelgraph.colour.continuity import (
    RESIDUAL_DELTA_E,
    SAMPLE_FRAMES,
    WORKING_SPACE,
    fit_encoded_cdl,
    match_shot,
)
from reelgraph.colour.linear import to_linear
from reelgraph.colour.lookbook import fit_look, read_still
from reelgraph.colour.looks import ACCEPTS, LOOK_VARIABLES, EncodedLookTable, encoded_look
from reelgraph.colour.render import SAMPLE_SIZE
from reelgraph.errors import MediaError
from reelgraph.media.mattes import read_mask
from reelgraph.orchestrator.agent import Agent, Cost, Input, NodeContext, Output
from reelgraph.review.continuity_report import ContinuityEntry, write_continuity_report

Array = npt.NDArray[np.float32]

#: time_of_day → its look as a CDL on the encoded picture (the looks themselves are
#: parametric, defined in reelgraph.colour.looks; a CDL set here is used as it is).
LOOKS = EncodedLookTable()
#: Folder of the continuity report inside the grade's artifact.
REPORT_DIR = "continuity"


@dataclass(frozen=True)
class GradeParams:
    """Attributes:
    strength: blend between no correction (0) and the full scene look (1).
    shot: the shot graded (names it in the continuity report).
    looks: lookbook stills, absolute paths (their content joins the cache key).
    """

    strength: float = 1.0
    shot: str = ""
    looks: tuple[str, ...] = ()


def choose_look(variables: Mapping[str, Any], strength: float) -> tuple[str, CDL, dict[str, Any]]:
    """The look's name, its CDL at ``strength`` and the decision to record (what it read,
    the scene-linear look, how closely the CDL follows it): the scene look's decision."""
    return encoded_look(variables, strength, LOOKS)


def sample_frames(item: Input, count: int = SAMPLE_FRAMES) -> list[Array]:
    """``count`` frames spread evenly over a picture input, brought to SAMPLE_SIZE."""
    import cv2

    wanted = sample_positions(int(item.meta.get("frames", 0)), count)
    picked: list[Array] = []
    for frame in frames(item, only=wanted):
        scale = min(1.0, SAMPLE_SIZE / max(frame.rgb.shape[:2]))
        if scale < 1.0:
            small = cv2.resize(frame.rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            picked.append(np.asarray(small, np.float32))
        else:
            picked.append(np.asarray(frame.rgb, np.float32))
    if not picked:
        raise MediaError(f"{item.path}: no frames to grade", hint="check the shot's frames")
    return picked


def sample_mattes(
    matte: Input, picture: Input, sampled: list[Array], count: int = SAMPLE_FRAMES
) -> tuple[list[Array] | None, str]:
    """The matte of each frame :func:`sample_frames` took from ``picture`` (the same frame
    numbers), at that frame's sampled size; or None and why they cannot be paired."""
    import cv2

    total = int(picture.meta.get("frames", 0))
    if int(matte.meta.get("frames", -1)) != total:
        return None, (
            f"its mattes cover {matte.meta.get('frames')} frames and its picture {total}, "
            "so they cannot be paired frame for frame"
        )
    wanted = sample_positions(total, count)
    if len(wanted) != len(sampled):
        return None, "not every sampled frame could be read, so the mattes cannot be paired"
    pattern = str(matte.meta["pattern"])
    mattes: list[Array] = []
    for index, frame in zip(wanted, sampled, strict=True):
        file = matte.path / (pattern % index)
        if not file.is_file():
            return None, f"frame {index} has no matte ({file.name})"
        alpha = read_mask(file)
        height, width = frame.shape[:2]
        if alpha.shape != (height, width):
            # The picture was sampled down to SAMPLE_SIZE: area-average the matte the same.
            alpha = np.asarray(
                cv2.resize(alpha, (width, height), interpolation=cv2.INTER_AREA), np.float32
            )
        mattes.append(np.asarray(alpha, np.float32))
    return mattes, f"mattes of frames {', '.join(map(str, wanted))}"


def _input_of(ctx: NodeContext, kind: str) -> Input | None:
    """The input whose description is of ``kind`` (``scene_hero``, ``matte``), if any."""
    found = [item for item in ctx.inputs[1:] if item.meta.get("kind") == kind]
    return found[0] if found else None


def _transfer(item: Input) -> tuple[str, str]:
    tag = content_tag(item.meta)
    return (tag.transfer, tag.primaries) if tag is not None else ("bt709", "bt709")


def _cdl_op(cdl: CDL) -> tuple[dict[str, Any], ...]:
    return () if cdl.is_identity() else ({"op": "cdl", **cdl.to_dict()},)


def _lut_op(out_dir: Path, file: str) -> dict[str, Any]:
    """The view operation applying ``out_dir/file`` (a .cube just written there)."""
    return {"op": "lut3d", "file": file, "sha256": lut.sha256(out_dir / file)}


def _pixels(pictures: list[Array]) -> Array:
    return np.concatenate([p.reshape(-1, 3) for p in pictures]).astype(np.float32)


class Grade(Agent):
    name = "grade"
    version = "8"  # 8: a shared view must hold through the shot (no chance overlaps)
    description = (
        "match the shot to its scene's hero, take the lookbook's look, apply the scene's look "
        "(time_of_day, warmth, exposure, contrast, saturation), each as an ASC CDL; export "
        "them as .cc/.cdl/.cube with a continuity report"
    )
    Params = GradeParams
    reads = LOOK_VARIABLES
    # The looks table itself, not a copy: a look added there is a valid value at once.
    accepts = MappingProxyType({**ACCEPTS, "time_of_day": LOOKS})
    # A view over its input, after sampling a few frames of it and of its hero candidates;
    # what grows with the picture is the store verifying the linked files when the view is
    # committed (SHA-256 of those its worker has not read already: a restored picture's EXR
    # frames, or the camera file of a shot not restored).
    cost = Cost("megapixel_frame", 0.001, overhead_cpu_s=0.15)

    @classmethod
    def model_files(cls, params: Any) -> list[Path]:
        """The lookbook stills: their checksums join the cache key, so a changed still
        re-renders the grades that use it."""
        return [Path(path) for path in params.looks]

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        return {**inputs[0], "file": VIEW_FILE, "view": True, "cdl": "grade.cdl"}

    def run(self, ctx: NodeContext) -> Output:
        params: GradeParams = ctx.params
        source = ctx.inputs[0]
        transfer, primaries = _transfer(source)
        steps = 2 + len(ctx.inputs)
        ops: list[dict[str, Any]] = []
        meta: dict[str, Any] = {}
        hero_frames: list[Array] | None = None
        ctx.progress(1, steps)
        scene = _input_of(ctx, "scene_hero")
        if scene is not None:
            continuity, hero_frames = self._continuity(ctx, scene, transfer, primaries)
            meta["continuity"] = continuity
            if continuity.get("applied") == "lut":
                ops.append(_lut_op(ctx.out_dir, "continuity.cube"))
            elif continuity["applied_cdl"] is not None:
                ops.append({"op": "cdl", **continuity["applied_cdl"]})
        ctx.progress(len(ctx.inputs), steps)
        if params.looks:
            # The scene's hero (the shot itself when alone in its scene) sets the look.
            hero_frames = sample_frames(source) if hero_frames is None else hero_frames
            meta["lookbook"] = self._lookbook(ctx, hero_frames, transfer)
            ops.append(_lut_op(ctx.out_dir, "lookbook.cube"))
        look, cdl, decision = choose_look(ctx.variables, params.strength)
        ops.extend(_cdl_op(cdl))
        write_view(ctx.out_dir, view_over(source, ctx.out_dir), *ops)
        (ctx.out_dir / "grade.cdl").write_text(cdl.to_xml(f"{ctx.node_id}:{look}"))
        ctx.progress(steps, steps)
        described = self.describe_output([source.meta], params)
        return Output({**described, **meta, "look": look, "look_decision": decision})

    def _continuity(
        self, ctx: NodeContext, scene: Input, transfer: str, primaries: str
    ) -> tuple[dict[str, Any], list[Array]]:
        """Match the shot to its scene's hero (``scene``, the scene hero artifact), masked
        by the shot's and the hero's mattes where they have them; returns what was decided
        and the hero's sampled frames."""
        params: GradeParams = ctx.params
        hero, why = str(scene.meta["hero"]), str(scene.meta["hero_reason"])
        shot = params.shot or ctx.node_id.split("/")[0]
        hero_frames = hero_stills(scene)
        if hero == shot:
            return {"hero": hero, "hero_reason": why, "applied_cdl": None}, hero_frames
        shot_frames = sample_frames(ctx.inputs[0])
        hero_transfer = str(scene.meta["transfer"])
        matte = _input_of(ctx, "matte")
        shot_mattes, paired = (
            sample_mattes(matte, ctx.inputs[0], shot_frames) if matte else (None, "")
        )
        result = match_shot(
            shot_frames,
            hero_frames,
            transfer=transfer,
            hero_transfer=hero_transfer,
            primaries=primaries,
            shot_mattes=shot_mattes,
            hero_mattes=hero_mattes(scene),
        )
        decision = result.decision
        applied, miss = decision.encoded_cdl(_pixels(shot_frames))
        report = result.to_dict()
        if matte is not None and shot_mattes is None:
            report["notes"].append(f"the shot's matte is not used: {paired}")
        elif matte is not None and result.masks is None:
            report["notes"].append(
                "the shot's matte is not used: the views were matched by what they share"
            )
        residual = bool(report["residual_lut"]) or miss > RESIDUAL_DELTA_E
        report["view_cdl"] = applied.to_dict()
        report["view_cdl_delta_e"] = round(miss, 3)
        report["hero_reason"] = why
        report["applied"] = "lut" if residual else "cdl"
        if residual:
            report["notes"].append(
                f"the encoded CDL nearest the decision (continuity.cc) misses it by mean "
                f"ΔE2000 {miss:.2f} on the shot's colours, so the picture applies the whole "
                "decision as its 33³ LUT, continuity.cube (tetrahedral)"
            )
        title = f"{shot} matched to {hero}"
        table = decision.table()
        lut.write_cube(ctx.out_dir / "continuity.cube", table, title)
        lut.write_cdl(
            ctx.out_dir / "continuity.cc",
            f"{shot}:continuity",
            applied,
            f"{title}; on encoded R'G'B' (video), nearest the decision in {WORKING_SPACE}",
        )
        middle = len(shot_frames) // 2
        matched = (
            lut.apply(shot_frames[middle], table)
            if residual
            else np.clip(apply_cdl(shot_frames[middle], applied), 0.0, 1.0)
        )
        entry = ContinuityEntry(
            shot, hero, report, hero_frames[len(hero_frames) // 2], shot_frames[middle], matched
        )
        write_continuity_report(ctx.out_dir / REPORT_DIR, [entry], f"Continuity: {title}")
        return {
            "hero": hero,
            "hero_reason": why,
            "method": result.method,
            "masks": result.masks,
            "delta_e_before": report["delta_e_before"],
            "delta_e_after": report["delta_e_after"],
            "view_cdl_delta_e": report["view_cdl_delta_e"],
            "applied": report["applied"],
            "report": f"{REPORT_DIR}/index.html",
            "applied_cdl": applied.to_dict(),
        }, hero_frames

    def _lookbook(
        self, ctx: NodeContext, hero_frames: list[Array], transfer: str
    ) -> dict[str, Any]:
        """The lookbook's look, fitted on the hero (so every shot of the scene gets the same
        one): ``lookbook.cube``, applied to the picture, and the encoded CDL nearest it,
        ``lookbook.cc``, for systems that take a CDL only."""
        stills = [read_still(Path(path)) for path in ctx.params.looks]
        hero = _pixels(hero_frames)
        look = fit_look(to_linear(hero, transfer), stills, transfer=transfer)
        cdl, miss = fit_encoded_cdl(look.encoded, transfer, hero)
        lut.write_cdl(
            ctx.out_dir / "lookbook.cc",
            f"{ctx.node_id}:lookbook",
            cdl,
            f"look of {len(stills)} still(s) ({look.method}); on encoded R'G'B' (video)",
        )
        lut.write_cube(ctx.out_dir / "lookbook.cube", look.table(), "lookbook look")
        return {
            "method": look.method,
            "stills": [Path(p).name for p in ctx.params.looks],
            "view_cdl_delta_e": round(miss, 3),
            "cdl": cdl.to_dict(),
            "applied": "lut",
        }
