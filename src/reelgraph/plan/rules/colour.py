"""Colour rule: each shot's ``grade`` node — continuity to the scene's hero, the lookbook,
then the scene's look (docs/agents/colour.md) — and, for a scene of several shots, one
``scene_hero`` node that every grade of the scene reads.

Per scene of several shots, and per shot::

    {scene}/hero: scene_hero(conformed pictures of the hero candidates[, their mattes])
    picture: … → grade(picture, {scene}/hero[, {shot}/roto]) → …

* a scene with a ``hero:`` in the brief: the scene hero node reads the hero's conformed
  picture only (so another shot's new footage leaves it, and the hero's grade, as they are);
* a scene without one: it reads the conformed pictures of all the scene's shots and picks
  the hero when it runs — the shot nearest the scene's median look — since that needs the
  pictures measured, which the plan does not do; its output says which. Each picture is
  sampled once for the scene, so n shots cost n decodes, not n²;
* every grade of the scene reads the scene hero's sampled frames: the hero's own grade is
  not matched (it fits the lookbook on them), the others are matched to them;
* a scene of one shot: nothing to match, no scene hero node;
* a shot rotoscoped in the brief (``roto:``, :mod:`.roto`): its mattes are a mask input
  of the match — its grade reads its ``roto`` node, and a hero candidate's ``roto`` node
  is read by the scene hero — so where the match falls back to statistics the neutrals
  are taken outside the subject and skin inside it, and a changed matte (a repainted
  keyframe) re-runs the grades that used it.

The scene's ``looks:`` (else the project's) are handed to the agent as absolute paths; their
content is part of the node's cache key, so a changed still re-renders only the grades
that use it and what follows them.
"""

from __future__ import annotations

from pathlib import Path

from reelgraph.errors import PlanError
from reelgraph.orchestrator.graph import Node
from reelgraph.plan.rules import ShotContext
from reelgraph.project.brief import Scene


def _scene(ctx: ShotContext) -> Scene:
    for scene in ctx.brief.scenes:
        if scene.id == ctx.scene:
            return scene
    raise PlanError(f"scene {ctx.scene!r} is not in the brief", hint="run 'reelgraph plan' again")


def look_files(ctx: ShotContext, project_root: Path) -> list[str]:
    """The lookbook stills of the shot's scene (its own, else the project's), absolute."""
    scene = _scene(ctx)
    named = scene.looks or ctx.brief.looks
    where = f"scene {scene.id!r}" if scene.looks else "the project"
    files = []
    for name in named:
        path = (project_root / name).resolve()
        if not path.is_file():
            raise PlanError(
                f"{where}: look reference {name!r} not found ({path})",
                hint="looks are still images (PNG, TIFF, JPEG, EXR) named relative to the "
                "project folder; fix the path in brief.yaml",
            )
        files.append(str(path))
    return files


def hero_node_id(scene: str) -> str:
    return f"{scene}/hero"


def matte_node_id(shot: str) -> str:
    """The shot's ``roto`` node (planned by :mod:`reelgraph.plan.rules.roto`)."""
    return f"{shot}/roto"


def _rotoscoped(scene: Scene) -> set[str]:
    return {shot.id for shot in scene.shots if shot.roto is not None}


def scene_hero_node(scene: Scene) -> Node:
    """The ``scene_hero`` node of a scene of several shots."""
    shots = [shot.id for shot in scene.shots]
    candidates = [scene.hero] if scene.hero is not None else shots
    mattes = [shot for shot in candidates if shot in _rotoscoped(scene)]
    why = (
        f"{scene.hero} is the scene's hero (brief): sample its conformed picture once for "
        "the scene's grades"
        if scene.hero is not None
        else f"the hero of {', '.join(shots)}: the shot nearest the scene's median look, "
        "measured on their conformed pictures (each sampled once) when it runs"
    )
    if mattes:
        why += f"; with the mattes of {', '.join(mattes)}, to mask the hero's statistics"
    return Node(
        hero_node_id(scene.id),
        "scene_hero",
        {"scene": scene.id, "shots": candidates, "hero": scene.hero or "", "mattes": mattes},
        tuple(f"{shot}/conform" for shot in candidates)
        + tuple(matte_node_id(shot) for shot in mattes),
        why,
        None,
        scene.id,
    )


def grade_nodes(ctx: ShotContext, picture: str, project_root: Path) -> list[Node]:
    """The shot's ``grade`` node over ``picture`` (its restored, conformed picture),
    preceded, for the first shot of a scene of several, by the scene's hero node."""
    scene = _scene(ctx)
    shots = [shot.id for shot in scene.shots]
    looks = look_files(ctx, project_root)
    time_of_day = ctx.variables.get("time_of_day", "day")
    nodes: list[Node] = []
    inputs: tuple[str, ...] = (picture,)
    if len(shots) == 1:
        match = "the only shot of its scene, so nothing to match"
    else:
        if ctx.shot == shots[0]:
            nodes.append(scene_hero_node(scene))
        inputs += (hero_node_id(scene.id),)
        if ctx.shot in _rotoscoped(scene) and ctx.shot != scene.hero:
            inputs += (matte_node_id(ctx.shot),)
        if scene.hero is not None and scene.hero == ctx.shot:
            match = "the scene's hero (brief): the other shots are matched to it"
        elif scene.hero is not None:
            match = f"matched to {scene.hero}, the scene's hero (brief)"
        else:
            match = (
                f"matched to the hero, the shot of {', '.join(shots)} nearest the scene's "
                f"median look ({hero_node_id(scene.id)} names it)"
            )
    if matte_node_id(ctx.shot) in inputs:
        match += "; its mattes mask the statistics (neutrals outside the subject, skin inside)"
    book = f"; the look of {len(looks)} reference still(s)" if looks else ""
    nodes.append(
        Node(
            f"{ctx.shot}/grade",
            "grade",
            {"shot": ctx.shot, "looks": looks},
            inputs,
            f"{match}{book}; then scene {ctx.scene}'s look from time_of_day={time_of_day!r}, "
            "each as an ASC CDL or a 33³ LUT",
            ctx.shot,
            ctx.scene,
            ctx.reads("grade"),
        )
    )
    return nodes
